// The usage page as JSON (schemas/usage.schema.json), written in pieces so that it streams: the
// pieces put together are exactly JSON.stringify(page, null, 2) plus a newline. Pure.
import type { UsageAppRow, UsageOrgRef, UsageTotals } from '../model/index.js';

/** The format version of `capctl usage --format json`. */
export const usageFormatVersion = 1;

/** JSON of a value at a nesting depth: every line after the first indented to that depth. */
function nested(value: unknown, depth: number): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${'  '.repeat(depth)}`);
}

/** Writes the items of a JSON array member one chunk at a time. */
export class JsonArrayPieces {
  private count = 0;

  /** The items of a chunk, each at the array's depth, with the commas between them. */
  items(values: readonly unknown[]): string {
    let out = '';
    for (const value of values) {
      out += `${this.count === 0 ? '\n' : ',\n'}    ${nested(value, 2)}`;
      this.count++;
    }
    return out;
  }

  /** The closing bracket of the array. */
  close(): string {
    return this.count === 0 ? ']' : '\n  ]';
  }
}

/** `"desired": …` after `org`, when owner, vendor and criticality were read from a desired-state folder. */
function desiredMember(desired: string | undefined): string {
  return desired === undefined ? '' : `\n  "desired": ${JSON.stringify(desired)},`;
}

/** The start of the apps page, up to the opening bracket of `apps` (`desired`: the folder owner, vendor and criticality come from). */
export function renderUsageJsonStart(org: UsageOrgRef, desired?: string): string {
  return `{\n  "formatVersion": ${usageFormatVersion},\n  "view": "apps",\n  "org": ${nested({ name: org.name, id: org.id }, 1)},${desiredMember(desired)}\n  "apps": [`;
}

/** The end of the apps page, after its last row. */
export function renderUsageJsonEnd(pieces: JsonArrayPieces, totals: UsageTotals, api?: readonly unknown[]): string {
  return `${pieces.close()},\n  "totals": ${nested(totals, 1)}${apiTail(api)}\n}\n`;
}

/** The start of an app page, up to the opening bracket of `users` (`desired`: the folder owner, vendor and criticality come from). */
export function renderAppUsageJsonStart(org: UsageOrgRef, row: UsageAppRow, desired?: string): string {
  return `{\n  "formatVersion": ${usageFormatVersion},\n  "view": "app",\n  "org": ${nested({ name: org.name, id: org.id }, 1)},${desiredMember(desired)}\n  "app": ${nested(row, 1)},\n  "users": [`;
}

/** The end of an app page, after its last user (`unknownFlowSessions` only when some session's flow is not known). */
export function renderAppUsageJsonEnd(pieces: JsonArrayPieces, hidden: number, unknown = 0, api?: readonly unknown[]): string {
  return `${pieces.close()},\n  "usernamePasswordSessionsHidden": ${hidden}${unknown > 0 ? `,\n  "unknownFlowSessions": ${unknown}` : ''}${apiTail(api)}\n}\n`;
}

/** The live reads of a connected org (`api`), last; nothing on a file store. */
function apiTail(api: readonly unknown[] | undefined): string {
  return api && api.length > 0 ? `,\n  "api": ${nested(api, 1)}` : '';
}
