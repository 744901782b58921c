// Store JSON: a duplicate key is always found (whatever the strings around it hold), a text without
// one is never refused, and a byte order mark is dropped as the YAML loader drops it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStoreJson } from '../../src/store/parse-store-json.js';

/** Keys and strings that look like JSON structure: quotes, colons, backslashes, braces. */
const trickyString = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('":', '\\', '\\":', 'a":"b', ' : ', '{"k":1}', ':', '"'));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, trickyString, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(trickyString, tie('node'), { maxKeys: 4 }),
})).node;

describe('parseStoreJson', () => {
  it('accepts every JSON text without a duplicate key, however it is spaced', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(undefined, 2, '\t', ' \n '), (v, space) => {
        const text = JSON.stringify(v, null, space as string | number | undefined);
        const parsed = parseStoreJson(text);
        expect('problem' in parsed ? parsed.problem : undefined).toBeUndefined();
        expect('value' in parsed && parsed.value).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('finds a key given twice in any object, at its line and column', () => {
    fc.assert(
      fc.property(fc.dictionary(trickyString, value, { minKeys: 1, maxKeys: 4 }), value, fc.nat(), fc.constantFrom('', ' ', '\n  '), (object, other, pick, gap) => {
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        const inner = JSON.stringify(object);
        // The same key again at the end of the object, with another value and its own spacing.
        const text = JSON.stringify({ wrapper: [other, '@'] }).replace('"@"', `${inner.slice(0, -1)},${gap}${JSON.stringify(key)}${gap}:${gap}0}`);
        const parsed = parseStoreJson(text);
        expect('problem' in parsed && parsed.problem.kind).toBe('duplicate-key');
        if (!('problem' in parsed)) return;
        expect(parsed.problem.message).toContain(`duplicate key ${JSON.stringify(key)}`);
        const lines = text.split('\n');
        const at = parsed.problem.at!;
        expect(lines[at.line - 1]!.slice(at.column - 1).startsWith(JSON.stringify(key))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('drops a leading byte order mark, and only that', () => {
    expect(parseStoreJson('\uFEFF{"a": 1}')).toEqual({ value: { a: 1 }, text: '{"a": 1}' });
    expect('problem' in parseStoreJson('\uFEFF\uFEFF{"a": 1}')).toBe(true);
    expect(parseStoreJson('{"a": "\uFEFF"}')).toMatchObject({ value: { a: '\uFEFF' } });
  });
});
