// Who gains and who loses access when an action runs: the users who may use an app before and
// after it, compared without walking every user for an app that admits all of them.
import type { AppFile, UserList } from '../model/index.js';
import { accessKind, usersWithAccess, type AccessSubject } from './access.js';
import { byCodePoint } from './names.js';
import type { PlanContext } from './plan-context.js';

/** At most this many usernames are listed in a UserList (its count says how many there are). */
export const maxListedUsers = 1000;

/** The users who may use an app: every active user, or a set of them. */
export type UserSet = { all: true } | { all: false; users: ReadonlySet<string> };

/** Who may use the app, in the state given. */
export function userSetOf(app: AccessSubject, allowlisting: boolean, ctx: PlanContext): UserSet {
  if (accessKind(app, allowlisting) === 'all-users') return { all: true };
  return { all: false, users: usersWithAccess(app, allowlisting, ctx.access) };
}

/** How many of `users` a user set admits. */
export function countAdmitted(set: UserSet, users: 'all' | readonly string[], ctx: PlanContext): number {
  if (users === 'all') return set.all ? ctx.access.active.length : set.users.size;
  const active = ctx.access.profileOf;
  return users.filter((u) => (set.all ? active.has(u) : set.users.has(u))).length;
}

/** Gained and lost users between two user sets, or undefined when nobody's access changes. */
export function diffUserSets(before: UserSet, after: UserSet, ctx: PlanContext): { gained: UserList; lost: UserList } | undefined {
  if (before.all && after.all) return undefined;
  let gained: UserList;
  let lost: UserList;
  if (before.all) {
    gained = emptyList();
    lost = complementOf((after as { users: ReadonlySet<string> }).users, ctx);
  } else if (after.all) {
    gained = complementOf(before.users, ctx);
    lost = emptyList();
  } else {
    gained = listOf(difference(after.users, before.users));
    lost = listOf(difference(before.users, after.users));
  }
  return gained.count === 0 && lost.count === 0 ? undefined : { gained, lost };
}

/** Gained and lost users of one app between two states. */
export function accessChange(
  before: AppFile,
  allowlistingBefore: boolean,
  after: AppFile,
  allowlistingAfter: boolean,
  ctx: PlanContext,
): { gained: UserList; lost: UserList } | undefined {
  const kindBefore = accessKind(before, allowlistingBefore);
  const kindAfter = accessKind(after, allowlistingAfter);
  if (kindBefore === kindAfter && kindBefore !== 'admin-approved' && !(kindBefore === 'not-allowlisted' && before.installed !== after.installed)) {
    return undefined;
  }
  return diffUserSets(userSetOf(before, allowlistingBefore, ctx), userSetOf(after, allowlistingAfter, ctx), ctx);
}

/** A sorted user list of at most maxListedUsers names, with the full count. */
export function listOf(users: Iterable<string>): UserList {
  const all = [...users].sort(byCodePoint);
  return { count: all.length, users: all.slice(0, maxListedUsers) };
}

/** The active users outside `users`, listed in order without sorting all of them again. */
export function complementOf(users: ReadonlySet<string>, ctx: PlanContext): UserList {
  let count = 0;
  const listed: string[] = [];
  for (const user of ctx.sortedActive()) {
    if (users.has(user)) continue;
    count++;
    if (listed.length < maxListedUsers) listed.push(user);
  }
  return { count, users: listed };
}

/** A user list with nobody in it. */
export function emptyList(): UserList {
  return { count: 0, users: [] };
}

function difference(a: ReadonlySet<string>, b: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const item of a) if (!b.has(item)) out.push(item);
  return out;
}
