// Deterministic JSON for the org store (SPEC §4): object keys sorted at every level (no object of
// the store gives its key order a meaning; arrays keep their order, which may carry one), two-space
// indent, a trailing newline. The same value always gives the same bytes, so git diffs stay minimal.
//
// Speed matters: one app file may hold a hundred thousand sessions. The native JSON.stringify does
// the writing; this module only makes sure every object it sees has its keys in sorted order, and
// copies an object only when its keys are not sorted already (files read from the store, or built
// with sorted literals, are copied nowhere).

/** Whether a parsed JSON value is an object (not null, not a list). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The store's deterministic JSON text of a value: sorted keys, two-space indent, trailing newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(withSortedKeys(value), null, 2)}\n`;
}

/** The value itself when every object in it already has sorted keys, else a copy that has. */
export function withSortedKeys<T>(value: T): T {
  return sortDeep(value) as T;
}

function sortDeep(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const sorted = sortDeep(item);
      if (sorted !== item) {
        copy ??= value.slice();
        copy[i] = sorted;
      }
    }
    return copy ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let inOrder = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      inOrder = false;
      break;
    }
  }
  let changed: Map<string, unknown> | undefined;
  for (const key of keys) {
    const member = record[key];
    const sorted = sortDeep(member);
    if (sorted !== member) (changed ??= new Map()).set(key, sorted);
  }
  if (inOrder && changed === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const key of inOrder ? keys : keys.slice().sort()) out[key] = changed?.has(key) ? changed.get(key) : record[key];
  return out;
}
