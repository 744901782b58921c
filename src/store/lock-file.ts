// The org's lock: `<org folder>/.lock`, one apply at a time per org. The lock file is written in
// full under a temporary name and then hard-linked to `.lock`: link() fails when `.lock` exists, so
// taking the lock is exclusive (like open 'wx'), and a reader never sees a half-written lock.
import { randomBytes } from 'node:crypto';
import { link, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LockHeldError, RefusedError } from '../model/index.js';
import type { LockInfo } from './org-store.js';
import { isAlreadyExists, isNotFound, removeIfPresent, syncDir, writeNewFileDurably } from './durable-fs.js';
import { formatJson } from './json-format.js';
import { lockFileName } from './file-layout.js';

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
  await writeNewFileDurably(temp, formatJson(info));
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
      const holder = await readLockInfo(orgDir);
      if (holder === undefined) continue; // released between our attempt and the read: try again
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
  const holder = await readLockInfo(orgDir);
  if (holder?.id === id) await removeIfPresent(path.join(orgDir, lockFileName));
}

/**
 * `capctl unlock ORG LOCK_ID`: removes the lock only when its id is `id`. Refuses when there is no
 * lock, when the id differs, or (without `force`) when the holder is a live process on this host.
 */
export async function removeLock(orgDir: string, org: string, id: string, options: { force?: boolean } = {}): Promise<LockInfo> {
  const holder = await readLockInfo(orgDir);
  if (holder === undefined) throw new RefusedError(`${org} is not locked: there is no lock ${id} to remove`);
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

/** Who holds the org's lock, or undefined when nobody does. */
export async function readLockInfo(orgDir: string): Promise<LockInfo | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(orgDir, lockFileName), 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockInfo>;
    return {
      id: String(value.id ?? '?'),
      host: String(value.host ?? '?'),
      pid: Number(value.pid ?? 0),
      user: String(value.user ?? '?'),
      command: String(value.command ?? '?'),
      acquiredAt: String(value.acquiredAt ?? '?'),
    };
  } catch {
    return { id: '?', host: '?', pid: 0, user: '?', command: '?', acquiredAt: '?' };
  }
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
      taker = JSON.parse(await readFile(file, 'utf8')) as Partial<LockInfo>;
    } catch {
      continue; // still being written, or gone
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
