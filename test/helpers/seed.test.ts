// The tests' seed: fixed unless CAPCTL_TEST_SEED says otherwise, and the one fast-check runs from.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSeed, testSeed } from './seed.js';

describe('the tests\' seed', () => {
  it('is fixed when CAPCTL_TEST_SEED is not set or empty', () => {
    expect(testSeed({})).toBe(defaultSeed);
    expect(testSeed({ CAPCTL_TEST_SEED: '' })).toBe(defaultSeed);
  });

  it('is CAPCTL_TEST_SEED when that is an integer, and refuses anything else', () => {
    expect(testSeed({ CAPCTL_TEST_SEED: '42' })).toBe(42);
    expect(testSeed({ CAPCTL_TEST_SEED: '-7' })).toBe(-7);
    expect(() => testSeed({ CAPCTL_TEST_SEED: '4.5' })).toThrow('CAPCTL_TEST_SEED must be an integer, not "4.5"');
    expect(() => testSeed({ CAPCTL_TEST_SEED: 'now' })).toThrow('CAPCTL_TEST_SEED must be an integer, not "now"');
  });

  it('is the seed of every fast-check property, and a failure names it', () => {
    expect(fc.readConfigureGlobal().seed).toBe(testSeed());
    const failure = (() => {
      try {
        fc.assert(fc.property(fc.nat(), (n) => n < 0));
      } catch (e) {
        return String(e);
      }
      return '';
    })();
    expect(failure).toContain(`seed: ${testSeed()}`);
  });
});
