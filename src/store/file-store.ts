// The file backend of the org store: one folder per org under `org-state/`, in deterministic JSON
// (SPEC §4). Nothing outside src/store/ reads or writes these files. FileOrgStore is a thin
// composition of rooms, each with one concept:
//
//   file-layout.ts          which files an org's folder holds (the one module that names them)
//   file-org-folder.ts      the store's folders, and how a problem of their entries is reported
//   read-snapshot-files.ts  reading a snapshot and its ledger while a writer may be at work
//   commit-run.ts           committing a run of changes as one atomic change (the journal), recovery
//   carry-out-files.ts      carrying out actions as commits (the file store's executor)
//   file-caches.ts          what the store remembers of each org, forgotten in one place
//   lock-file.ts            one holder per org
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Action, ObservedApp, LedgerRecord, ObservedLine, ObservedOrg, OrgSnapshot } from '../model/index.js';
import { Codes } from '../model/index.js';
import { assertWritable, FileExecutor } from './carry-out-files.js';
import { assertWritableFolders, RunCommitter, type RecoveryReport } from './commit-run.js';
import { listDir, removeIfPresent, replaceFileDurably, syncDir } from './durable-fs.js';
import { FileStoreCaches } from './file-caches.js';
import type { FileChange, StoreChange } from './file-change.js';
import { digestOfEntries, readWithEntry } from './file-hashes.js';
import { appFileName, appsDirName, fileStateFolder, ledgerFileName, liveIntentFileName, orgFileName, orgFolderLayout, usersFileName } from './file-layout.js';
import { defaultOrgStateDir, OrgFolders } from './file-org-folder.js';
import type { CommitStepHook } from './journal.js';
import { formatJson } from './json-format.js';
import { acquireLock, readLockInfo, releaseLock, removeLock, type LockOptions } from './lock-file.js';
import type { CarryOutContext, CarryOutResult, LockInfo, OrgLock, OrgStore, SnapshotReadOptions, StateFolder } from './org-store.js';
import { SnapshotFileReader } from './read-snapshot-files.js';
import { byCodePoint } from '../plan/names.js';

export { defaultOrgStateDir } from './file-org-folder.js';
export type { RecoveryReport } from './commit-run.js';

/** Options of a file store. */
export interface FileOrgStoreOptions {
  /** Called after each step of every commit. A test seam: crash tests kill the process there. */
  onCommitStep?: CommitStepHook;
  /**
   * The most bytes of files carryOut holds for one atomic change (default 64 MiB): a run of
   * actions on large apps is written as several changes rather than held in memory at once.
   */
  maxChangeBytes?: number;
}

/** A lock of the file store, with what taking it recovered. */
export interface FileOrgLock extends OrgLock {
  recovery: RecoveryReport;
}

/** The org store kept in `org-state/`, one folder per org. */
export class FileOrgStore implements OrgStore {
  private readonly folders: OrgFolders;
  private readonly caches = new FileStoreCaches();
  private readonly reader: SnapshotFileReader;
  private readonly committer: RunCommitter;
  private readonly executor: FileExecutor;
  /** Per org, the ledger's last line and the stamp of the file it was read from or written to (lastLedgerLine). */
  private readonly lastLines = new Map<string, { stamp: string; line: LedgerRecord | undefined }>();

  /**
   * @param root the org-state folder (default `org-state`), as the user named it: messages show
   *   file paths under it.
   */
  constructor(
    readonly root: string = defaultOrgStateDir,
    options: FileOrgStoreOptions = {},
  ) {
    this.folders = new OrgFolders(root);
    this.reader = new SnapshotFileReader(this.folders, this.caches);
    this.committer = new RunCommitter(this.folders, this.caches, this.reader, options.onCommitStep);
    this.executor = new FileExecutor(this.folders, this.caches, this.reader, this.committer, options.maxChangeBytes);
  }

  /** The org slugs the store holds (its sub-folders), sorted. */
  listOrgs(): Promise<string[]> {
    return this.folders.listOrgs();
  }

  /** The layout of org-state/ (file-layout.ts), for a store that holds no org. */
  howToAddAnOrg(storeName: string): string {
    return orgFolderLayout(storeName);
  }

  /**
   * Reads one org (read-snapshot-files.ts): every file validated, apps sorted by name, a pending
   * journal read as recovery will leave it. Throws StoreError listing every problem, naming each file.
   */
  readSnapshot(org: string, options: SnapshotReadOptions = {}): Promise<OrgSnapshot> {
    return this.reader.readSnapshot(org, options);
  }

  /** The org's ledger lines, in order; [] when it has no ledger. Throws StoreError on a bad line. */
  readLedger(org: string): Promise<LedgerRecord[]> {
    return this.reader.readLedger(org);
  }

