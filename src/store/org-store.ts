// The ports of an org store: everything above src/store/ talks to an org through these small
// interfaces, each with one concern, so that a backend for a real org plugs in without changing
// the planner, apply, audit or the CLI. They speak the domain (snapshots, actions, ledger lines),
// never a backend's mechanics (files, journals, HTTP). Every backend passes the same contract
// suite (test/store/contract.ts): the file store of org-state/ (file-store.ts) and the in-memory
// one (memory-store.ts) do.
import type { Action, LedgerLine, LedgerRecord, ObservedLine, ObservedOrg, OrgSnapshot, StatePart } from '../model/index.js';

/** Who holds an org's lock. */
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

/** What a snapshot read tells before it is done, so that output can start at once on a large org. */
export interface SnapshotReadOptions {
  /** Called once, when the org's own record has been read and is valid, before its apps are read. */
  onOrg?(org: ObservedOrg, appCount: number): void;
  /** Called as apps are read: how many so far, of how many. */
  onProgress?(appsRead: number, appCount: number): void;
  /** Stops the read: it then throws the signal's reason. */
  signal?: AbortSignal;
  /**
   * The read before an apply: a live org also reads who the connection is logged in as and its
   * remaining daily API allowance (OrgSnapshot.live). Backends that are the org ignore it.
   */
  forApply?: boolean;
}

/** Reads an org: the whole snapshot, validated, or a StoreError naming every problem. */
export interface OrgReader {
  /** The org slugs the store holds, sorted. */
  listOrgs(): Promise<string[]>;
  /** What a store that holds no org tells the user: how it would hold one (`storeName`: the store as the user named it). Absent: nothing more to say. */
  howToAddAnOrg?(storeName: string): string;
  /** Reads and validates one org; throws StoreError naming where and what the problem is. */
  readSnapshot(org: string, options?: SnapshotReadOptions): Promise<OrgSnapshot>;
}

/** Who carries out actions, under which plan, and when. */
export interface CarryOutContext {
  actor: string;
  planDigest: string;
  at: Date;
}

/**
 * Why an action of a run was not carried out: `failed` (it was not done; `retryable` says whether
 * trying again can help) or `unknown` (it may have been done, e.g. a timeout: the caller must call
 * settle() and read the ledger back before anything else, and never do it twice).
 */
export interface CarryOutFailure {
  /** The action of the run (its index); those after it were not tried. */
  index: number;
  error: Error;
  /** Default `failed`. */
  outcome?: 'failed' | 'unknown';
  /** Whether trying the same action again can help (a refused write cannot). */
  retryable?: boolean;
}

/** What carrying out a run of actions did. */
export interface CarryOutResult {
  /** The ledger lines of the actions carried out: the run's first ones, in order; with a failure, also those after it that a live org saved in its call (marked `aheadOf` it). */
  applied: LedgerLine[];
  failure?: CarryOutFailure;
}

