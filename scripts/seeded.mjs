// What the data generators share (scripts/make-example-org.mjs, scripts/bench/generate.mjs and
// the tests' generators): a seeded PRNG, so that the same seed always writes the same bytes, and
// the permissions of SPEC §4 in its order (src/plan/permissions.ts holds the same list for the code).

/** mulberry32: a small, fast, seeded PRNG returning numbers in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every permission: what an all-powerful user holds. */
export const allPermissions = [
  'ViewSetup',
  'ManageUsers',
  'CustomizeApplication',
  'ModifyAllData',
  'ManageRemoteAccess',
  'InstallPackaging',
  'CanApproveUninstalledApps',
  'UseAnyApiClient',
];
