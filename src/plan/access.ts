// Effective access of an app (SPEC §5): who may use it, and how the usage page says so.
// One pure function shared by the planner and `usage`; an AccessIndex over the users is built
// once per snapshot so that counting an app's users never walks every user again.
import type { ObservedPolicies, OrgUser } from '../model/index.js';
import { count } from './count.js';

/** The parts of an app that decide who may use it. */
export interface AccessSubject {
  installed: boolean;
  blocked: boolean;
  policies?: Pick<ObservedPolicies, 'permittedUsers' | 'profiles' | 'permissionSets'>;
}

/** Which of the SPEC §5 cases an app is in. */
export type AccessKind = 'blocked' | 'not-allowlisted' | 'uninstalled' | 'all-users' | 'admin-approved';

/** An app's effective access: its case, the usage page's words for it, and how many users it admits. */
export interface EffectiveAccess {
  kind: AccessKind;
  label: string;
  users: number;
}

/** Active users grouped the ways access is decided, built once per snapshot. */
export interface AccessIndex {
  active: string[];
  byProfile: Map<string, string[]>;
  byPermissionSet: Map<string, string[]>;
  canApproveUninstalled: string[];
  useAnyApiClient: string[];
  /** What counting pre-authorized users needs, by user ordinal (place in `active`): see countPreAuthorized. */
  ordinals: OrdinalIndex;
}

/**
 * Active users by ordinal, so that the users of an assignment are counted with typed arrays and no
 * set of names: 10,000 apps with thousands of distinct assignments over 100,000 users would
 * otherwise build a set of tens of thousands of names per app.
 */
export interface OrdinalIndex {
  /** Profile name → a small integer id. */
  profileIds: Map<string, number>;
  /** User ordinal → the id of the user's profile. */
  profileOf: Int32Array;
  /** Permission set name → its active members' ordinals. */
  setMembers: Map<string, Int32Array>;
  /** Scratch marks, one per user, and the mark of the current count (bumped per count). */
  marks: Uint32Array;
  mark: number;
}

/** Indexes the active users of an org. */
export function buildAccessIndex(users: readonly OrgUser[]): AccessIndex {
  const index: AccessIndex = {
    active: [],
    byProfile: new Map(),
    byPermissionSet: new Map(),
    canApproveUninstalled: [],
    useAnyApiClient: [],
    ordinals: { profileIds: new Map(), profileOf: new Int32Array(0), setMembers: new Map(), marks: new Uint32Array(0), mark: 0 },
  };
  const profileOf: number[] = [];
  const setMembers = new Map<string, number[]>();
  for (const user of users) {
    if (!user.active) continue;
    const ordinal = index.active.length;
    index.active.push(user.username);
    push(index.byProfile, user.profile, user.username);
    let profileId = index.ordinals.profileIds.get(user.profile);
    if (profileId === undefined) index.ordinals.profileIds.set(user.profile, (profileId = index.ordinals.profileIds.size));
    profileOf.push(profileId);
    for (const set of user.permissionSets) {
      push(index.byPermissionSet, set, user.username);
      push(setMembers, set, ordinal);
    }
    if (user.permissions.includes('CanApproveUninstalledApps')) index.canApproveUninstalled.push(user.username);
    if (user.permissions.includes('UseAnyApiClient')) index.useAnyApiClient.push(user.username);
  }
  index.ordinals.profileOf = Int32Array.from(profileOf);
  for (const [set, members] of setMembers) index.ordinals.setMembers.set(set, Int32Array.from(members));
  index.ordinals.marks = new Uint32Array(index.active.length);
  return index;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

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

/**
 * The usernames that may use the app. Under allowlisting, a non-allowlisted app is open only to
 * users with Use Any API Client (and, when it is not installed, also Approve Uninstalled Connected Apps).
 */
export function usersWithAccess(app: AccessSubject, allowlisting: boolean, index: AccessIndex): Set<string> {
  switch (accessKind(app, allowlisting)) {
    case 'blocked':
      return new Set();
    case 'not-allowlisted': {
      if (app.installed) return new Set(index.useAnyApiClient);
      const approvers = new Set(index.canApproveUninstalled);
      return new Set(index.useAnyApiClient.filter((u) => approvers.has(u)));
    }
    case 'uninstalled':
      return new Set(index.canApproveUninstalled);
    case 'all-users':
      return new Set(index.active);
    case 'admin-approved':
      return preAuthorized(app.policies!.profiles, app.policies!.permissionSets, index);
  }
}

function preAuthorized(profiles: readonly string[], permissionSets: readonly string[], index: AccessIndex): Set<string> {
  const users = new Set<string>();
  for (const profile of profiles) for (const u of index.byProfile.get(profile) ?? []) users.add(u);
  for (const set of permissionSets) for (const u of index.byPermissionSet.get(set) ?? []) users.add(u);
  return users;
}

/** Counts the users an app admits without building a set of them. */
function countWithAccess(app: AccessSubject, allowlisting: boolean, index: AccessIndex): number {
  const kind = accessKind(app, allowlisting);
  if (kind === 'blocked') return 0;
  if (kind === 'uninstalled') return index.canApproveUninstalled.length;
  if (kind === 'all-users') return index.active.length;
  if (kind === 'admin-approved') return countPreAuthorized(app.policies!.profiles, app.policies!.permissionSets, index);
  return usersWithAccess(app, allowlisting, index).size;
}

/**
 * How many users the profiles and permission sets admit. A user has one profile, so the profiles'
 * users add up without overlap; a permission set's member counts once, unless one of the profiles
 * already admits them. Linear in the permission sets' sizes.
 */
function countPreAuthorized(profiles: readonly string[], permissionSets: readonly string[], index: AccessIndex): number {
  const ordinals = index.ordinals;
  const admitted = new Set<number>();
  let count = 0;
  for (const profile of profiles) {
    const id = ordinals.profileIds.get(profile);
    if (id === undefined || admitted.has(id)) continue;
    admitted.add(id);
    count += index.byProfile.get(profile)!.length;
  }
  if (permissionSets.length === 0) return count;
  if (ordinals.mark === 0xffffffff) {
    ordinals.marks.fill(0);
    ordinals.mark = 0;
  }
  const mark = ++ordinals.mark;
  const { marks, profileOf } = ordinals;
  for (const set of permissionSets) {
    const members = ordinals.setMembers.get(set);
    if (members === undefined) continue;
    for (let i = 0; i < members.length; i++) {
      const user = members[i]!;
      if (marks[user] === mark || admitted.has(profileOf[user]!)) continue;
      marks[user] = mark;
      count++;
    }
  }
  return count;
}

/** The effective access of an app, in the words of SPEC §5. */
export function effectiveAccess(app: AccessSubject, allowlisting: boolean, index: AccessIndex): EffectiveAccess {
  const kind = accessKind(app, allowlisting);
  const users = countWithAccess(app, allowlisting, index);
  return { kind, label: accessLabel(kind, app, users), users };
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
