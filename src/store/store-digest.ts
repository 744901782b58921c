// The snapshot digest of an org: what a plan records as its basis, and what a ledger line records
// after each action. It covers org.json, users.json and apps/*.json (not the ledger, the lock or a
// journal), changes whenever any byte of them changes, and does not depend on the order the files
// were read in.
import { createHash, type Hash } from 'node:crypto';
import type { OrgSnapshot } from '../model/index.js';
import { appFileName, orgFileName, usersFileName } from './file-layout.js';
import { formatJson } from './json-format.js';
import { byCodePoint } from '../plan/names.js';

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
  if (!isSortedByPath(entries)) entries.sort(([a], [b]) => byCodePoint(a, b));
  const lines = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) lines[i] = `${entries[i]![0]} ${entries[i]![1]}\n`;
  return `sha256:${createHash('sha256').update(lines.join('')).digest('hex')}`;
}

function isSortedByPath(entries: readonly (readonly [string, string])[]): boolean {
  for (let i = 1; i < entries.length; i++) if (entries[i - 1]![0] > entries[i]![0]) return false;
  return true;
}

/**
 * The snapshot digest of a set of files, kept up to date as single files change: the lines of
 * snapshotDigest held in one buffer, each file's hash at a known offset, and the sha256 state at
 * every chunk boundary. An apply digests the store after every action; rewriting one 64-character
 * hash in place and hashing only from its chunk on costs a fraction of a millisecond, where
 * rebuilding and hashing the lines of 10,000 files costs several.
 */
export class SnapshotDigester {
  private readonly offsets = new Map<string, number>();
  private readonly buffer: Buffer;
  /** states[c]: the hash of the buffer's first c chunks (bytes before c × chunkSize); valid up to `valid`. */
  private states: Hash[] = [createHash('sha256')];
  private valid = 0;
  /** The states a look-ahead digest() found, for update() to keep when it makes the same changes. */
  private ahead: { changes: ReadonlyMap<string, string>; from: number; states: Hash[] } | undefined;

  constructor(fileHashes: Iterable<readonly [string, string]>) {
    const entries = [...fileHashes];
    if (!isSortedByPath(entries)) entries.sort(([a], [b]) => byCodePoint(a, b));
    let offset = 0;
    const lines = new Array<string>(entries.length);
    entries.forEach(([rel, fileHash], i) => {
      lines[i] = `${rel} ${fileHash}\n`;
      // A hash that is not 64 characters would move the lines after it: such a file is never updated in place.
      if (fileHash.length === hexLength) this.offsets.set(rel, offset + Buffer.byteLength(rel) + 1);
      offset += Buffer.byteLength(lines[i]!);
    });
    this.buffer = Buffer.from(lines.join(''), 'utf8');
  }

  /**
   * The digest with some files' hashes replaced (`changes`: path → new hash), as snapshotDigest
   * would give it, leaving this digester as it is; undefined when a change is to a file it does not
   * hold (or is not a 64-character hash): the caller then digests from scratch.
   */
  digest(changes: ReadonlyMap<string, string> = new Map()): string | undefined {
    if (!this.accepts(changes)) return undefined;
    const first = Math.min(this.valid, this.firstChunk(changes));
    // Write the changes in place for the hashing, and put the old hashes back after it.
    const saved = [...changes.keys()].map((rel) => [this.offsets.get(rel)!, this.buffer.toString('latin1', this.offsets.get(rel)!, this.offsets.get(rel)! + hexLength)] as const);
    for (const [rel, fileHash] of changes) this.buffer.write(fileHash, this.offsets.get(rel)!, 'latin1');
    try {
      const hash = this.states[first]!.copy();
      const states: Hash[] = [];
      for (let c = first; c * chunkSize < this.buffer.length; c++) {
        hash.update(this.buffer.subarray(c * chunkSize, (c + 1) * chunkSize));
        states.push(hash.copy());
      }
      if (changes.size === 0) this.keep(first, states);
      else this.ahead = { changes, from: first, states };
      return `sha256:${hash.digest('hex')}`;
    } finally {
      for (const [offset, old] of saved) this.buffer.write(old, offset, 'latin1');
    }
  }

  /** Replaces files' hashes for good; false (and nothing changed) when digest(changes) would be undefined. */
  update(changes: ReadonlyMap<string, string>): boolean {
    if (!this.accepts(changes)) return false;
    for (const [rel, fileHash] of changes) this.buffer.write(fileHash, this.offsets.get(rel)!, 'latin1');
    const ahead = this.ahead;
    this.ahead = undefined;
    this.valid = Math.min(this.valid, this.firstChunk(changes));
    if (ahead !== undefined && ahead.changes === changes && ahead.from <= this.valid) this.keep(ahead.from, ahead.states);
    return true;
  }

  /** Records the states after chunks from+1, from+2, … (as hashed by digest()). */
  private keep(from: number, states: readonly Hash[]): void {
    this.states.length = from + 1;
    this.states.push(...states);
    this.valid = this.states.length - 1;
  }

  /** The chunk holding the first byte a change rewrites (the end of the buffer when none). */
  private firstChunk(changes: ReadonlyMap<string, string>): number {
    let offset = this.buffer.length;
    for (const rel of changes.keys()) offset = Math.min(offset, this.offsets.get(rel)!);
    return Math.floor(offset / chunkSize);
  }

  private accepts(changes: ReadonlyMap<string, string>): boolean {
    for (const [rel, fileHash] of changes) if (!this.offsets.has(rel) || fileHash.length !== hexLength) return false;
    return true;
  }
}

const hexLength = 64;
const chunkSize = 16 * 1024;

/** Per part of a snapshot (the org, its users, one app): the sha256 of its deterministic JSON, computed once per value. */
const partHashes = new WeakMap<object, string>();

function partHash(value: object): string {
  let hash = partHashes.get(value);
  if (hash === undefined) {
    hash = hashBytes(Buffer.from(formatJson(value), 'utf8'));
    partHashes.set(value, hash);
  }
  return hash;
}

/**
 * The snapshot digest of org data, computed over its canonical form (each part as deterministic
 * JSON), not over files: what any backend gives a snapshot, and what the file store gives the files
 * it wrote. Values are immutable (transitions copy what they change), so each part is hashed once.
 */
export function digestOfData(data: Pick<OrgSnapshot, 'org' | 'users' | 'apps'>): string {
  const parts: [string, string][] = [
    [orgFileName, partHash(data.org)],
    [usersFileName, partHash(data.users)],
  ];
  for (const app of data.apps) parts.push([appFileName(app.id), partHash(app)]);
  return snapshotDigest(parts);
}
