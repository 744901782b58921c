// The one way apply and refresh take an org's lock: the command line and who runs it go into the
// lock file, and a holder met on the way is reported once.
import type { LockInfo, OrgLock, OrgLocker, OrgStore } from '../store/org-store.js';

/** How a command waits for its org's lock. */
export interface LockWaitOptions {
  lockTimeoutMs: number;
  /** The command line, written into the lock file. */
  command: string;
  /** Called once when another run holds the lock and this one starts waiting. */
  onWait?(holder: LockInfo): void;
}

/** Takes the org's lock for `user` (see OrgLocker.lock). */
export function takeLock(store: OrgLocker, org: string, user: string, options: LockWaitOptions): Promise<OrgLock> {
  return store.lock(org, { timeoutMs: options.lockTimeoutMs, command: options.command, user, ...(options.onWait ? { onWait: options.onWait } : {}) });
}

/** What a run under an org's lock (a refresh, file or live) is given: the store, the org, who runs it, the clock, how to wait. */
export interface LockedRunOptions extends LockWaitOptions {
  store: OrgStore;
  org: string;
  actor: string;
  now(): Date;
}
