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
  const entries = [...fileHashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256');
  for (const [rel, fileHash] of entries) hash.update(`${rel} ${fileHash}\n`);
  return `sha256:${hash.digest('hex')}`;
}
