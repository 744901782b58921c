// Store JSON text → value, as strict as the desired state's YAML loader: a leading byte order mark
// is dropped (the YAML loader's UTF-8 decoding drops it too), and a key an object has twice is an
// error, never "the last one wins" (JSON.parse's rule, which would let a file show a reviewer one
// value and give capctl another).
//
// Speed matters (the store of SPEC §11 is ~200 MB of JSON): JSON.parse does the parsing, and a
// duplicate is ruled out by counting, not by keeping every object's keys. Each key of the text is
// a string followed by ':', and the text is scanned from quote to quote (indexOf, no tokenizer) to
// count them; the value has one key for each distinct key of each object. Equal counts prove there
// is no duplicate; otherwise the slow scanner of json-locate.ts finds the first and says where.
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
  if (countKeyStrings(text) !== countKeys(value)) {
    const duplicate = findDuplicateKey(text);
    if (duplicate !== undefined) {
      const message = `duplicate key ${JSON.stringify(duplicate.key)} (also at line ${duplicate.first.line}, column ${duplicate.first.column}): JSON keeps only one of them`;
      return { problem: { kind: 'duplicate-key', message, at: { line: duplicate.line, column: duplicate.column } }, text };
    }
  }
  return { value, text };
}

/**
 * The strings followed (after white space) by ':' in a JSON text that parses: its keys. Outside
 * its strings a JSON text has no quote, so quotes pair up from the start: each string ends at the
 * first quote after its opening one that an even number of backslashes precedes.
 */
function countKeyStrings(text: string): number {
  let count = 0;
  for (let open = text.indexOf('"'); open !== -1; ) {
    let close = open;
    for (;;) {
      close = text.indexOf('"', close + 1);
      if (close === -1) return count;
      let backslash = close - 1;
      while (text.charCodeAt(backslash) === 0x5c) backslash--;
      if ((close - 1 - backslash) % 2 === 0) break;
    }
    let next = close + 1;
    let c = text.charCodeAt(next);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++next);
    if (c === 0x3a) count++;
    open = text.indexOf('"', next);
  }
  return count;
}

/** The keys of every object in a parsed JSON value. */
function countKeys(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countKeys(item);
    return count;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) count += 1 + countKeys(object[key]);
  return count;
}
