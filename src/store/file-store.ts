// The file backend of the org store: one folder per org under `org-state/`, in deterministic JSON
// (SPEC §4). Nothing outside src/store/ reads or writes these files.
//
//   org-state/<org>/org.json        the org, its settings, profiles, permission sets, revision
//   org-state/<org>/users.json      its users
//   org-state/<org>/apps/<id>.json  one file per app the org lists, with its sessions
//   org-state/<org>/ledger.jsonl    one line per applied action (not part of the snapshot digest)
//   org-state/<org>/.lock           who holds the org (lock-file.ts)
//   org-state/<org>/.journal.json   a decided change not yet fully carried out (journal.ts)
//
// Writes go through commitAll(): the files of one change, or of a run of changes, and their ledger
// lines become visible together or not at all, whatever moment the process is killed at (see the
// invariant in journal.ts).
import { isUtf8 } from 'node:buffer';
import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Action, AppFile, Diagnostic, LedgerLine, LedgerRecord, ObservedLine, OrgFile, OrgSnapshot, OrgUser } from '../model/index.js';
import { Codes, InputError, StoreError } from '../model/index.js';
import { sortAppsByName } from './app-order.js';
import { compareProblemFiles, StoreChecker, type StoreProblem } from './check-store.js';
import { isNotFound, listDir, removeIfPresent, syncDir, tempPathFor, writeNewFileDurably } from './durable-fs.js';
import { journalFileName, readJournal, removeOrphanTemps, rollForward, writeJournal, type CommitStepHook, type Journal } from './journal.js';
import { locateJsonPointer } from './json-locate.js';
import { parseStoreJson } from './parse-store-json.js';
import { checkLayoutFolder, entryProblemOf, EntryProblem } from './store-entry.js';
import { acquireLock, readLockInfo, releaseLock, removeDeadTakers, removeLock, type LockOptions } from './lock-file.js';
import { checkLedgerTail, checkLinesAppendable, ledgerFileName, parseLedger } from './ledger-file.js';
import { mapPool } from './map-pool.js';
import { actionChange } from './action-change.js';
import { nextLedgerLine } from './ledger-chain.js';
import type { CarryOutContext, CarryOutResult, LockInfo, OrgLock, OrgStore, SnapshotReadOptions, StateFolder } from './org-store.js';
import type { FileChange, StoreChange } from './file-change.js';
import { appFileName, appsDirName, fileStateFolder, kindOfFile, orgFileName, usersFileName } from './file-layout.js';
import { formatJson } from './json-format.js';
import type { OrgData } from '../plan/transition.js';
import { checkAgainstSchema, type StoreSchemaDef } from './schema-validators.js';
import { currentEntry, digestAfter, digesterOf, digestOfEntries, forgetDigester, readWithEntry, type FileEntry, type HashCache } from './file-hashes.js';
import { hashBytes, type SnapshotDigester } from './store-digest.js';
import { count as countOf } from '../plan/count.js';
import { byCodePoint } from '../plan/names.js';

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

/** What recover() found and did. */
export interface RecoveryReport {
  /** A journal left by a killed commit was carried out to the end. */
  rolledForward: boolean;
  /** Temporary files of commits that never reached their journal (and half-taken locks of dead processes), deleted. */
  tempFilesRemoved: number;
}

/** Default folder of the file store, relative to the working directory. */
export const defaultOrgStateDir = 'org-state';

const orgSlugPattern = /^[a-z0-9][a-z0-9-]*$/;
const appFilePattern = /^apps\/[a-zA-Z0-9]{18}\.json$/;
const writeConcurrency = 4;
const defaultMaxChangeBytes = 64 * 1024 * 1024;
const maxDiagnostics = 100;
const maxLocateBytes = 16 * 1024 * 1024;
/**
 * How long a read keeps starting again because the store changed while it ran: a read of a large
 * org takes longer than an apply takes between two of its changes, so a reader in effect waits for
 * the apply to end.
 */
const readPatienceMs = 120_000;

/** A run of changes as commitAll prepares it before writing anything. */
interface PreparedRun {
  writes: { rel: string; bytes: Buffer; hash: string }[];
  removals: string[];
  /** The snapshot digest after each change. */
  digests: string[];
  ledgerLines: LedgerRecord[];
  /** Whether the cache's digester took every change (else it is built again when next needed). */
  digesterFollowed: boolean;
}

/** One file of the org folder as read: its entry, its parsed value, or the problems it has. */
interface ReadResult {
  rel: string;
  entry?: FileEntry;
  value?: unknown;
  problems: StoreProblem[];
}

