// The snapshot digest of an org: what a plan records as its basis, and what a ledger line records
// after each action. It covers org.json, users.json and apps/*.json (not the ledger, the lock or a
// journal), changes whenever any byte of them changes, and does not depend on the order the files
// were read in.
import { createHash } from 'node:crypto';

/** sha256 (hex) of a file's bytes. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * `sha256:<hex>` over the lines `<relative path> <sha256 hex of its bytes>\n` of every file, sorted
 * by path. Paths are relative to the org folder, with `/` separators.
 */
export function snapshotDigest(fileHashes: Iterable<readonly [string, string]>): string {
  // An apply computes this after every action over 10,000 files: the entries usually come in path
  // order already (a Map filled in order keeps it), so check before sorting, and hash one string
  // instead of 10,000 small ones (the per-call cost of update() is most of the time otherwise).
  const entries = [...fileHashes];
  if (!isSortedByPath(entries)) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) lines[i] = `${entries[i]![0]} ${entries[i]![1]}\n`;
  return `sha256:${createHash('sha256').update(lines.join('')).digest('hex')}`;
}

function isSortedByPath(entries: readonly (readonly [string, string])[]): boolean {
  for (let i = 1; i < entries.length; i++) if (entries[i - 1]![0] > entries[i]![0]) return false;
  return true;
}
