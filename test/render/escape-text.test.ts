// The one escaping helper of render/: control characters become visible escapes, nothing else changes.
import { describe, expect, it } from 'vitest';
import { escapeControls, escapeLines, escapeStrings } from '../../src/render/escape-text.js';

describe('escapeControls', () => {
  it.each([
    ['\u001b[2J\u001b[31mEvil', '\\x1b[2J\\x1b[31mEvil'],
    ['two\nlines\r\n', 'two\\nlines\\r\\n'],
    ['tab\there', 'tab\\there'],
    ['nul\u0000 del\u007f c1\u009b', 'nul\\x00 del\\x7f c1\\x9b'],
    ['abc\u202edcba\u2066x\u2069', 'abc\\u202edcba\\u2066x\\u2069'],
    ['line\u2028sep', 'line\\u2028sep'],
  ])('escapes %j', (text, escaped) => {
    expect(escapeControls(text)).toBe(escaped);
    expect(escapeControls(escaped)).toBe(escaped);
  });

  it('leaves printable text alone, whatever its script', () => {
    for (const text of ['Slack', 'Salesforce for iOS', 'Zürich Büro — 東京 ✓ 🚀', 'back\\slash', '']) expect(escapeControls(text)).toBe(text);
  });
});

describe('escapeLines and escapeStrings', () => {
  it('keeps the line breaks of a message that is several lines on purpose', () => {
    expect(escapeLines('first \u001b[1m\nsecond\t')).toBe('first \\x1b[1m\nsecond\\t');
  });

  it('escapes every string at any depth, and returns the value itself when nothing needs it', () => {
    const clean = { a: ['x', { b: 'y' }], n: 1, t: true, none: null };
    expect(escapeStrings(clean)).toBe(clean);
    const dirty = { app: { name: 'A\nB' }, users: ['u\u001b'], n: 2, none: null };
    expect(escapeStrings(dirty)).toEqual({ app: { name: 'A\\nB' }, users: ['u\\x1b'], n: 2, none: null });
    expect(dirty.app.name).toBe('A\nB');
  });
});