/** The org store kept in `org-state/`, one folder per org. */
export class FileOrgStore implements OrgStore {
  private readonly hashes = new Map<string, HashCache>();
  /** Per org: the last snapshot read or written, and the ledger's last line (null: empty ledger), for carryOut. */
  private readonly snapshots = new Map<string, OrgSnapshot>();
  /**
   * Per org, the snapshot this object last read or left by carrying out an action. readSnapshot
   * returns it again, without parsing a file, when the files' stat-checked hashes still give its
   * digest: `apply` reads the org to plan, then again under the lock, and the second read of a
   * large org would cost as much as the first.
   */
  private readonly lastRead = new Map<string, OrgSnapshot>();
  /** Per org, where each app is in the snapshot's list: actions never reorder it (see applyAction). */
  private readonly appIndex = new Map<string, Map<string, number>>();
  private readonly lastLines = new Map<string, LedgerRecord | null>();
  /**
   * Per org, where the last snapshot read found the store (readConsistently): readLedger then
   * gives the ledger as it was at that moment, so that a snapshot and its ledger always belong
   * together even when an apply changed the store between the two reads. Forgotten when this
   * object takes the lock or writes.
   */
  private readonly readAt = new Map<string, ReadGeneration>();

  /**
   * @param root the org-state folder (default `org-state`), as the user named it: messages show
   *   file paths under it.
   */
  constructor(
    readonly root: string = defaultOrgStateDir,
    private readonly options: FileOrgStoreOptions = {},
  ) {}