/** Carries out actions on an org, each recorded with its ledger line. */
export interface ActionExecutor {
  /**
   * Carries out a run of actions, in order: each action `done` (it changed the org and its ledger
   * line is appended), `failed` or `unknown` (CarryOutFailure), which ends the run after those
   * before it. A thrown error means nothing of the run was done. No backend writes a revision:
   * the store's revision is a function of the ledger (ledger-chain.ts `storeRevision`), and each
   * line's result names the parts of the state its action changed (`parts`), never files. Call
   * only while holding the org's lock, after reading the snapshot and the ledger under it.
   */
  carryOut(org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult>;
  /**
   * After an `unknown` outcome: finishes or drops what the action left half done (reading the org
   * back), so that the ledger then tells whether it was done. Call while holding the lock.
   */
  settle(org: string): Promise<void>;
  /**
   * The API calls carrying out `runs` would take (each run the actions handed to carryOut at once), in all and by kind (a backend that talks to
   * an org over an API; absent: calls are not counted). Apply refuses one the org's allowance cannot pay for.
   */
  estimateCalls?(org: string, runs: readonly (readonly Action[])[]): { calls: number; byKind: Partial<Record<string, number>> };
}

/**
 * capctl's own record of an org: the hash-chained ledger (ledger-chain.ts builds and checks its
 * lines, of both kinds). Lines are appended by carryOut (an applied action, with its change) and
 * by recordObserved (what capctl saw changed outside it); they are never rewritten.
 */
export interface OrgLedger {
  /** The org's ledger lines of both kinds, in order (empty when it has none); StoreError on a line it cannot read. */
  readLedger(org: string): Promise<LedgerRecord[]>;
  /**
   * Records the org as it is now (`capctl refresh`): appends the observed line `build` makes from
   * the snapshot digest of the org as it is, changing nothing of the org. Call only while holding
   * the org's lock, after reading the snapshot and the ledger under it.
   */
  recordObserved(org: string, build: (storeDigest: string) => ObservedLine): Promise<ObservedLine>;
}

/** How to take a lock. */
export interface LockRequest {
  timeoutMs: number;
  command: string;
  user?: string;
  /** Called once when another holder has it and the request starts waiting. */
  onWait?: (holder: LockInfo) => void;
}

/** One capctl run at a time per org. */
export interface OrgLocker {
  /** Takes the org's lock, waiting up to timeoutMs; throws LockHeldError naming the holder. */
  lock(org: string, options: LockRequest): Promise<OrgLock>;
  /** Who holds the org's lock, or undefined. */
  lockHolder(org: string): Promise<LockInfo | undefined>;
  /** Removes a lock left behind, only when its id matches (RefusedError otherwise). */
  unlock(org: string, lockId: string, options?: { force?: boolean }): Promise<void>;
}

/**
 * The state folder `org-state/<org>/`, written as observed, that git records beside the desired
 * state (audit/): audit asks it which files to commit, which part of the state each holds and what
 * it holds, never the layout.
 */
export interface StateFolder {
  /** The org's folder. */
  readonly dir: string;
  /** The ledger's path, relative to `dir`. */
  readonly ledger: string;
  /** The entries of the folder (relative to `dir`, `.` the folder itself) that git must record. */
  readonly entries: readonly string[];
  /**
   * The files (relative to `dir`) that hold the parts of the state the lines changed (`result.parts`,
   * of an applied action or an observed line; a line of an older capctl: its `result.files`), and
   * the ledger; a backend adds what it keeps beside them (a live org's caches, with an observed line).
   */
  filesOf(lines: readonly LedgerRecord[]): string[];
  /** The entry (relative to `dir`) that holds a part of the state: the org's record, its users or an app's. */
  entryOf(part: StatePart): string;
  /** Which part of the state an entry (relative to `dir`) holds; undefined for one that holds none (the ledger, a lock, a journal). */
  describe(rel: string): StatePart | undefined;
  /** Whether a file of the folder is part of the observed state (not the ledger, a lock or a journal). */
  isObserved(rel: string): boolean;
  /** What a state file holds in `snapshot`, as data (undefined when it has no such file). */
  contentOf(rel: string, snapshot: Pick<OrgSnapshot, 'org' | 'users' | 'apps'>): unknown;
  /**
   * Makes the folder hold `state` (a live org as read: every state file written as it gives it,
   * app files it no longer has removed) and appends the observed line `build` makes from the
   * digest after, as ONE atomic change. Call only while holding the org's lock. The line is an
   * observed one, or (a manual step apply saw done by hand) the plan's line of that action.
   */
  writeObserved?<L extends LedgerRecord = ObservedLine>(state: Pick<OrgSnapshot, 'org' | 'users' | 'apps'>, build: (storeDigest: string) => L): Promise<L>;
}

/** One org store: every port of a backend. */
export interface OrgStore extends OrgReader, ActionExecutor, OrgLedger, OrgLocker {
  /** The org's state folder, or undefined when the backend keeps none (the in-memory one). */
  stateFolder(org: string): StateFolder | undefined;
}
