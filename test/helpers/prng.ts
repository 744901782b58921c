// The seeded PRNG the data generators use (scripts/seeded.mjs), typed for tests: a failing
// randomised run can be replayed with the seed it prints.
// @ts-expect-error -- a plain .mjs module without type declarations
import { mulberry32 } from '../../scripts/seeded.mjs';

/** A function returning numbers in [0, 1), the same sequence for the same seed. */
export const prng = mulberry32 as (seed: number) => () => number;
