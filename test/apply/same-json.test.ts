// refresh's comparisons (usage counters set aside) without formatting: sameJson must agree with
// comparing formatJson texts on every value a snapshot can hold, and movedApartFromUsage must
// tell usage counters from everything else.
import { describe, expect, it } from 'vitest';
import { movedApartFromUsage, sameJson, usageAsStored } from '../../src/apply/refresh-live-org.js';
import { formatJson } from '../../src/store/json-format.js';
import type { OrgSnapshot } from '../../src/model/index.js';
import { app, snapshot, user } from '../plan/builders.js';

/** A small deterministic generator of JSON-like values, with the edge cases formatJson has. */
function values(): unknown[] {
  const leaves: unknown[] = [null, undefined, 0, -0, 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '', '0', 'a', 'Z', true, false];
  const out: unknown[] = [...leaves];
  for (const a of leaves.slice(0, 8)) {
    out.push([a], [a, a], { k: a }, { k: a, j: 1 }, { j: 1, k: a });
  }
  out.push([], {}, [[]], [{}], { a: [] }, { a: {} }, { a: { b: 1 } }, { a: { b: 2 } }, { b: 1, a: { c: [1, 2] } }, { a: { c: [1, 2] }, b: 1 }, { a: { c: [2, 1] }, b: 1 }, [1, 2], [2, 1], [1, undefined], [1, null], { a: undefined }, { a: null });
  return out;
}

describe('sameJson', () => {
  it('agrees with comparing formatJson texts on every pair', () => {
    const all = values();
    let pairs = 0;
    for (const a of all) {
      for (const b of all) {
        if (a === undefined || b === undefined) continue; // formatJson of undefined itself is no JSON text
        expect(sameJson(a, b), `${formatJson(a)} vs ${formatJson(b)}`).toBe(formatJson(a) === formatJson(b));
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(1000);
  });

  it('leaves out the members it is told to skip, at the top only', () => {
    const skip = new Set(['lastUsed']);
    expect(sameJson({ a: 1, lastUsed: 'x' }, { a: 1, lastUsed: 'y' }, skip)).toBe(true);
    expect(sameJson({ a: 1, lastUsed: 'x' }, { a: 1 }, skip)).toBe(true);
    expect(sameJson({ a: 2, lastUsed: 'x' }, { a: 1, lastUsed: 'x' }, skip)).toBe(false);
    expect(sameJson({ a: { lastUsed: 'x' } }, { a: { lastUsed: 'y' } }, skip)).toBe(false);
  });
});

describe('movedApartFromUsage', () => {
  const session = { user: 'u@acme.example', created: '2026-05-01T00:00:00Z', lastUsed: '2026-05-01T00:30:00Z', useCount: 3, flow: 'unknown' as const };
  const of = (sessions: (typeof session)[], extra: Partial<Parameters<typeof app>[1]> = {}): OrgSnapshot =>
    snapshot({ users: [user('u@acme.example')], apps: [app('Alpha', { sessions, ...extra })] });

  it('usage counters alone are no move; any other field of a session, or of an app, is', () => {
    const stored = of([session]);
    expect(movedApartFromUsage(stored, of([{ ...session, lastUsed: '2026-05-02T00:00:00Z', useCount: 9 }]))).toBe(false);
    expect(movedApartFromUsage(stored, of([{ ...session, flow: 'web-server' as never }]))).toBe(true);
    expect(movedApartFromUsage(stored, of([{ ...session, created: '2026-05-01T00:00:01Z' }]))).toBe(true);
    expect(movedApartFromUsage(stored, of([session, session]))).toBe(true);
    expect(movedApartFromUsage(stored, of([]))).toBe(true);
    expect(movedApartFromUsage(stored, of([session], { blocked: true }))).toBe(true);
  });

  it('usageAsStored keeps the folder\'s counters where nothing else moved', () => {
    const stored = of([session]);
    const live = of([{ ...session, useCount: 9 }]);
    expect(usageAsStored(stored, live)).toBe(stored);
  });
});
