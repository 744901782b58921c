// The ranked user sets the planner compares must say what access.ts says, for every app and state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAccessIndex, effectiveAccess, usersWithAccess } from '../../src/plan/access.js';
import { maxListedUsers, UserUniverse } from '../../src/plan/user-sets.js';
import { orgArb } from './arbitraries.js';
import { user } from './builders.js';

describe('UserUniverse', () => {
  it('agrees with access.ts on who may use each app, and on its label', () => {
    fc.assert(
      fc.property(orgArb, fc.boolean(), (org, allowlisting) => {
        const index = buildAccessIndex(org.users);
        const universe = new UserUniverse(index);
        for (const app of org.apps) {
          const access = universe.accessOf(app, allowlisting);
          const expected = [...usersWithAccess(app, allowlisting, index)].sort();
          const actual = access.users.all ? [...universe.sorted] : [...access.users.ranks].map((r) => universe.sorted[r]);
          expect(actual).toEqual(expected);
          expect(access.label).toBe(effectiveAccess(app, allowlisting, index).label);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lists at most 1000 users of a large difference, in order, with the exact count', () => {
    const users = Array.from({ length: 2500 }, (_, i) => user(`u${String(i).padStart(4, '0')}@x`, { permissionSets: i % 2 === 0 ? ['Even'] : [] }));
    const universe = new UserUniverse(buildAccessIndex(users));
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
