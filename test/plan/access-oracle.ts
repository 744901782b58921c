// The oracle of who may use an app: SPEC §5 read literally, one user at a time, with no index,
// no ranks and no cache. Only the tests use it, to check src/plan/user-sets.ts's UserUniverse.
import type { OrgUser } from '../../src/model/index.js';
import { accessKind, type AccessSubject } from '../../src/plan/access.js';

/**
 * The usernames that may use the app, sorted. Under allowlisting, a non-allowlisted app is open
 * only to users with Use Any API Client (and, when it is not installed, also Approve Uninstalled
 * Connected Apps); inactive users may use nothing.
 */
export function usersWithAccess(app: AccessSubject, allowlisting: boolean, users: readonly OrgUser[]): string[] {
  const kind = accessKind(app, allowlisting);
  const has = (user: OrgUser, permission: string) => user.permissions.includes(permission as OrgUser['permissions'][number]);
  const admits = (user: OrgUser): boolean => {
    switch (kind) {
      case 'blocked':
        return false;
      case 'not-allowlisted':
        return has(user, 'UseAnyApiClient') && (app.installed || has(user, 'CanApproveUninstalledApps'));
      case 'uninstalled':
        return has(user, 'CanApproveUninstalledApps');
      case 'all-users':
        return true;
      case 'admin-approved':
        return app.policies!.profiles.includes(user.profile) || user.permissionSets.some((set) => app.policies!.permissionSets.includes(set));
    }
  };
  return users
    .filter((user) => user.active && admits(user))
    .map((user) => user.username)
    .sort();
}
