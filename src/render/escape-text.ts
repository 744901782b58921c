// Names come from files anyone can edit in a pull request (an app's label in the store, a username,
// a file name): a name holding control characters must never move the terminal's cursor, recolour
// or clear it, reorder text (bidirectional controls), break a table row or add a line to a commit
// subject. Every text renderer prints data through these helpers; JSON output needs none.

/** C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const controlPattern = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const controlPatternAll = new RegExp(controlPattern.source, 'g');
const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with each control character written as an escape (`\n`, `\t`, `\x1b`, `\u202e`): one line, inert. */
export function escapeControls(text: string): string {
  if (!controlPattern.test(text)) return text;
  return text.replace(controlPatternAll, (c) => {
    const code = c.charCodeAt(0);
    return named[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/** Each line of `text` escaped, the line breaks between them kept: for messages that are several lines on purpose. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeControls).join('\n');
}

/**
 * `value` with every string in it (at any depth) escaped: what a text renderer works from. Returns
 * `value` itself when nothing needs escaping, so the common case costs one walk and no copy.
 */
export function escapeStrings<T>(value: T): T {
  return hasControls(value) ? (copyEscaped(value) as T) : value;
}

function hasControls(value: unknown): boolean {
  if (typeof value === 'string') return controlPattern.test(value);
  if (Array.isArray(value)) return value.some(hasControls);
  if (value !== null && typeof value === 'object') {
    for (const key in value) if (Object.hasOwn(value, key) && (controlPattern.test(key) || hasControls((value as Record<string, unknown>)[key]))) return true;
  }
  return false;
}

function copyEscaped(value: unknown): unknown {
  if (typeof value === 'string') return escapeControls(value);
  if (Array.isArray(value)) return value.map(copyEscaped);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) out[escapeControls(key)] = copyEscaped(member);
    return out;
  }
  return value;
}
