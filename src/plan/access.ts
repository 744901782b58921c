// The cases of an app's access (SPEC §5) and the usage page's words for them. Who is in each case
// (the users it admits) is user-sets.ts's UserUniverse: the one engine the planner and `usage` share.
import type { ObservedPolicies } from '../model/index.js';
import { count } from './count.js';

/** The parts of an app that decide who may use it. */
export interface AccessSubject {
  installed: boolean;
  blocked: boolean;
  policies?: Pick<ObservedPolicies, 'permittedUsers' | 'profiles' | 'permissionSets'>;
}

/** Which of the SPEC §5 cases an app is in. */
export type AccessKind = 'blocked' | 'not-allowlisted' | 'uninstalled' | 'all-users' | 'admin-approved';

/** Whether an app is on the allowlist: installed, with admin-approved permitted users. */
export function isAllowlisted(app: AccessSubject): boolean {
  return app.installed && app.policies?.permittedUsers === 'admin-approved';
}

/** The SPEC §5 case an app is in, given whether allowlisting is on. */
export function accessKind(app: AccessSubject, allowlisting: boolean): AccessKind {
  if (app.blocked) return 'blocked';
  if (allowlisting && !isAllowlisted(app)) return 'not-allowlisted';
  if (!app.installed) return 'uninstalled';
  return app.policies?.permittedUsers === 'admin-approved' ? 'admin-approved' : 'all-users';
}

/** The usage page's words for an access case, given how many users it admits. */
export function accessLabel(kind: AccessKind, app: AccessSubject, users: number): string {
  switch (kind) {
    case 'blocked':
      return 'blocked';
    case 'not-allowlisted':
      return 'blocked org-wide (not allowlisted)';
    case 'uninstalled':
      return 'uninstalled (only users with Approve Uninstalled Connected Apps)';
    case 'all-users':
      return 'all users may self-authorize';
    case 'admin-approved': {
      const p = app.policies!.profiles.length;
      const s = app.policies!.permissionSets.length;
      return `pre-authorized: ${count(p, 'profile')}, ${count(s, 'permission set')} (${count(users, 'user')})`;
    }
  }
}
