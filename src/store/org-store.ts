// The org store interface: everything above src/store/ talks to an org through this, so that a
// backend for a real org can replace the file store without changing the planner or apply.
import type { Action, LedgerLine, LedgerRecord, ObservedLine, OrgFile, OrgSnapshot } from '../model/index.js';

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

/**
 * One change of an org: files replaced and one ledger line appended. The file store writes one
 * change, or several in a row, as ONE atomic unit.
 */
export interface StoreChange {
  files: FileChange[];
  /**
   * The ledger line appended with the files; or a function that builds it from the snapshot
   * digest the store will have right after the change (for ActionResult.storeDigest).
   */
  ledgerLine?: LedgerRecord | ((storeDigest: string) => LedgerRecord);
}

/** Who carries out actions, under which plan, and when. */
export interface CarryOutContext {
  actor: string;
  planDigest: string;
  at: Date;
  /** The first action of the run raises the store revision by one (the first action of an apply). */
  bumpRevision: boolean;
}

/** What carrying out a run of actions did. */
export interface CarryOutResult {
  /** The ledger lines of the actions carried out: the run's first ones, in order. */
  applied: LedgerLine[];
  /** The action of the run (its index) that could not be carried out, and why; those after it were not tried. */
  failure?: { index: number; error: Error };
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
  /** The org's ledger lines of both kinds, in order (empty when it has none). */
  readLedger(org: string): Promise<LedgerRecord[]>;
  /**
   * Records the org as it is now (`capctl refresh`): appends the observed line `build` makes from
   * the snapshot digest of the store as it is, changing no file of the org. The file store has
   * nothing to read from elsewhere: its files are the org. Call only while holding the org's lock,
   * after reading the snapshot and the ledger under it.
   */
  recordObserved(org: string, build: (storeDigest: string) => ObservedLine): Promise<ObservedLine>;
  /**
   * Carries out a run of actions, in order, each with its ledger line: every action is applied
   * fully (its files and its line) or not at all; the store may write the whole run as one atomic
   * change. An action that cannot be carried out or written ends the run (`failure`), after those
   * before it are applied. A write that failed after the store had decided it (journal.ts) is
   * finished when the lock is taken again, and the ledger then shows it done. A thrown error means
   * nothing of the run was done. Call only while holding the org's lock.
   */
  carryOut(org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult>;
  /** Takes the org's lock, waiting up to timeoutMs; throws LockHeldError naming the holder. */
  lock(
    org: string,
    options: { timeoutMs: number; command: string; user?: string; onWait?: (holder: LockInfo) => void },
  ): Promise<OrgLock>;
  /** Removes a lock left behind, only when its id matches. */
  unlock(org: string, lockId: string): Promise<void>;
}
