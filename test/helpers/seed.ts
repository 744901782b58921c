// The one seed of every randomised test (fast-check properties, the crash tests): fixed, so that
// each run tries the same cases; printed when a test fails (fast-check's report, the crash tests'
// messages), so that the failure can be replayed; and overridable, CAPCTL_TEST_SEED=<integer>, to
// try other cases or replay a failure.

/** The seed when CAPCTL_TEST_SEED is not set. */
export const defaultSeed = 20261128;

/** CAPCTL_TEST_SEED as an integer, or the default seed; a value that is no integer is an error. */
export function testSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['CAPCTL_TEST_SEED'];
  if (raw === undefined || raw.trim() === '') return defaultSeed;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`CAPCTL_TEST_SEED must be an integer, not "${raw}"`);
  return seed;
}
