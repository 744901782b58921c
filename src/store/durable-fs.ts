// Durable file primitives for the store: a file is written to a temporary name in its own folder,
// flushed to disk (fsync), and only then renamed over its target; the folder is flushed after the
// rename so that the new name survives a power cut too. A rename within one folder is atomic, so a
// reader sees either the whole old file or the whole new one, never a mix.
import { randomBytes } from 'node:crypto';
import { lstatSync, statSync, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Every temporary file of the store ends with this, so that recovery can find the ones left behind. */
export const tempSuffix = '.capctl-tmp';

/** A fresh temporary path beside `target` (same folder, so the rename is atomic). */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}${tempSuffix}`);
}

/** Creates `file` (which must not exist), writes `content`, and flushes it to disk. */
export async function writeNewFileDurably(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (names created, renamed or removed) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `target` atomically and durably: temporary file, fsync, rename, fsync the folder. */
export async function replaceFileDurably(target: string, content: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await writeNewFileDurably(temp, content);
    await rename(temp, target);
  } catch (error) {
    await removeIfPresent(temp);
    throw error;
  }
  await syncDir(path.dirname(target));
}

/** Removes a file; true when it was there. */
export async function removeIfPresent(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The names in a folder, or [] when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/** Whether an error is "no such file or folder". */
export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * What a path leads to (links followed; with `followLinks: false`, the entry itself), or undefined
 * when there is nothing there, or a file stands where a folder of the path would be.
 */
export function statIfThere(file: string, options: { followLinks?: boolean } = {}): Stats | undefined {
  try {
    return options.followLinks === false ? lstatSync(file) : statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Whether an error is "already exists". */
export function isAlreadyExists(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EEXIST';
}