  /**
   * The ledger's last line (undefined: none), as readLedger gives it. Known without reading the
   * ledger again while the file is as this store last left it (the same file, size and change
   * time): a live apply records a step per action, and reading the whole ledger before each one
   * took seconds of a large apply.
   */
  async lastLedgerLine(org: string): Promise<LedgerRecord | undefined> {
    const stamp = await this.ledgerStamp(org);
    const known = this.lastLines.get(org);
    if (known !== undefined && stamp !== undefined && known.stamp === stamp) return known.line;
    const line = (await this.readLedger(org)).at(-1);
    // The stamp taken before the read: a change during it only makes the next call read again.
    if (stamp !== undefined) this.lastLines.set(org, { stamp, line });
    return line;
  }

  /** What changes whenever the org's ledger file does (undefined: it has none, or it cannot be told). */
  private async ledgerStamp(org: string): Promise<string | undefined> {
    try {
      const info = await stat(path.join(this.stateFolder(org).dir, ledgerFileName), { bigint: true });
      return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    } catch {
      return undefined;
    }
  }

  /**
   * Applies several file replacements (content) and removals (null) and appends one ledger line,
   * as ONE atomic unit (journal.ts): commitAll of one change. Returns the snapshot digest right
   * after it.
   */
  async commit(org: string, change: StoreChange): Promise<{ digest: string }> {
    const [digest] = await this.commitAll(org, [change]);
    return { digest: digest! };
  }

  /** Makes several changes, in order, ONE atomic unit (commit-run.ts); returns the digest after each. */
  commitAll(org: string, changes: readonly StoreChange[]): Promise<string[]> {
    return this.committer.commitAll(org, changes);
  }

  /**
   * Records the org as its files are now (the file store's refresh): appends the observed line
   * `build` makes from the current snapshot digest, as one atomic change that rewrites no file.
   * Call while holding the org's lock, after reading the snapshot and the ledger under it.
   */
  async recordObserved(org: string, build: (storeDigest: string) => ObservedLine): Promise<ObservedLine> {
    let line: ObservedLine | undefined;
    await this.commitAll(org, [{ files: [], ledgerLine: (digest) => (line = build(digest)) }]);
    return line!;
  }

