// Store JSON text → value, as strict as the desired state's YAML loader: a leading byte order mark
// is dropped (the YAML loader's UTF-8 decoding drops it too), and a key an object has twice is an
// error, never "the last one wins" (JSON.parse's rule, which would let a file show a reviewer one
// value and give capctl another).
//
// Speed matters (the store of SPEC §11 is ~200 MB of JSON): JSON.parse does the parsing, and a
// duplicate is ruled out by counting, not by keeping every object's keys. The value has one key
// for each distinct key of each object; when no colon follows white space, the text has at least as
// many unescaped `":` as keys (see countTightKeys), and indexOf counts those at native speed.
// Equal counts prove there is no duplicate (the text's keys are at least the value's, and at most
// the count); otherwise the slow scanner of json-locate.ts finds the first and says where.
import { findDuplicateKey, findJsonSyntaxError, type TextPosition } from './json-locate.js';

/** A problem of a store JSON text. */
export interface JsonTextProblem {
  kind: 'syntax' | 'duplicate-key';
  message: string;
  at?: TextPosition;
}

/** The value of a store JSON text, or its problem. */
export function parseStoreJson(raw: string): { value: unknown; text: string } | { problem: JsonTextProblem; text: string } {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const found = findJsonSyntaxError(text);
    const problem: JsonTextProblem = { kind: 'syntax', message: `JSON syntax error: ${found?.message ?? (error as Error).message}` };
    if (found) problem.at = { line: found.line, column: found.column };
    return { problem, text };
  }
  if (countTightKeys(text) !== (value !== null && typeof value === 'object' ? countKeys(value) : 0)) {
    const duplicate = findDuplicateKey(text);
    if (duplicate !== undefined) {
      const message = `duplicate key ${JSON.stringify(duplicate.key)} (also at line ${duplicate.first.line}, column ${duplicate.first.column}): JSON keeps only one of them`;
      return { problem: { kind: 'duplicate-key', message, at: { line: duplicate.line, column: duplicate.column } }, text };
    }
  }
  return { value, text };
}

/**
 * The keys of a JSON text that parses, counted from above: the colons that an unescaped quote
 * precedes at once. That counts every key whose colon follows its closing quote at once, and each
 * string that starts with ':' (its opening quote). A colon after white space may belong to a key
 * written `"key" : value`, which this count would miss: such a text (capctl never writes one) gets
 * undefined, and the slow scanner. Colons are rarer than quotes or spaces, so indexOf finds them at
 * native speed; the count costs a fraction of JSON.parse.
 */
function countTightKeys(text: string): number | undefined {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) {
    const before = text.charCodeAt(at - 1);
    if (before === 0x22) {
      let backslash = at - 2;
      while (text.charCodeAt(backslash) === 0x5c) backslash--;
      if ((at - 2 - backslash) % 2 === 0) count++;
    } else if (before === 0x20 || before === 0x0a || before === 0x09 || before === 0x0d) {
      return undefined;
    }
  }
  return count;
}

/**
 * The keys of every object in a parsed JSON value. Only objects and arrays are visited: a call per
 * string or number (five per session of a million) would cost as much as the count itself.
 */
function countKeys(value: object): number {
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object') count += countKeys(item);
    }
    return count;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    count += 1;
    const member = object[key];
    if (member !== null && typeof member === 'object') count += countKeys(member);
  }
  return count;
}
