// The org's lock: `<org folder>/.lock`, one apply at a time per org. The lock file is written in
// full under a temporary name and then hard-linked to `.lock`: link() fails when `.lock` exists, so
// taking the lock is exclusive (like open 'wx'), and a reader never sees a half-written lock.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, readFileSync } from 'node:fs';
import { link, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LockHeldError, RefusedError, StoreError } from '../model/index.js';
import type { LockInfo } from './org-store.js';
import { isAlreadyExists, removeIfPresent, syncDir, writeNewFileDurably } from './durable-fs.js';
import { formatJson } from './json-format.js';
import { lockFileName } from './file-layout.js';
import { entryProblemOf, EntryProblem, openRegularFile } from './store-entry.js';

/** How to take a lock. */
export interface LockOptions {
  /** How long to wait for a held lock, in milliseconds (0: try once). */
  timeoutMs: number;
  /** The command taking the lock, shown to whoever finds it held. */
  command: string;
  /** Who takes it (default: the user running the process). */
  user?: string;
  /** Called once when the lock is found held and the taker starts waiting. */
  onWait?: (holder: LockInfo) => void;
}

/** The command a person runs to clear a stale lock, for messages. */
export type UnlockCommand = (org: string, id: string) => string;

const defaultUnlockCommand: UnlockCommand = (org, id) => `capctl unlock ${org} ${id}`;

const pollMs = 50;

/** Takes the lock of the org folder `orgDir`, waiting up to `timeoutMs`; throws LockHeldError. */
export async function acquireLock(
  orgDir: string,
  org: string,
  options: LockOptions,
  unlockCommand: UnlockCommand = defaultUnlockCommand,
): Promise<LockInfo> {
  const info: LockInfo = {
    id: randomBytes(6).toString('hex'),
    host: os.hostname(),
    pid: process.pid,
    user: options.user ?? currentUser(),
    command: options.command,
    acquiredAt: new Date().toISOString(),
  };
  const lockFile = path.join(orgDir, lockFileName);
  // Not ending in the store's temporary suffix: recovery (run by a lock holder) must not remove
  // the half-made lock of a process that is waiting.
  const temp = path.join(orgDir, `.lock.${info.id}.taking`);
  try {
    await writeNewFileDurably(temp, formatJson(info));
  } catch (error) {
    await removeIfPresent(temp).catch(() => false);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new StoreError(`cannot write in the org store ${orgDir} (${code === 'EROFS' ? 'a read-only file system' : 'permission denied'}): this command changes the store; nothing was changed`);
    }
    throw error;
  }
  const deadline = Date.now() + Math.max(0, options.timeoutMs);
  let waited = false;
  try {
    for (;;) {
      try {
        await link(temp, lockFile);
        await syncDir(orgDir);
        return info;
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
      const holder = await readLockInfo(orgDir, org);
      if (holder === undefined) continue; // released between our attempt and the read: try again
      if (holder.unreadable !== undefined) throw new LockHeldError(describeUnreadable(org, orgDir, holder, unlockCommand));
      if (isStale(holder)) throw new LockHeldError(describeStale(org, holder, unlockCommand));
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new LockHeldError(describeHeld(org, holder) + (options.timeoutMs > 0 ? ` (waited ${options.timeoutMs} ms)` : ''));
      if (!waited) {
        waited = true;
        options.onWait?.(holder);
      }
      await sleep(Math.min(pollMs, remaining));
    }
  } finally {
    await removeIfPresent(temp);
  }
}

/** Removes the lock when it is still the one with this id (a lock cleared by unlock stays another's). */
export async function releaseLock(orgDir: string, id: string): Promise<void> {
  const holder = await readLockInfo(orgDir).catch(() => undefined);
  if (holder?.id === id) await removeIfPresent(path.join(orgDir, lockFileName));
}

/**
 * `capctl unlock ORG LOCK_ID`: removes the lock only when its id is `id`. Refuses when there is no
 * lock, when the id differs, or (without `force`) when the holder is a live process on this host.
 */
export async function removeLock(orgDir: string, org: string, id: string, options: { force?: boolean } = {}): Promise<LockInfo> {
  const holder = await readLockInfo(orgDir, org);
  if (holder === undefined) throw new RefusedError(`${org} is not locked: there is no lock ${id} to remove`);
  if (holder.unreadable !== undefined && holder.id !== id) {
    throw new RefusedError(`the lock file of ${org} ${holder.unreadable} (it is not a lock capctl wrote); its id is ${holder.id}, not ${id}: nothing was removed`);
  }
  if (holder.id !== id) {
    throw new RefusedError(`the lock of ${org} has id ${holder.id}, not ${id}: nothing was removed (${describeHolder(holder)})`);
  }
  if (!options.force && holder.host === os.hostname() && processIsAlive(holder.pid)) {
    throw new RefusedError(
      `the lock of ${org} is held by a running process (${describeHolder(holder)}): nothing was removed; wait for it to finish, or add --force if that process is not capctl`,
    );
  }
  await removeIfPresent(path.join(orgDir, lockFileName));
  return holder;
}

