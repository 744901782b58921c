// The org store interface: everything above src/store/ talks to an org through this, so that a
// backend for a real org can replace the file store without changing the planner or apply.
import type { Action, LedgerLine, OrgFile, OrgSnapshot } from '../model/index.js';

/** Who holds an org's lock, as written in the lock file. */
export interface LockInfo {
  id: string;
  host: string;
  pid: number;
  user: string;
  command: string;
  acquiredAt: string;
}

/** A held lock; release it in a finally block. */
export interface OrgLock {
  info: LockInfo;
  release(): Promise<void>;
}

/** A file of the org's folder to replace (content) or remove (null), relative to the org folder. */
export interface FileChange {
  path: string;
  content: string | null;
}

/** One atomic change of an org: files replaced and, at the same moment, one ledger line appended. */
export interface StoreChange {
  files: FileChange[];
  /**
   * The ledger line appended with the files; or a function that builds it from the snapshot
   * digest the store will have right after the change (for ActionResult.storeDigest).
   */
  ledgerLine?: LedgerLine | ((storeDigest: string) => LedgerLine);
}

/** Who carries out an action, under which plan, and when. */
export interface CarryOutContext {
  actor: string;
  planDigest: string;
  at: Date;
  /** The first action of an apply also raises the store revision by one, in the same atomic change. */
  bumpRevision: boolean;
}

/** What a snapshot read tells before it is done, so that output can start at once on a large org. */
export interface SnapshotReadOptions {
  /** Called once, when the org's own record has been read and is valid, before its apps are read. */
  onOrg?(org: OrgFile, appCount: number): void;
}

/** One org store (the file store of org-state/, or later a real org). */
export interface OrgStore {
  /** The org slugs the store holds, sorted. */
  listOrgs(): Promise<string[]>;
  /** Reads and validates one org; throws StoreError naming the file and the problem. */
  readSnapshot(org: string, options?: SnapshotReadOptions): Promise<OrgSnapshot>;
  /** The org's ledger lines, in order (empty when it has none). */
  readLedger(org: string): Promise<LedgerLine[]>;
  /**
   * Carries out one action: the org's files and the ledger line change together or not at all.
   * Returns the ledger line written. Call only while holding the org's lock.
   */
  carryOut(org: string, action: Action, context: CarryOutContext): Promise<LedgerLine>;
  /** Takes the org's lock, waiting up to timeoutMs; throws LockHeldError naming the holder. */
  lock(
    org: string,
    options: { timeoutMs: number; command: string; user?: string; onWait?: (holder: LockInfo) => void },
  ): Promise<OrgLock>;
  /** Removes a lock left behind, only when its id matches. */
  unlock(org: string, lockId: string): Promise<void>;
}
