// UserUniverse is the one engine of who may use an app: it must say what SPEC §5 says, read
// literally by the oracle (access-oracle.ts), for every app and state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrgUser } from '../../src/model/index.js';
import { accessKind, accessLabel, type AccessSubject } from '../../src/plan/access.js';
import { maxListedUsers, UserUniverse } from '../../src/plan/user-sets.js';
import { usersWithAccess } from './access-oracle.js';
import { orgArb } from './arbitraries.js';
import { user } from './builders.js';

const profiles = ['P0', 'P1', 'P2', 'P3'];
const sets = ['S0', 'S1', 'S2', 'S3', 'S4'];

const userSpecArb = fc.record({
  profile: fc.constantFrom(...profiles),
  permissionSets: fc.uniqueArray(fc.constantFrom(...sets), { maxLength: 3 }),
  active: fc.boolean(),
  approver: fc.boolean(),
  anyClient: fc.boolean(),
});

const appArb: fc.Arbitrary<AccessSubject> = fc.record({
  installed: fc.boolean(),
  blocked: fc.boolean(),
  policies: fc.record({
    permittedUsers: fc.constantFrom('admin-approved' as const, 'all-users' as const),
    // Names the org may not have (P9, S9) count no one.
    profiles: fc.uniqueArray(fc.constantFrom(...profiles, 'P9'), { maxLength: 3 }),
    permissionSets: fc.uniqueArray(fc.constantFrom(...sets, 'S9'), { maxLength: 4 }),
  }),
});

/** The users a set admits, by name, in order. */
function names(universe: UserUniverse, app: AccessSubject, allowlisting: boolean): string[] {
  const access = universe.accessOf(app, allowlisting);
  return access.users.all ? [...universe.sorted] : [...access.users.ranks].map((r) => universe.sorted[r]!);
}

describe('UserUniverse', () => {
  it('agrees with the oracle on who may use each app, on how many, and on its label', () => {
    fc.assert(
      fc.property(orgArb, fc.boolean(), (org, allowlisting) => {
        const universe = new UserUniverse(org.users);
        for (const app of org.apps) {
          const expected = usersWithAccess(app, allowlisting, org.users);
          const access = universe.accessOf(app, allowlisting);
          expect(names(universe, app, allowlisting)).toEqual(expected);
          expect(universe.sizeOf(access.users)).toBe(expected.length);
          expect(access.label).toBe(accessLabel(accessKind(app, allowlisting), app, expected.length));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the oracle for many assignments over one universe (its caches never leak from one app into the next)', () => {
    fc.assert(
      fc.property(fc.array(userSpecArb, { maxLength: 60 }), fc.array(appArb, { minLength: 1, maxLength: 8 }), fc.boolean(), (specs, apps, allowlisting) => {
        const users: OrgUser[] = specs.map((spec, i) => ({
          username: `u${i}@x.example`,
          profile: spec.profile,
          permissionSets: spec.permissionSets,
          permissions: [...(spec.approver ? (['CanApproveUninstalledApps'] as const) : []), ...(spec.anyClient ? (['UseAnyApiClient'] as const) : [])],
          active: spec.active,
        }));
        const universe = new UserUniverse(users);
        for (const app of [...apps, ...apps]) {
          const expected = usersWithAccess(app, allowlisting, users);
          expect(names(universe, app, allowlisting)).toEqual(expected);
          expect(universe.sizeOf(universe.accessOf(app, allowlisting).users)).toBe(expected.length);
        }
      }),
    );
  });

  it('lists at most 1000 users of a large difference, in order, with the exact count', () => {
    const users = Array.from({ length: 2500 }, (_, i) => user(`u${String(i).padStart(4, '0')}@x`, { permissionSets: i % 2 === 0 ? ['Even'] : [] }));
    const universe = new UserUniverse(users);
    const evens = universe.accessOf({ installed: true, blocked: false, policies: { permittedUsers: 'admin-approved', profiles: [], permissionSets: ['Even'] } }, false);
    const change = universe.diff({ all: true }, evens.users)!;
    expect(change.gained).toEqual({ count: 0, users: [] });
    expect(change.lost.count).toBe(1250);
    expect(change.lost.users).toHaveLength(maxListedUsers);
    expect(change.lost.users.slice(0, 3)).toEqual(['u0001@x', 'u0003@x', 'u0005@x']);
    expect(universe.diff(evens.users, evens.users)).toBeUndefined();
    expect(universe.countAdmitted(evens.users, ['u0002@x', 'u0003@x', 'nobody@x'])).toBe(1);
  });
});
