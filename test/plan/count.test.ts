// The one way capctl writes a count, on its boundaries: none, one, more.
import { describe, expect, it } from 'vitest';
import { count, plural } from '../../src/plan/count.js';

describe('count and plural', () => {
  it('use the noun for exactly one, the plural for none and for more', () => {
    expect([0, 1, 2].map((n) => count(n, 'session'))).toEqual(['0 sessions', '1 session', '2 sessions']);
    expect([0, 1, 2].map((n) => count(n, 'entry', 'entries'))).toEqual(['0 entries', '1 entry', '2 entries']);
    expect([0, 1, 2].map((n) => plural(n, 'ends', 'end'))).toEqual(['end', 'ends', 'end']);
  });
});