  /** The org slugs the store holds (its sub-folders), sorted. */
  async listOrgs(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw new StoreError(`no org store at ${this.root} (give its folder with --org-state DIR)`);
      }
      throw error;
    }
    return entries
      .filter((e) => e.isDirectory() && orgSlugPattern.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  /**
   * Reads one org: org.json, users.json and apps/*.json, each validated against its schema, then
   * the store as a whole (check-store.ts) and the ledger's last line. Apps come sorted by name. A change decided but not yet
   * carried out (a journal left by a killed process) is read as if it were: what you read is what
   * recovery will leave. Throws StoreError listing every problem, naming each file.
   */
  async readSnapshot(org: string, options: SnapshotReadOptions = {}): Promise<OrgSnapshot> {
    options.signal?.throwIfAborted();
    const orgDir = await this.existingOrgDir(org);
    let onOrg = options.onOrg;
    let pending: readonly LedgerRecord[] = [];
    const { value, generation } = await this.readConsistently(org, orgDir, () => {
      const once: SnapshotReadOptions = { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
      // Told once, even when a change during the read makes it read again.
      if (onOrg) {
        once.onOrg = (file, count) => {
          onOrg?.(file, count);
          onOrg = undefined;
        };
      }
      return this.readSnapshotOnce(org, orgDir, once, (journal) => (pending = journal?.ledgerLines ?? []));
    });
    this.readAt.set(org, { ...generation, pending });
    return value;
  }

  /**
   * Runs `read` until the store did not change while it ran: the store's generation (its
   * journal, its ledger's size, its folders' times) is taken before and after, and a read that
   * overlapped a change is thrown away, whatever it found or failed on. Writers change the
   * journal and the ledger with every change (journal.ts), so a reader sees the store before or
   * after each change, never a mix. A few stats per read, however large the org.
   */
  private async readConsistently<T>(org: string, orgDir: string, read: () => Promise<T>): Promise<{ value: T; generation: ReadGeneration }> {
    const start = Date.now();
    for (let attempt = 1; ; attempt++) {
      const before = generationOf(orgDir);
      let outcome: { value: T } | { error: unknown };
      try {
        outcome = { value: await read() };
      } catch (error) {
        outcome = { error };
      }
      const after = generationOf(orgDir);
      if (before.token === after.token) {
        if ('error' in outcome) throw outcome.error;
        return { value: outcome.value, generation: after };
      }
      if (Date.now() - start > readPatienceMs) {
        throw new StoreError(`the org store ${path.join(this.root, org)} changed every time it was read (${attempt} times in ${Math.round((Date.now() - start) / 1000)} s): try again once the apply running on it is done`);
      }
      await sleep(Math.min(100, attempt * 5));
    }
  }

  /** One read of the snapshot, which readConsistently repeats when the store changed meanwhile. */
  private async readSnapshotOnce(org: string, orgDir: string, options: SnapshotReadOptions, onJournal: (journal: Journal | undefined) => void): Promise<OrgSnapshot> {
    const journal = await this.readJournalOrFail(org, orgDir);
    onJournal(journal);
    const unchanged = journal === undefined ? await this.unchangedSnapshot(org, orgDir) : undefined;
    if (unchanged !== undefined) {
      options.onOrg?.(unchanged.org, unchanged.apps.length);
      options.onProgress?.(unchanged.apps.length, unchanged.apps.length);
      this.snapshots.set(org, unchanged);
      return unchanged;
    }
    const { rels, sources } = await this.storeCall(org, () => this.snapshotFiles(orgDir, journal));
    const appRels = rels.filter((rel) => kindOfFile(rel) === 'AppFile');
    const read = (rel: string): Promise<ReadResult> => this.readStoreFile(orgDir, rel, sources.get(rel));
    const orgRead = await read(orgFileName);
    const orgFile = orgRead.value as OrgFile | undefined;
    if (orgFile !== undefined) options.onOrg?.(orgFile, appRels.length);
    const usersRead = await read(usersFileName);
    const users = usersRead.value as OrgUser[] | undefined;
    // Checks across files need org.json and users.json; each app is checked as soon as it is
    // parsed, while it is still in the processor's caches.
    const checker = orgFile !== undefined && users !== undefined ? new StoreChecker(org, orgFile, users) : undefined;
    const appReads: ReadResult[] = [];
    for (const rel of appRels) {
      options.signal?.throwIfAborted();
      const result = await read(rel);
      options.onProgress?.(appReads.length + 1, appRels.length);
      if (result.value !== undefined) checker?.checkApp(rel, result.value as AppFile);
      appReads.push(result);
    }
    const results = [orgRead, usersRead, ...appReads];
    const problems = results.flatMap((r) => r.problems);
    problems.push(...(await this.storeCall(org, () => checkLedgerTail(path.join(orgDir, ledgerFileName), (journal?.ledgerLines.length ?? 0) > 0))));
    if (checker) {
      const found = checker.finish();
      await this.locateProblems(orgDir, found, sources);
      problems.push(...found);
    }
    if (problems.length > 0 || orgFile === undefined || users === undefined) throw this.malformed(org, problems);

    const cache: HashCache = new Map();
    // In path order, which later digests of this cache (one per applied action) then need not sort.
    for (const r of [...results].sort((a, b) => byCodePoint(a.rel, b.rel))) if (r.entry) cache.set(r.rel, r.entry);
    this.hashes.set(org, cache);
    const snapshot: OrgSnapshot = {
      slug: org,
      org: orgFile,
      users,
      apps: sortAppsByName(appReads.map((r) => r.value as AppFile)),
      digest: digestOfEntries(cache),
    };
    this.snapshots.set(org, snapshot);
    this.lastRead.set(org, snapshot);
    return snapshot;
  }

  /** The last snapshot of the org, when its files (and its ledger's last line) are still as it had them. */
  private async unchangedSnapshot(org: string, orgDir: string): Promise<OrgSnapshot | undefined> {
    const known = this.lastRead.get(org);
    const hashes = this.hashes.get(org);
    if (known === undefined || hashes === undefined) return undefined;
    let current: HashCache;
    try {
      current = await this.currentEntries(orgDir, hashes);
    } catch (error) {
      if (error instanceof EntryProblem) return undefined; // read in full, which names the problem
      throw error;
    }
    this.hashes.set(org, current);
    if (digestOfEntries(current) !== known.digest) return undefined;
    if ((await this.storeCall(org, () => checkLedgerTail(path.join(orgDir, ledgerFileName), false))).length > 0) return undefined;
    return known;
  }

  /** The org's ledger lines, in order; [] when it has no ledger. Throws StoreError on a bad line. */
  async readLedger(org: string): Promise<LedgerRecord[]> {
    const orgDir = await this.existingOrgDir(org);
    const at = this.readAt.get(org);
    if (at !== undefined) return this.parseLedgerText(org, (await this.readLedgerBytes(org, orgDir)).subarray(0, at.ledgerBytes), at.pending ?? []);
    const { value } = await this.readConsistently(org, orgDir, async () => {
      const journal = await this.readJournalOrFail(org, orgDir);
      return this.parseLedgerText(org, await this.readLedgerBytes(org, orgDir), journal?.ledgerLines ?? []);
    });
    return value;
  }

  /** The bytes of the org's ledger ([] when it has none). */
  private async readLedgerBytes(org: string, orgDir: string): Promise<Buffer> {
    return this.storeCall(org, async () => (await readWithEntry(orgDir, ledgerFileName))?.bytes ?? Buffer.alloc(0));
  }

  /** The ledger's lines from its text and the lines of a pending journal (read as recovery will write them). */
  private parseLedgerText(org: string, bytes: Buffer, pending: readonly LedgerRecord[]): LedgerRecord[] {
    const parsed = parseLedger(bytes.toString('utf8'));
    const problems = [...parsed.problems];
    // A torn last line is the trace of a killed append, which rolling the journal forward repairs.
    if (parsed.tornTail !== undefined && pending.length === 0) {
      const { line } = parsed.tornTail;
      problems.push({ file: ledgerFileName, code: Codes.storeBadLedger, message: `line ${line}: incomplete (the file does not end with a whole line)`, line, column: 1 });
    }
    if (problems.length > 0) throw this.malformed(org, problems);
    // A decided change whose ledger lines are not all written yet: read them as recovery will write them.
    const lastSeq = parsed.lines.at(-1)?.seq ?? 0;
    const lines = parsed.lines;
    for (const line of pending) if (line.seq > lastSeq) lines.push(line);
    this.lastLines.set(org, lines.at(-1) ?? null);
    return lines;
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

  /**
   * Makes several changes, in order, ONE atomic unit (journal.ts): each file they touch is written
   * once, with what the last of them gives it, and their ledger lines are appended together. Each
   * change's ledger line is built from the snapshot digest right after that change; the digests
   * are returned, one per change. Paths are relative to the org folder: org.json, users.json or
   * apps/<id>.json. Only files whose bytes change are rewritten; a removal of a missing file is
   * nothing. Call while holding the org's lock, after reading the snapshot under it.
   *
   * The digests are computed from the hashes this store object knows (from its last readSnapshot,
   * currentDigest or commit; without any, from hashing the files now) and those of the files
   * written, so the store is not read again: the files a change does not touch are trusted to be as
   * this object last saw them, which holding the lock guarantees against other capctl processes
   * (check with currentDigest after taking it).
   */
  async commitAll(org: string, changes: readonly StoreChange[]): Promise<string[]> {
    this.forgetWorkingState(org);
    this.lastRead.delete(org);
    const orgDir = await this.existingOrgDir(org);
    if ((await this.readJournalOrFail(org, orgDir)) !== undefined) {
      throw new Error(`commit: ${path.join(orgDir, journalFileName)} is pending; take the lock (which recovers) first`);
    }
    // `cache` is changed in place only once the change is carried out: copying 10,000 entries for
    // every action of an apply would cost more than the action.
    const cache = this.hashes.get(org) ?? (await this.storeCall(org, () => this.currentEntries(orgDir, new Map())));
    try {
      const run = await this.storeCall(org, () => this.digestRun(orgDir, cache, changes));
      if (run.writes.length === 0 && run.removals.length === 0 && run.ledgerLines.length === 0) return run.digests;
      await this.writeRun(org, orgDir, cache, run);
      if (!run.digesterFollowed) forgetDigester(cache);
      return run.digests;
    } catch (error) {
      // The digester may hold hashes of a change that did not happen: built again when next needed.
      forgetDigester(cache);
      throw error;
    }
  }

  /**
   * What a run of changes leaves: the bytes of each file it rewrites (as the last change gives
   * them), the files it removes, the digest after each change and each change's ledger line.
   * Nothing is written. The digester follows the run change by change (hashing only from the first
   * changed line on); a change it cannot take (a file added or removed) is digested from scratch,
   * and so is the rest of the run.
   */
  private async digestRun(orgDir: string, cache: HashCache, changes: readonly StoreChange[]): Promise<PreparedRun> {
    const after = new Map<string, { bytes: Buffer; hash: string } | null>();
    const onDisk = new Map<string, string | undefined>();
    const run: PreparedRun = { writes: [], removals: [], digests: [], ledgerLines: [], digesterFollowed: true };
    let digester: SnapshotDigester | undefined = digesterOf(cache);
    for (const change of changes) {
      const changedHashes = new Map<string, string>();
      let addsOrRemoves = false;
      const seen = new Set<string>();
      for (const { path: rel, content } of change.files) {
        if (rel !== orgFileName && rel !== usersFileName && !appFilePattern.test(rel)) {
          throw new Error(`commit: ${JSON.stringify(rel)} is not a file of the org store (org.json, users.json, apps/<18-character id>.json)`);
        }
        if (seen.has(rel)) throw new Error(`commit: ${rel} is changed twice in one change`);
        seen.add(rel);
        if (!onDisk.has(rel)) onDisk.set(rel, (await currentEntry(orgDir, rel, cache))?.hash);
        const before = after.has(rel) ? after.get(rel)?.hash : onDisk.get(rel);
        if (content === null) {
          if (before === undefined) continue;
          after.set(rel, null);
          addsOrRemoves = true;
          continue;
        }
        const bytes = Buffer.from(content, 'utf8');
        const hash = hashBytes(bytes);
        if (before === hash) continue;
        after.set(rel, { bytes, hash });
        changedHashes.set(rel, hash);
        if (before === undefined) addsOrRemoves = true;
      }
      let digest = addsOrRemoves ? undefined : digester?.digest(changedHashes);
      if (digest !== undefined) digester!.update(changedHashes);
      else {
        digester = undefined;
        run.digesterFollowed = false;
        digest = digestAfter(cache, after);
      }
      run.digests.push(digest);
      const line = typeof change.ledgerLine === 'function' ? change.ledgerLine(digest) : change.ledgerLine;
      if (line !== undefined) run.ledgerLines.push(line);
    }
    for (const [rel, file] of after) {
      if (file === null) {
        if (onDisk.get(rel) !== undefined) run.removals.push(rel);
      } else if (file.hash !== onDisk.get(rel)) {
        run.writes.push({ rel, ...file });
      }
    }
    return run;
  }

  /** Writes a prepared run: temporary files, the journal (the commit point), then rolls it forward. */
  private async writeRun(org: string, orgDir: string, cache: HashCache, run: PreparedRun): Promise<void> {
    const hook = this.options.onCommitStep;
    const journal: Journal = { format: 2, replace: [], remove: run.removals, ledgerLines: run.ledgerLines };
    for (const { rel } of run.writes) journal.replace.push({ path: rel, temp: path.relative(orgDir, tempPathFor(path.join(orgDir, rel))) });
    try {
      // Side by side: the disk flushes several files in one go. Every write ends before a failure
      // is thrown, so that the clean-up below finds all the temporary files there are.
      let failure: unknown;
      await mapPool(journal.replace, writeConcurrency, ({ temp }, i) =>
        writeNewFileDurably(path.join(orgDir, temp), run.writes[i]!.bytes).catch((error: unknown) => {
          failure ??= error;
        }),
      );
      if (failure !== undefined) throw failure;
      // The temps' names must be on disk before the journal that names them.
      for (const dir of new Set(journal.replace.map(({ temp }) => path.dirname(path.join(orgDir, temp))))) await syncDir(dir);
    } catch (error) {
      for (const { temp } of journal.replace) await removeIfPresent(path.join(orgDir, temp));
      throw error;
    }
    hook?.('temps-written');
    this.hashes.delete(org);
    await writeJournal(orgDir, journal);
    hook?.('journal-written');
    await rollForward(orgDir, journal, hook);
    // Remember how the written files look now (a rename changes ctime), so that the next commit
    // and currentDigest trust their hashes without reading them.
    for (const { rel, hash } of run.writes) {
      const info = statSync(path.join(orgDir, rel));
      cache.set(rel, { hash, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino });
    }
    for (const rel of run.removals) cache.delete(rel);
    this.hashes.set(org, cache);
  }

  /**
   * Finishes a change that a killed process decided (rolls its journal forward, idempotently) and
   * deletes temporary files of changes that were never decided. Taking the lock does this; call it
   * directly only while holding the lock.
   */
  async recover(org: string): Promise<RecoveryReport> {
    const orgDir = await this.existingOrgDir(org);
    const journal = await this.readJournalOrFail(org, orgDir);
    if (journal !== undefined) {
      // Every entry the journal's roll forward touches is checked first: a link is never renamed
      // into the store, and the ledger is appended to only when it is a regular file.
      await this.storeCall(org, async () => {
        for (const { temp } of journal.replace) checkRegularOrMissing(orgDir, temp);
        checkRegularOrMissing(orgDir, ledgerFileName);
      });
      await rollForward(orgDir, journal);
    }
    const tempFilesRemoved = (await removeOrphanTemps(orgDir, [appsDirName])) + (await removeDeadTakers(orgDir));
    if (journal !== undefined || tempFilesRemoved > 0) this.hashes.delete(org);
    this.forgetWorkingState(org);
    return { rolledForward: journal !== undefined, tempFilesRemoved };
  }

  /** After an unknown outcome: recovers the org (see recover), so that its ledger tells what was done. */
  async settle(org: string): Promise<void> {
    await this.recover(org);
  }

  /** The org's folder, as audit/ records it in git. */
  stateFolder(org: string): StateFolder {
    return { ...fileStateFolder(path.join(this.root, org)), writeObserved: (state, build) => this.writeObserved(org, state, build) };
  }

  /**
   * Makes the org's folder hold `state` (see StateFolder.writeObserved): one atomic change, in
   * which only files whose bytes change are rewritten. Creates the folder of a new org. Call while
   * holding the org's lock (a new org's folder: right after creating it).
   */
  async writeObserved(org: string, state: Pick<OrgSnapshot, 'org' | 'users' | 'apps'>, build: (storeDigest: string) => ObservedLine): Promise<ObservedLine> {
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
    let line: ObservedLine | undefined;
    await this.commitAll(org, [{ files, ledgerLine: (digest) => (line = build(digest)) }]);
    return line!;
  }

  /**
   * Takes the org's lock (`<org>/.lock`), waiting up to timeoutMs, then recovers the org (see
   * recover). Throws LockHeldError naming the holder; a holder that is a dead process of this host
   * is reported as stale, with the `capctl unlock` command that clears it.
   */
  async lock(org: string, options: LockOptions): Promise<FileOrgLock> {
    const orgDir = await this.existingOrgDir(org);
    const info = await acquireLock(orgDir, org, options, (o, id) => this.unlockCommand(o, id));
    this.forgetWorkingState(org);
    let recovery: RecoveryReport;
    try {
      checkWritableFolders(orgDir);
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
    if ((await this.readJournalOrFail(org, orgDir)) !== undefined) return (await this.readSnapshot(org)).digest;
    const cache = await this.storeCall(org, () => this.currentEntries(orgDir, this.hashes.get(org) ?? new Map()));
    this.hashes.set(org, cache);
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

  /**
   * Carries out a run of actions, in order, as ONE atomic change (commitAll): computes each
   * action's next state with the pure transition and writes exactly the files that change, with
   * each action's ledger line (whose result records the files it changed and the snapshot digest
   * right after it). A run whose files add up to more than `maxChangeBytes` is written as several
   * changes, one after the other, so that memory stays bounded. With `bumpRevision` the revision in
   * org.json goes up by one with the run's first action. An action whose transition fails, or
   * whose change cannot be written, ends the run there: those before it are written. Call while
   * holding the org's lock: the state is the snapshot and ledger read under it (or left by the last
   * carryOut), not read again for every run.
   */
  async carryOut(org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult> {
    let data: OrgData = this.snapshots.get(org) ?? (await this.readSnapshot(org));
    let previous = (this.lastLines.has(org) ? this.lastLines.get(org) : (await this.readLedger(org)).at(-1)) ?? undefined;
    const applied: LedgerLine[] = [];
    let pending: StoreChange[] = [];
    let pendingBytes = 0;
    let pendingFrom = 0;
    /** Writes the pending changes as one atomic change; a failure is reported at the first of them. */
    const writePending = async (): Promise<CarryOutResult['failure']> => {
      if (pending.length === 0) return undefined;
      const lineCount = applied.length;
      try {
        const digests = await this.commitAll(org, pending);
        const next: OrgSnapshot = { slug: org, ...data, digest: digests.at(-1)! };
        this.snapshots.set(org, next);
        this.lastRead.set(org, next);
        this.lastLines.set(org, applied.at(-1)!);
      } catch (error) {
        applied.length = lineCount; // lines built for a change that was not written
        this.forgetWorkingState(org);
        // A journal left behind is a change decided: recovery (settle) finishes it, and the
        // ledger then shows it done. Without one, nothing of it was written.
        const decided = (await readJournal(path.join(this.root, org)).catch(() => undefined)) !== undefined;
        return decided ? { index: pendingFrom, error: asError(error), outcome: 'unknown' } : { index: pendingFrom, error: asError(error), outcome: 'failed', retryable: true };
      }
      pendingFrom += pending.length;
      pending = [];
      pendingBytes = 0;
      return undefined;
    };
    for (const [i, action] of actions.entries()) {
      let change;
      try {
        change = actionChange(data, action, context.bumpRevision && i === 0, this.appIndexOf(org, data.apps, action.app?.id));
        checkWritable(change.files, change.values);
      } catch (error) {
        // A transition that fails, or a file the store would refuse to read, fails the same way again.
        const failure = (await writePending()) ?? { index: i, error: asError(error), outcome: 'failed' as const, retryable: false };
        return { applied, failure };
      }
      data = change.next;
      const result = { ...change.result, files: change.files.map((f) => f.path) };
      const entry = { at: context.at.toISOString(), actor: context.actor, plan: context.planDigest, action };
      pending.push({
        files: change.files,
        ledgerLine: (storeDigest) => {
          previous = nextLedgerLine(previous, { ...entry, result: { ...result, storeDigest } });
          applied.push(previous);
          return previous;
        },
      });
      for (const file of change.files) pendingBytes += file.content?.length ?? 0;
      if (pendingBytes >= (this.options.maxChangeBytes ?? defaultMaxChangeBytes)) {
        const failure = await writePending();
        if (failure) return { applied, failure };
      }
    }
    const failure = await writePending();
    return failure === undefined ? { applied } : { applied, failure };
  }

  /** Where each app is in `apps` (kept between actions: they never reorder the list, see applyAction). */
  private appIndexOf(org: string, apps: readonly AppFile[], id: string | undefined): (id: string) => number | undefined {
    let index = this.appIndex.get(org);
    if (index === undefined || (id !== undefined && apps[index.get(id) ?? -1]?.id !== id)) {
      index = new Map(apps.map((app, i) => [app.id, i]));
      this.appIndex.set(org, index);
    }
    const known = index;
    return (appId) => known.get(appId);
  }

  /** Drops what carryOut keeps between actions (after anything that may change the files). */
  private forgetWorkingState(org: string): void {
    this.snapshots.delete(org);
    this.lastLines.delete(org);
    this.readAt.delete(org);
  }

  /** The folder of one org, checked to exist. */
  async existingOrgDir(org: string): Promise<string> {
    if (!orgSlugPattern.test(org)) {
      throw new InputError(`"${org}" is not an org slug (lower-case letters, digits and dashes, e.g. acme-prod)`);
    }
    const orgDir = path.join(this.root, org);
    let isDir = false;
    try {
      isDir = (await stat(orgDir)).isDirectory();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (!isDir) {
      const orgs = await this.listOrgs();
      const known = orgs.length > 0 ? `the store has: ${orgs.join(', ')}` : 'the store has no orgs';
      throw new StoreError(`no org "${org}" in ${this.root} (${known})`);
    }
    try {
      accessSync(orgDir, constants.R_OK | constants.X_OK);
    } catch {
      throw new StoreError(`the org store ${orgDir} cannot be read (permission denied): its folder must be readable`);
    }
    await this.storeCall(org, () => checkLayoutFolder(orgDir, 'apps'));
    return orgDir;
  }

  private unlockCommand(org: string, id: string): string {
    const root = path.normalize(this.root);
    const flag = root === defaultOrgStateDir ? '' : ` --org-state ${/^[\w./-]+$/.test(root) ? root : JSON.stringify(root)}`;
    return `capctl unlock ${org} ${id}${flag}`;
  }

  private async readJournalOrFail(org: string, orgDir: string): Promise<Journal | undefined> {
    try {
      const journal = await readJournal(orgDir);
      if (journal !== undefined) await checkLinesAppendable(path.join(orgDir, ledgerFileName), journal.ledgerLines, journalFileName);
      return journal;
    } catch (error) {
      if (error instanceof EntryProblem) throw this.malformed(org, [problemOf(error)]);
      throw this.malformed(org, [{ file: journalFileName, code: Codes.storeMalformed, message: `unreadable journal: ${(error as Error).message}` }]);
    }
  }

  /** The snapshot's files (relative paths, sorted) and, for those a journal replaces, where their new content is. */
  private async snapshotFiles(orgDir: string, journal: Journal | undefined): Promise<{ rels: string[]; sources: Map<string, string> }> {
    const rels = new Set<string>([orgFileName, usersFileName]);
    let names: string[];
    try {
      names = await listDir(path.join(orgDir, appsDirName));
    } catch (error) {
      throw entryProblemOf(orgDir, appsDirName, error);
    }
    for (const name of names) {
      if (name.endsWith('.json') && !name.startsWith('.')) rels.add(`${appsDirName}/${name}`);
    }
    const sources = new Map<string, string>();
    for (const { path: rel, temp } of journal?.replace ?? []) {
      rels.add(rel);
      sources.set(rel, temp);
    }
    for (const rel of journal?.remove ?? []) rels.delete(rel);
    return { rels: [...rels].sort(), sources };
  }

  /** Reads, hashes, parses and schema-checks one file (from its journal temp when there is one). */
  private async readStoreFile(orgDir: string, rel: string, temp: string | undefined): Promise<ReadResult> {
    let read: { bytes: Buffer; entry: FileEntry } | undefined;
    try {
      if (temp !== undefined) read = await readWithEntry(orgDir, temp);
      read ??= await readWithEntry(orgDir, rel);
    } catch (error) {
      if (error instanceof EntryProblem) return { rel, problems: [problemOf(error)] };
      throw error;
    }
    if (read === undefined) {
      return { rel, problems: [{ file: rel, code: Codes.storeMissingFile, message: `${rel} is missing` }] };
    }
    const { bytes, entry } = read;
    if (!isUtf8(bytes)) return { rel, entry, problems: [{ file: rel, code: Codes.storeNotUtf8, message: 'not UTF-8 text' }] };
    const parsed = parseStoreJson(bytes.toString('utf8'));
    const text = parsed.text;
    if ('problem' in parsed) {
      const { kind, message, at } = parsed.problem;
      const problem: StoreProblem = { file: rel, code: kind === 'syntax' ? Codes.storeJsonSyntax : Codes.storeDuplicateKey, message, ...(at ?? {}) };
      return { rel, entry, problems: [problem] };
    }
    const value = parsed.value;
    const schemaProblems = checkAgainstSchema(schemaDefOf(rel), value);
    if (schemaProblems.length === 0) return { rel, entry, value, problems: [] };
    const problems = schemaProblems.map((p): StoreProblem => {
      const at = bytes.length <= maxLocateBytes ? locateJsonPointer(text, p.pointer) : undefined;
      return { file: rel, code: Codes.storeSchema, message: p.message, ...(at ? { line: at.line, column: at.column } : {}) };
    });
    return { rel, entry, problems };
  }

  /** Adds line and column to problems that point into a file (reading each such file once). */
  private async locateProblems(orgDir: string, problems: StoreProblem[], sources: Map<string, string>): Promise<void> {
    const byFile = new Map<string, StoreProblem[]>();
    for (const p of problems.slice(0, maxDiagnostics)) {
      if (p.pointer === undefined) continue;
      const list = byFile.get(p.file);
      if (list) list.push(p);
      else byFile.set(p.file, [p]);
    }
    for (const [rel, list] of byFile) {
      const source = sources.get(rel);
      const read = await ((source !== undefined ? readWithEntry(orgDir, source) : Promise.resolve(undefined)).then((r) => r ?? readWithEntry(orgDir, rel))).catch(() => undefined);
      if (read === undefined || read.bytes.length > maxLocateBytes) continue;
      const text = read.bytes.toString('utf8').replace(/^\uFEFF/, '');
      for (const p of list) {
        const at = locateJsonPointer(text, p.pointer!);
        if (at) Object.assign(p, at);
      }
    }
  }

  /** Runs `fn`, turning an entry the store cannot read (EntryProblem) into a malformed store. */
  private async storeCall<T>(org: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof EntryProblem) throw this.malformed(org, [problemOf(error)]);
      throw error;
    }
  }

  private malformed(org: string, problems: StoreProblem[]): StoreError {
    const orgDir = path.join(this.root, org);
    const sorted = [...problems].sort(compareProblemFiles);
    const diagnostics: Diagnostic[] = sorted.slice(0, maxDiagnostics).map((p) => ({
      severity: 'error',
      code: p.code,
      message: p.message,
      file: path.join(orgDir, p.file),
      ...(p.line !== undefined ? { line: p.line, column: p.column ?? 1 } : {}),
    }));
    if (problems.length > maxDiagnostics) {
      diagnostics.push({ severity: 'error', code: Codes.storeMalformed, message: `and ${problems.length - maxDiagnostics} more problems`, file: orgDir });
    }
    const count = countOf(problems.length, 'problem');
    return new StoreError(`the org store ${orgDir} is malformed (${count}); nothing was written`, diagnostics);
  }

  /** The entries of every file of the snapshot digest as they are now, reusing `known` where still valid. */
  private async currentEntries(orgDir: string, known: HashCache): Promise<HashCache> {
    const { rels } = await this.snapshotFiles(orgDir, undefined);
    const cache: HashCache = new Map();
    for (const rel of rels) {
      const entry = await currentEntry(orgDir, rel, known);
      if (entry) cache.set(rel, entry);
    }
    return cache;
  }
}

/**
 * Throws when a file an action would write breaks its schema (a plan edited by hand, its digest
 * recomputed, can ask for values the planner never gives): the store never writes a file that it
 * would refuse to read. Checks across files (users, profiles) are the planner's.
 */
function checkWritable(files: readonly FileChange[], values: readonly unknown[]): void {
  files.forEach(({ path: rel }, i) => {
    const problems = checkAgainstSchema(schemaDefOf(rel), values[i]);
    if (problems.length > 0) {
      throw new Error(`it would write an invalid ${rel}: ${problems.map((p) => p.message.replace(/^the file: /, '')).join('; ')}`);
    }
  });
}

/** Where a store was at a moment: a token that changes with every change, and what readLedger needs of it. */
interface ReadGeneration {
  token: string;
  /** The ledger's size then. */
  ledgerBytes: number;
  /** The ledger lines of a journal pending then. */
  pending?: readonly LedgerRecord[];
}

/**
 * The store's generation: the journal (present or not, which one), the ledger's size and identity,
 * and the times of the org folder and its apps folder (a change creates and removes the journal
 * there, and renames files in them). Times alone would not do: they are as coarse as the kernel's
 * clock tick; the journal and the ledger change with every change.
 */
function generationOf(orgDir: string): ReadGeneration {
  const parts: string[] = [];
  let ledgerBytes = 0;
  for (const rel of ['.', 'apps', journalFileName, ledgerFileName]) {
    let info;
    try {
      info = lstatSync(path.join(orgDir, rel), { bigint: true });
    } catch {
      parts.push('-');
      continue;
    }
    if (rel === ledgerFileName) ledgerBytes = Number(info.size);
    parts.push(`${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`);
  }
  return { token: parts.join('|'), ledgerBytes };
}

/** A store problem from an entry the store cannot read. */
function problemOf(error: EntryProblem): StoreProblem {
  return { file: error.rel, code: error.code, message: error.message };
}

/** Throws EntryProblem unless `rel` is a regular file or missing. */
function checkRegularOrMissing(orgDir: string, rel: string): void {
  let info;
  try {
    info = lstatSync(path.join(orgDir, rel));
  } catch (error) {
    if (isNotFound(error)) return;
    throw entryProblemOf(orgDir, rel, error);
  }
  if (!info.isFile()) throw entryProblemOf(orgDir, rel, Object.assign(new Error(rel), { code: info.isDirectory() ? 'EISDIR' : 'ELOOP' }));
}

/** Throws StoreError when the folders a change writes in are not writable (found before anything changes). */
function checkWritableFolders(orgDir: string): void {
  for (const dir of [orgDir, path.join(orgDir, 'apps')]) {
    try {
      accessSync(dir, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      throw new StoreError(`cannot write in the org store folder ${dir} (${code === 'EROFS' ? 'a read-only file system' : 'permission denied'}): this command changes the store; nothing was changed`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The schema definition a store file is checked against. */
function schemaDefOf(rel: string): StoreSchemaDef {
  return kindOfFile(rel);
}
