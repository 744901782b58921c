// Who may use an app (SPEC §5): THE engine, for the planner (who gains and loses access) and for
// `usage` (how many users an app admits), as sets of active users that a plan can compare
// thousands of times over an org of 100,000 users. Each active user gets a rank (their place in username order); a set is a
// sorted array of ranks, or "every active user". Sets of profiles and permission sets are built
// once and merged; the set of an assignment is cached, so the before and after of consecutive
// actions cost nothing; a diff is a linear merge; and listing the first 1000 usernames of "all
// users but these" stops after 1000 names instead of walking every user.
import type { OrgUser, UserList } from '../model/index.js';
import { accessKind, accessLabel, type AccessKind, type AccessSubject } from './access.js';
import { sortedNames } from './names.js';

/** At most this many usernames are listed in a UserList (its count says how many there are). */
export const maxListedUsers = 1000;

/** The active users who may use an app: all of them, or some, as sorted ranks. */
export type UserSet = { all: true } | { all: false; ranks: Int32Array };

/** An app's access: its SPEC §5 case, the words for it, and the users it admits. */
export interface AccessState {
  kind: AccessKind;
  label: string;
  users: UserSet;
}

const none: UserSet = { all: false, ranks: new Int32Array(0) };

/** The active users of one org, ranked, with the user sets a plan needs. */
export class UserUniverse {
  /** Active usernames in order: rank → username. */
  readonly sorted: readonly string[];
  private readonly rank = new Map<string, number>();
  private readonly byProfile = new Map<string, string[]>();
  private readonly byPermissionSet = new Map<string, string[]>();
  private readonly groups = new Map<string, Int32Array>();
  private readonly assignments = new Map<string, Int32Array>();
  private readonly approvers: Int32Array;
  private readonly anyClient: Int32Array;
  private approversWithAnyClient?: Int32Array;

  /** Ranks the active users of an org (inactive users have no access to anything). */
  constructor(users: readonly OrgUser[]) {
    const active: string[] = [];
    const approvers: string[] = [];
    const anyClient: string[] = [];
    for (const user of users) {
      if (!user.active) continue;
      active.push(user.username);
      push(this.byProfile, user.profile, user.username);
      for (const set of user.permissionSets) push(this.byPermissionSet, set, user.username);
      if (user.permissions.includes('CanApproveUninstalledApps')) approvers.push(user.username);
      if (user.permissions.includes('UseAnyApiClient')) anyClient.push(user.username);
    }
    this.sorted = sortedNames(active);
    this.sorted.forEach((user, i) => this.rank.set(user, i));
    this.approvers = this.ranksOf(approvers);
    this.anyClient = this.ranksOf(anyClient);
  }

  /** How many active users there are. */
  get size(): number {
    return this.sorted.length;
  }

  /** The access of an app in the state given. */
  accessOf(app: AccessSubject, allowlisting: boolean): AccessState {
    const kind = accessKind(app, allowlisting);
    const users = this.usersOf(kind, app);
    return { kind, label: accessLabel(kind, app, countOf(users, this.size)), users };
  }

  /**
   * The users of an access case. Under allowlisting, a non-allowlisted app is open only to users with
   * Use Any API Client (and, when it is not installed, also Approve Uninstalled Connected Apps).
   */
  private usersOf(kind: AccessKind, app: AccessSubject): UserSet {
    switch (kind) {
      case 'blocked':
        return none;
      case 'all-users':
        return { all: true };
      case 'uninstalled':
        return { all: false, ranks: this.approvers };
      case 'not-allowlisted':
        if (app.installed) return { all: false, ranks: this.anyClient };
        this.approversWithAnyClient ??= intersect(this.approvers, this.anyClient);
        return { all: false, ranks: this.approversWithAnyClient };
      case 'admin-approved':
        return { all: false, ranks: this.assigned(app.policies!.profiles, app.policies!.permissionSets) };
    }
  }

