// What the data generators share (scripts/make-example-org.mjs, scripts/bench/generate.mjs and
// the tests' generators): a seeded PRNG, so that the same seed always writes the same bytes, a
// weighted pick over it, the store's instant format, and the permissions of SPEC §4 in its order
// (src/plan/permissions.ts holds the same list for the code).

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

/** One value of `table` ([value, weight] pairs), chosen with one draw of `rand` in proportion to its weight. */
export function pickWeighted(rand, table) {
  const total = table.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = rand() * total;
  for (const [value, weight] of table) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return table[table.length - 1][0];
}

/** An instant as the store writes it: ISO 8601 in UTC to the second (`2026-11-25T12:00:00Z`). */
export function isoInstant(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
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