  /** Carries out a run of actions as commits (carry-out-files.ts). Call while holding the org's lock. */
  carryOut(org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult> {
    return this.executor.carryOut(org, actions, context);
  }

  /**
   * Finishes a change that a killed process decided (rolls its journal forward) and deletes
   * temporary files of changes that were never decided. Taking the lock does this; call it
   * directly only while holding the lock.
   */
  recover(org: string): Promise<RecoveryReport> {
    return this.committer.recover(org);
  }

  /** After an unknown outcome: recovers the org (see recover), so that its ledger tells what was done. */
  async settle(org: string): Promise<void> {
    await this.recover(org);
  }

  /** The org's folder, as audit/ records it in git. */
  stateFolder(org: string): StateFolder {
    return { ...fileStateFolder(this.folders.orgDir(org)), writeObserved: (state, build) => this.writeObserved(org, state, build) };
  }

  /**
   * Makes the org's folder hold `state` (see StateFolder.writeObserved): one atomic change, in
   * which only files whose bytes change are rewritten. Creates the folder of a new org. Call while
   * holding the org's lock (a new org's folder: right after creating it).
   */
  async writeObserved<L extends LedgerRecord = ObservedLine>(org: string, state: Pick<OrgSnapshot, 'org' | 'users' | 'apps'>, build: (storeDigest: string) => L): Promise<L> {
    const orgDir = await this.existingOrgDir(org);
    await mkdir(path.join(orgDir, appsDirName), { recursive: true });
    const files: FileChange[] = [
      { path: orgFileName, content: formatJson(state.org) },
      { path: usersFileName, content: formatJson(state.users) },
      ...state.apps.map((app) => ({ path: appFileName(app.id), content: formatJson(app) })),
    ];
    const kept = new Set(files.map((f) => f.path));
    for (const name of await listDir(path.join(orgDir, appsDirName))) {
      const rel = `${appsDirName}/${name}`;
      if (name.endsWith('.json') && !name.startsWith('.') && !kept.has(rel)) files.push({ path: rel, content: null });
    }
    let line: L | undefined;
    await this.commitAll(org, [{ files, ledgerLine: (digest) => (line = build(digest)) }]);
    return line!;
  }

  /**
   * Records what happened elsewhere (a live org's actions, carried out through its API and read
   * back): each step's state files as it gives them (an org file, app files; only those that
   * changed) and its ledger line, built from the last line and the digest right after the step,
   * as ONE atomic change (commitAll). Returns the lines. Call while holding the org's lock.
   */
  async recordSteps(org: string, steps: readonly RecordedStep[]): Promise<LedgerRecord[]> {
    let previous = await this.lastLedgerLine(org);
    const lines: LedgerRecord[] = [];
    const changes: StoreChange[] = steps.map((step) => {
      const files: FileChange[] = [];
      const values: (ObservedOrg | ObservedApp)[] = [];
      if (step.org) {
        files.push({ path: orgFileName, content: formatJson(step.org) });
        values.push(step.org);
      }
      for (const app of [...(step.apps ?? [])].sort((a, b) => byCodePoint(a.id, b.id))) {
        files.push({ path: appFileName(app.id), content: formatJson(app) });
        values.push(app);
      }
      assertWritable(files, values);
      for (const id of step.removedApps ?? []) files.push({ path: appFileName(id), content: null });
      return {
        files,
        ledgerLine: (storeDigest: string) => {
          previous = step.line(previous, storeDigest);
          lines.push(previous);
          return previous;
        },
      };
    });
    await this.commitAll(org, changes);
    const stamp = await this.ledgerStamp(org);
    if (stamp !== undefined) this.lastLines.set(org, { stamp, line: previous });
    return lines;
  }

  /** The org's intent file (see file-layout.ts liveIntentFileName): its JSON, or undefined when there is none. */
  async readIntent(org: string): Promise<unknown> {
    const orgDir = await this.existingOrgDir(org);
    const read = await this.folders.storeCall(org, () => readWithEntry(orgDir, liveIntentFileName));
    if (read === undefined) return undefined;
    try {
      return JSON.parse(read.bytes.toString('utf8')) as unknown;
    } catch {
      throw this.folders.malformed(org, [{ file: liveIntentFileName, code: Codes.storeMalformed, message: 'unreadable intent of a live apply: not JSON' }]);
    }
  }

  /** Writes the org's intent file durably (before the calls it announces), or removes it (null). */
  async writeIntent(org: string, intent: unknown): Promise<void> {
    const file = path.join(await this.existingOrgDir(org), liveIntentFileName);
    if (intent === null) {
      await removeIfPresent(file);
      await syncDir(path.dirname(file));
    } else await replaceFileDurably(file, formatJson(intent));
  }

  /**
   * Takes the org's lock (`<org>/.lock`), waiting up to timeoutMs, then recovers the org (see
   * recover). Throws LockHeldError naming the holder; a holder that is a dead process of this host
   * is reported as stale, with the `capctl unlock` command that clears it.
   */
  async lock(org: string, options: LockOptions): Promise<FileOrgLock> {
    const orgDir = await this.existingOrgDir(org);
    const info = await acquireLock(orgDir, org, options, (o, id) => this.folders.unlockCommand(o, id));
    this.caches.forget(org, 'lock-taken');
    let recovery: RecoveryReport;
    try {
      assertWritableFolders(orgDir);
      recovery = await this.recover(org);
    } catch (error) {
      await releaseLock(orgDir, info.id);
      throw error;
    }
    return { info, recovery, release: () => releaseLock(orgDir, info.id) };
  }

  /**
   * The snapshot digest of the org as its files are now, without parsing or validating them: a
   * file whose size, times and inode are those this store saw when it last read or wrote it keeps
   * its hash; any other file is read and hashed again. After taking the lock, this tells cheaply
   * whether the store is still at a plan's basis (10,000 stats instead of reading every file).
   */
  async currentDigest(org: string): Promise<string> {
    const orgDir = await this.existingOrgDir(org);
    if ((await this.folders.readJournalOrFail(org, orgDir)) !== undefined) return (await this.readSnapshot(org)).digest;
    const cache = await this.folders.storeCall(org, () => this.reader.currentEntries(orgDir, this.caches.of(org).hashes ?? new Map()));
    this.caches.remember(org, { hashes: cache });
    return digestOfEntries(cache);
  }

  /** Who holds the org's lock, or undefined. */
  async lockHolder(org: string): Promise<LockInfo | undefined> {
    const orgDir = await this.existingOrgDir(org);
    return readLockInfo(orgDir, org);
  }

  /**
   * Removes a lock left behind, only when its id is `lockId` (RefusedError otherwise). A lock held
   * by a live process of this host is kept unless `force`.
   */
  async unlock(org: string, lockId: string, options: { force?: boolean } = {}): Promise<void> {
    await removeLock(await this.existingOrgDir(org), org, lockId, options);
  }

  /** The folder of one org, checked to exist. */
  existingOrgDir(org: string): Promise<string> {
    return this.folders.existingOrgDir(org);
  }
}

/** One step recordSteps writes: the state files it changed and its ledger line. */
export interface RecordedStep {
  org?: ObservedOrg;
  apps?: readonly ObservedApp[];
  removedApps?: readonly string[];
  /** Builds the line from the ledger's last line and the digest right after the step (the line names the parts it changed, never files). */
  line(previous: LedgerRecord | undefined, storeDigest: string): LedgerRecord;
}
