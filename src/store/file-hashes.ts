// What the file store knows of the files it read or wrote: each file's content hash and how to
// tell, from a stat alone, that it has not changed since; and the snapshot digest of those hashes,
// kept up to date as commits change single files (store-digest.ts).
import { closeSync, fstatSync, lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isNotFound } from './durable-fs.js';
import { entryProblemOf, openRegularFile } from './store-entry.js';
import { hashBytes, snapshotDigest, SnapshotDigester } from './store-digest.js';

/** What the store knows of one file it read or wrote: its content hash, and how to tell it changed. */
export interface FileEntry {
  hash: string;
  size: number;
  mtimeMs: number;
  /** Changes with any write, rename or metadata change, and no tool can set it back. */
  ctimeMs: number;
  ino: number;
}

/** Per org: the files of the snapshot digest (relative path → entry). */
export type HashCache = Map<string, FileEntry>;

/** Digesters kept beside hash caches, updated as commits change single files. */
const digesters = new WeakMap<HashCache, SnapshotDigester>();

/** The digester of a cache, built on first use. */
export function digesterOf(cache: HashCache): SnapshotDigester {
  let digester = digesters.get(cache);
  if (digester === undefined) {
    digester = new SnapshotDigester([...cache].map(([rel, entry]) => [rel, entry.hash] as const));
    digesters.set(cache, digester);
  }
  return digester;
}

/** Drops a cache's digester (after changes it may not have followed): built again when next needed. */
export function forgetDigester(cache: HashCache): void {
  digesters.delete(cache);
}

/** The snapshot digest of the files an org's cache knows (store-digest.ts). */
export function digestOfEntries(cache: HashCache): string {
  return digesterOf(cache).digest()!;
}

/** The snapshot digest of `cache` with some files rewritten (new hash) and some removed (null), from scratch. */
export function digestAfter(cache: HashCache, changes: ReadonlyMap<string, { hash: string } | null>): string {
  const hashes = new Map([...cache].map(([rel, entry]) => [rel, entry.hash]));
  for (const [rel, file] of changes) {
    if (file === null) hashes.delete(rel);
    else hashes.set(rel, file.hash);
  }
  return snapshotDigest(hashes);
}

/**
 * A file's bytes and entry, or undefined when it does not exist; `rel` is relative to the org
 * folder. Read synchronously: a store is thousands of files, mostly in the page cache, and the
 * promise API's per-file cost (a FileHandle, thread-pool round trips for open, fstat, read and
 * close) is three times the read itself. Only a regular file is read, never through a link:
 * anything else throws EntryProblem (store-entry.ts).
 */
export async function readWithEntry(orgDir: string, rel: string): Promise<{ bytes: Buffer; entry: FileEntry } | undefined> {
  const fd = openRegularFile(orgDir, rel);
  if (fd === undefined) return undefined;
  try {
    const info = fstatSync(fd);
    let bytes: Buffer;
    try {
      bytes = readFileSync(fd);
    } catch (error) {
      throw entryProblemOf(orgDir, rel, error);
    }
    return { bytes, entry: { hash: hashBytes(bytes), size: bytes.length, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino } };
  } finally {
    closeSync(fd);
  }
}

/**
 * The entry of a file as it is on disk now: the cached one when size, mtime and inode still match.
 * A link or any entry that is not a regular file is never trusted: read, it throws EntryProblem.
 */
export async function currentEntry(orgDir: string, rel: string, cache: HashCache): Promise<FileEntry | undefined> {
  let info;
  try {
    info = lstatSync(path.join(orgDir, rel)); // synchronous, as readWithEntry: 10,000 of them
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw entryProblemOf(orgDir, rel, error);
  }
  const cached = cache.get(rel);
  if (info.isFile() && cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs && cached.ctimeMs === info.ctimeMs && cached.ino === info.ino) {
    return cached;
  }
  return (await readWithEntry(orgDir, rel))?.entry;
}
