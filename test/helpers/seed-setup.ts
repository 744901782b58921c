// Vitest setup (vitest.config.ts): every fast-check property runs from the tests' seed
// (helpers/seed.ts), which fast-check names in its report when a property fails.
import fc from 'fast-check';
import { testSeed } from './seed.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: testSeed() });
