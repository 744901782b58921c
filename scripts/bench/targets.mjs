// The targets of issue 6, which `npm run bench` checks its results against (and the README's
// Performance table states: test/readme.test.ts keeps the two the same).
export const targets = {
  planRatio: 2,
  planJsonRatio: 2,
  validateRatio: 2,
  applyRatio: 3,
  usageFirstLineMs: 1000,
  rssMiB: 1536,
  seriesSlope: 1.1,
};