/** A lock as read from `.lock`: who holds it, or, for a file that is not a lock capctl wrote, why. */
export interface ReadLock extends LockInfo {
  /** Set when `.lock` is not a capctl lock (empty, not JSON, no id): its id is then the hash of its bytes. */
  unreadable?: string;
}

/**
 * Who holds the org's lock, or undefined when nobody does. A `.lock` that is not a regular file
 * throws LockHeldError (exit 3: nobody can take the lock while it is there), a link StoreError (the
 * store follows no link). A file that is not a lock capctl wrote (empty, garbled) is returned with
 * `unreadable` set and an id that is a hash of its bytes, so that `capctl unlock` removes exactly it.
 */
export async function readLockInfo(orgDir: string, org = path.basename(orgDir)): Promise<ReadLock | undefined> {
  let bytes: Buffer;
  try {
    const fd = openRegularFile(orgDir, lockFileName);
    if (fd === undefined) return undefined;
    try {
      bytes = readFileSync(fd);
    } catch (error) {
      throw entryProblemOf(orgDir, lockFileName, error);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (!(error instanceof EntryProblem)) throw error;
    const where = path.join(orgDir, lockFileName);
    if (/symbolic link/.test(error.problem)) {
      throw new StoreError(`the org store ${orgDir} is malformed: ${where} is a symbolic link; the store follows no link (remove it once no capctl run is under way)`);
    }
    throw new LockHeldError(`${org} cannot be locked: ${where} ${error.problem}; it is not a lock capctl wrote: remove it by hand once no capctl run is under way`);
  }
  const value = parseLockJson(bytes);
  if (typeof value === 'string') {
    return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 12), host: '?', pid: 0, user: '?', command: '?', acquiredAt: '?', unreadable: value };
  }
  return {
    id: value.id,
    host: String(value.host ?? '?'),
    pid: typeof value.pid === 'number' ? value.pid : 0,
    user: String(value.user ?? '?'),
    command: String(value.command ?? '?'),
    acquiredAt: String(value.acquiredAt ?? '?'),
  };
}

/** The fields of a lock file, or why it is not a lock capctl wrote. */
function parseLockJson(bytes: Buffer): (Partial<LockInfo> & { id: string }) | string {
  if (bytes.length === 0) return 'is empty';
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return 'is not JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'is not a JSON object';
  const { id } = value as { id?: unknown };
  if (typeof id !== 'string' || !/^[0-9a-f]{1,64}$/.test(id)) return 'has no lock id';
  return value as Partial<LockInfo> & { id: string };
}

/**
 * Removes half-taken lock files (`.lock.<id>.taking`) left by processes of this host that were
 * killed while taking the lock; returns how many. Those of live processes (waiting for the lock
 * right now) stay.
 */
export async function removeDeadTakers(orgDir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(orgDir)) {
    if (!/^\.lock\.[0-9a-f]+\.taking$/.test(name)) continue;
    const file = path.join(orgDir, name);
    let taker: Partial<LockInfo>;
    try {
      const fd = openRegularFile(orgDir, name);
      if (fd === undefined) continue;
      try {
        taker = JSON.parse(readFileSync(fd, 'utf8')) as Partial<LockInfo>;
      } finally {
        closeSync(fd);
      }
    } catch {
      continue; // still being written, gone, or not a file capctl wrote (never followed)
    }
    if (taker.host === os.hostname() && typeof taker.pid === 'number' && !processIsAlive(taker.pid) && (await removeIfPresent(file))) removed++;
  }
  return removed;
}

/** Whether a holder is a process of this host that no longer runs. */
function isStale(holder: LockInfo): boolean {
  return holder.host === os.hostname() && holder.pid > 0 && !processIsAlive(holder.pid);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function describeHolder(holder: LockInfo): string {
  return `user ${holder.user} on host ${holder.host}, pid ${holder.pid}, since ${holder.acquiredAt}, running "${holder.command}", lock id ${holder.id}`;
}

function describeHeld(org: string, holder: LockInfo): string {
  return `${org} is locked by ${describeHolder(holder)}`;
}

function describeStale(org: string, holder: LockInfo, unlockCommand: UnlockCommand): string {
  return `${describeHeld(org, holder)}; the lock is stale: process ${holder.pid} is no longer running on this host. Clear it with: ${unlockCommand(org, holder.id)}`;
}

function describeUnreadable(org: string, orgDir: string, holder: ReadLock, unlockCommand: UnlockCommand): string {
  return `${org} cannot be locked: its lock file ${path.join(orgDir, lockFileName)} ${holder.unreadable}, so it is not a lock capctl wrote (an interrupted copy, or an edit?). If no capctl run is under way, clear it with: ${unlockCommand(org, holder.id)}`;
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