  /** Users pre-authorized by profiles and permission sets: a cached merge of cached groups. */
  private assigned(profiles: readonly string[], permissionSets: readonly string[]): Int32Array {
    const key = JSON.stringify([sortedNames(profiles), sortedNames(permissionSets)]);
    let ranks = this.assignments.get(key);
    if (!ranks) {
      const parts = [
        ...profiles.map((p) => this.group(`p:${p}`, this.byProfile.get(p))),
        ...permissionSets.map((s) => this.group(`s:${s}`, this.byPermissionSet.get(s))),
      ];
      ranks = parts.reduce(union, new Int32Array(0));
      this.assignments.set(key, ranks);
    }
    return ranks;
  }

  private group(key: string, users: readonly string[] | undefined): Int32Array {
    let ranks = this.groups.get(key);
    if (!ranks) {
      ranks = this.ranksOf(users ?? []);
      this.groups.set(key, ranks);
    }
    return ranks;
  }

  private ranksOf(users: readonly string[]): Int32Array {
    const ranks = new Int32Array(users.length);
    let n = 0;
    for (const user of users) {
      const r = this.rank.get(user);
      if (r !== undefined) ranks[n++] = r;
    }
    return unique(ranks.subarray(0, n).sort());
  }

  /** Gained and lost users between two sets, or undefined when nobody's access changes. */
  diff(before: UserSet, after: UserSet): { gained: UserList; lost: UserList } | undefined {
    if (before.all && after.all) return undefined;
    if (!before.all && !after.all && before.ranks === after.ranks) return undefined;
    const everyone = { all: false as const, ranks: undefined };
    const gained = this.minus(after.all ? everyone : after, before);
    const lost = this.minus(before.all ? everyone : before, after);
    return gained.count === 0 && lost.count === 0 ? undefined : { gained, lost };
  }

  /** The users who gain (or lose) access to at least one app when the rest of the org is cut off: all active users, or those who may approve uninstalled apps, but not those with Use Any API Client. */
  everyoneBut(anyClientKeepsAccess: 'all' | 'approvers'): UserList {
    const from = anyClientKeepsAccess === 'all' ? { all: false as const, ranks: undefined } : { all: false as const, ranks: this.approvers };
    return this.minus(from, { all: false, ranks: this.anyClient });
  }

  /** How many active users a set admits. */
  sizeOf(set: UserSet): number {
    return countOf(set, this.size);
  }

  /** How many of `users` (or all active users) a set admits. */
  countAdmitted(set: UserSet, users: 'all' | readonly string[]): number {
    if (users === 'all') return countOf(set, this.size);
    let n = 0;
    for (const user of users) {
      const r = this.rank.get(user);
      if (r !== undefined && (set.all || binaryHas(set.ranks, r))) n++;
    }
    return n;
  }

  /**
   * `a` minus `b` as a user list; `a.ranks` undefined means every active user. The count is exact;
   * names are listed in order until maxListedUsers, without walking further than that needs.
   */
  private minus(a: { all: false; ranks: Int32Array | undefined }, b: UserSet): UserList {
    if (b.all) return { count: 0, users: [] };
    const listed: string[] = [];
    const take = (r: number): void => {
      if (listed.length < maxListedUsers) listed.push(this.sorted[r]!);
    };
    const bRanks = b.ranks;
    if (a.ranks === undefined) {
      const count = this.size - bRanks.length;
      for (let r = 0, j = 0; r < this.size && listed.length < Math.min(count, maxListedUsers); r++) {
        while (j < bRanks.length && bRanks[j]! < r) j++;
        if (j < bRanks.length && bRanks[j] === r) continue;
        take(r);
      }
      return { count, users: listed };
    }
    let count = 0;
    for (let i = 0, j = 0; i < a.ranks.length; i++) {
      const r = a.ranks[i]!;
      while (j < bRanks.length && bRanks[j]! < r) j++;
      if (j < bRanks.length && bRanks[j] === r) continue;
      count++;
      take(r);
    }
    return { count, users: listed };
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function countOf(set: UserSet, everyone: number): number {
  return set.all ? everyone : set.ranks.length;
}

function unique(sorted: Int32Array): Int32Array {
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}

function union(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (n === 0 || out[n - 1] !== next) out[n++] = next;
  }
  return out.subarray(0, n);
}

function intersect(a: Int32Array, b: Int32Array): Int32Array {
  const out: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      out.push(a[i]!);
      i++;
      j++;
    }
  }
  return Int32Array.from(out);
}

function binaryHas(sorted: Int32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === value) return true;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
