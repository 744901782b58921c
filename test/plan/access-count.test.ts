// effectiveAccess counts an app's users without building a set of them; the count must always be
// the size of the set usersWithAccess builds, whatever the users and the assignment.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrgUser } from '../../src/model/index.js';
import { buildAccessIndex, effectiveAccess, usersWithAccess, type AccessSubject } from '../../src/plan/access.js';

const profiles = ['P0', 'P1', 'P2', 'P3'];
const sets = ['S0', 'S1', 'S2', 'S3', 'S4'];

const userArb = fc.record({
  profile: fc.constantFrom(...profiles),
  permissionSets: fc.uniqueArray(fc.constantFrom(...sets), { maxLength: 3 }),
  active: fc.boolean(),
  approver: fc.boolean(),
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

describe('effectiveAccess user count', () => {
  it('equals the size of usersWithAccess for any users and app, count after count', () => {
    fc.assert(
      fc.property(fc.array(userArb, { maxLength: 60 }), fc.array(appArb, { minLength: 1, maxLength: 8 }), fc.boolean(), (specs, apps, allowlisting) => {
        const users: OrgUser[] = specs.map((spec, i) => ({
          username: `u${i}@x.example`,
          profile: spec.profile,
          permissionSets: spec.permissionSets,
          permissions: spec.approver ? ['CanApproveUninstalledApps'] : [],
          active: spec.active,
        }));
        // One index for many apps: the scratch marks of one count must not leak into the next.
        const index = buildAccessIndex(users);
        for (const app of apps) {
          expect(effectiveAccess(app, allowlisting, index).users).toBe(usersWithAccess(app, allowlisting, index).size);
        }
      }),
    );
  });

  it('starts over cleanly when the scratch mark wraps around', () => {
    const users: OrgUser[] = [
      { username: 'a@x.example', profile: 'P0', permissionSets: ['S0', 'S1'], permissions: [], active: true },
      { username: 'b@x.example', profile: 'P1', permissionSets: ['S1'], permissions: [], active: true },
    ];
    const index = buildAccessIndex(users);
    const app: AccessSubject = { installed: true, blocked: false, policies: { permittedUsers: 'admin-approved', profiles: [], permissionSets: ['S0', 'S1'] } };
    index.ordinals.mark = 0xffffffff - 1;
    for (let i = 0; i < 3; i++) expect(effectiveAccess(app, false, index).users).toBe(2);
  });
});
