// The state digest (SPEC §7) over the data's canonical form: the same digest whether the data's
// keys come sorted (as the store's files have them, which digest.ts serializes as they are) or in
// any other order (which it serializes through the sorted keys), and the same as the canonical
// JSON of each part, sessions left out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256, stateDigestOf } from '../../src/plan/digest.js';
import { testSeed } from '../helpers/seed.js';

const runs = { numRuns: 200, seed: testSeed() };

/** A JSON value whose objects have keys of a few letters (and digits: integer-like keys order differently). */
const keyArb = fc.stringMatching(/^[a-c0-9]{1,3}$/).filter((k) => k !== 'id' && k !== 'sessions');
const jsonArb = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 4 }),
  ),
})).value;
const appArb = fc.record({ id: fc.stringMatching(/^[A-Za-z0-9]{18}$/), extra: fc.dictionary(keyArb, jsonArb, { maxKeys: 4 }), sessions: fc.array(jsonArb, { maxLength: 3 }) });
const dataArb = fc.record({ org: fc.dictionary(keyArb, jsonArb, { maxKeys: 5 }), users: fc.array(fc.dictionary(keyArb, jsonArb, { maxKeys: 4 }), { maxLength: 5 }), apps: fc.array(appArb, { maxLength: 4 }) });

/** A deep copy with every object's keys in sorted (or reversed) order. */
function reordered(value: unknown, order: 'sorted' | 'reversed'): unknown {
  if (Array.isArray(value)) return value.map((v) => reordered(v, order));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).sort();
  if (order === 'reversed') keys.reverse();
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = reordered((value as Record<string, unknown>)[key], order);
  return out;
}

/**
 * JSON with every object's keys in sorted order (by code unit, integer-like keys too) and no white
 * space, written out by hand: the canonical form of the state digest.
 */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The digest from its definition: sha256 of each part's canonical JSON (apps without sessions), apps by id. */
function expectedDigest(data: { org: object; users: object[]; apps: { id: string; sessions?: unknown }[] }): string {
  const part = (value: unknown): string => sha256(canonical(value));
  const apps = data.apps.map(({ sessions: _sessions, ...app }) => `${app.id} ${part(app)}`).sort();
  return sha256(`${part(data.org)}\n${part(data.users)}\n${apps.join('\n')}`);
}

describe('stateDigestOf', () => {
  it('is the canonical digest, whatever order the keys come in', () => {
    fc.assert(
      fc.property(dataArb, (raw) => {
        const data = { org: raw.org, users: raw.users, apps: raw.apps.map(({ id, extra, sessions }) => ({ ...extra, id, sessions })) };
        const expected = expectedDigest(data);
        // Fresh copies each time: a value's digest is remembered.
        for (const order of ['sorted', 'reversed'] as const) {
          const copy = reordered(data, order) as typeof data;
          expect(stateDigestOf(copy), order).toBe(expected);
        }
      }),
      runs,
    );
  });

  it('leaves out the sessions and nothing else', () => {
    const app = { blocked: false, id: '0H4000000000000001', name: 'A', policies: { ipRelaxation: 'ENFORCE', profiles: ['P'] }, sessions: [{ user: 'u' }] };
    const data = { org: { id: 'o', profiles: ['P'] }, users: [{ active: true, username: 'u' }], apps: [app] };
    const digest = stateDigestOf(data);
    const withApp = (changed: typeof app) => stateDigestOf({ ...data, apps: [changed] });
    expect(withApp({ ...app, sessions: [] })).toBe(digest);
    expect(withApp({ ...app, name: 'B' })).not.toBe(digest);
    expect(withApp({ ...app, policies: { ...app.policies, profiles: ['Q'] } })).not.toBe(digest);
    // The pinned value: the canonical form of these parts, as every earlier plan recorded it.
    expect(digest).toBe(expectedDigest(data));
  });
});
