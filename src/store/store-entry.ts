// The entries of an org folder as the store's layout has them, checked before they are trusted.
//
// Invariant: the store reads and writes only paths of its own layout (org.json, users.json,
// apps/<id>.json, ledger.jsonl, .lock, .journal.json and the temporary files it names), and only
// regular files: every file is opened with O_NOFOLLOW and checked with fstat, and the `apps`
// folder is checked not to be a link, so no path leads outside the org's folder. A path recorded
// in the store (a journal's) is accepted only when it is such a layout path; anything else makes
// the store malformed, and the message never quotes what lies outside.
import { constants, fstatSync, lstatSync, openSync, closeSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Codes, StoreError } from '../model/index.js';
import { tempSuffix } from './durable-fs.js';
import { appsDirName, orgFileName, usersFileName } from './file-layout.js';

/**
 * A file of the org folder that cannot be read as the store expects: which, and why. The file
 * store turns it into a malformed store naming the full path; should one escape, it is still a
 * StoreError (exit 1, no stack).
 */
export class EntryProblem extends StoreError {
  constructor(
    /** The path relative to the org folder. */
    readonly rel: string,
    readonly problem: string,
    readonly code: string = Codes.storeUnreadable,
  ) {
    super(`${rel} ${problem}`);
  }
}

/** Opens read-only, never through a link, never blocking on a FIFO. */
const readFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Flags of a file the store appends to (the ledger): created when missing, never through a link. */
export const appendFlags = constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens a regular file of the org folder for reading; undefined when it does not exist. Throws
 * EntryProblem for a link, a folder, another kind of entry, or one the process may not read.
 */
export function openRegularFile(orgDir: string, rel: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path.join(orgDir, rel), readFlags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw entryProblemOf(orgDir, rel, error);
  }
  let info: Stats;
  try {
    info = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw entryProblemOf(orgDir, rel, error);
  }
  if (!info.isFile()) {
    closeSync(fd);
    throw new EntryProblem(rel, kindProblem(info));
  }
  return fd;
}

/** openRegularFile with the promise API, for files read in parts (the ledger's tail). */
export async function openRegularHandle(orgDir: string, rel: string): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path.join(orgDir, rel), readFlags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw entryProblemOf(orgDir, rel, error);
  }
  const info = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw entryProblemOf(orgDir, rel, error);
  });
  if (!info.isFile()) {
    await handle.close();
    throw new EntryProblem(rel, kindProblem(info));
  }
  return handle;
}

/** The problem of an entry that opening or reading it ran into, as a sentence (no stack). */
export function entryProblemOf(orgDir: string, rel: string, error: unknown): EntryProblem {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ELOOP') return new EntryProblem(rel, 'is a symbolic link (the store holds only regular files, and follows no link)');
  if (code === 'EISDIR') return new EntryProblem(rel, 'is a folder, not a file');
  if (code === 'EACCES' || code === 'EPERM') return new EntryProblem(rel, 'cannot be read (permission denied)');
  if (code === 'ENOTDIR') return new EntryProblem(rel, 'lies in something that is not a folder');
  // Any other failure of the file system is still about this entry: named, without a stack.
  let entry: Stats | undefined;
  try {
    entry = lstatOrUndefined(path.join(orgDir, rel));
  } catch {
    entry = undefined;
  }
  if (entry !== undefined && !entry.isFile()) return new EntryProblem(rel, kindProblem(entry));
  return new EntryProblem(rel, `cannot be read (${code ?? (error as Error).message})`);
}

/** A folder of the layout (`apps`): true when it is a folder, false when missing; EntryProblem otherwise. */
export function assertLayoutFolder(orgDir: string, rel: string): boolean {
  let info;
  try {
    info = lstatOrUndefined(path.join(orgDir, rel));
  } catch (error) {
    throw entryProblemOf(orgDir, rel, error);
  }
  if (info === undefined) return false;
  if (info.isSymbolicLink()) throw new EntryProblem(rel, 'is a symbolic link (the store holds only real folders, and follows no link)');
  if (!info.isDirectory()) throw new EntryProblem(rel, info.isFile() ? 'is a file, not a folder' : kindProblem(info).replace(/not a regular file$/, 'not a folder'));
  return true;
}

/** What kind of entry something that should be a regular file is. */
function kindProblem(info: Stats): string {
  if (info.isDirectory()) return 'is a folder, not a file';
  if (info.isSymbolicLink()) return 'is a symbolic link (the store holds only regular files, and follows no link)';
  if (info.isFIFO()) return 'is a named pipe, not a regular file';
  if (info.isSocket()) return 'is a socket, not a regular file';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'is a device, not a regular file';
  if (!info.isFile()) return 'is not a regular file';
  return 'is a regular file';
}

/** The entry at `file` (not following a link); undefined when there is none. */
function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A file of an org's snapshot: org.json, users.json or apps/<18-character id>.json. */
export function isSnapshotFile(rel: string): boolean {
  return rel === orgFileName || rel === usersFileName || (rel.startsWith(`${appsDirName}/`) && /^[a-zA-Z0-9]{18}\.json$/.test(rel.slice(appsDirName.length + 1)));
}

/**
 * Whether `temp` is a temporary file the store itself names for `target` (durable-fs.ts
 * tempPathFor): in the target's folder, `.<name>.<12 hex digits>.capctl-tmp`.
 */
export function isTempFor(target: string, temp: string): boolean {
  if (typeof temp !== 'string') return false;
  const dir = path.posix.dirname(target);
  const prefix = dir === '.' ? '' : `${dir}/`;
  if (!temp.startsWith(prefix)) return false;
  const name = temp.slice(prefix.length);
  const base = path.posix.basename(target);
  return name.startsWith(`.${base}.`) && name.endsWith(tempSuffix) && /^[0-9a-f]{12}$/.test(name.slice(base.length + 2, -tempSuffix.length));
}

/** A recorded path shown in a message: its kind only when it leads outside (never what is there). */
export function describeRecordedPath(value: unknown): string {
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value}`;
  if (path.isAbsolute(value) || path.win32.isAbsolute(value)) return 'an absolute path';
  if (value.split(/[\\/]/).includes('..')) return 'a path with ".."';
  if (value.length > 80 || /[^\x20-\x7e]/.test(value)) return 'a path that is not of the store';
  return JSON.stringify(value);
}
