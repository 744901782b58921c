// Committing a run of changes to the file store: the files of one change, or of several in a row,
// and their ledger lines become visible together or not at all, whatever moment the process is
// killed at (the journal, journal.ts: temporary files, then the journal as the commit point, then
// rolled forward); and recovery, which finishes a journal a killed process left behind.
import { accessSync, constants, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { StoreError, type LedgerRecord } from '../model/index.js';
import { isNotFound, removeIfPresent, syncDir, tempPathFor, writeNewFileDurably } from './durable-fs.js';
import type { FileStoreCaches } from './file-caches.js';
import type { StoreChange } from './file-change.js';
import { currentEntry, digestAfter, digesterOf, type HashCache } from './file-hashes.js';
import { appsDirName, journalFileName, ledgerFileName, orgFileName, usersFileName } from './file-layout.js';
import type { OrgFolders } from './file-org-folder.js';
import { removeOrphanTemps, rollForward, writeJournal, type CommitStepHook, type Journal } from './journal.js';
import { removeDeadTakers } from './lock-file.js';
import { mapPool } from './map-pool.js';
import type { SnapshotFileReader } from './read-snapshot-files.js';
import { entryProblemOf } from './store-entry.js';
import { hashBytes, type SnapshotDigester } from './store-digest.js';

/** What recover() found and did. */
export interface RecoveryReport {
  /** A journal left by a killed commit was carried out to the end. */
  rolledForward: boolean;
  /** Temporary files of commits that never reached their journal (and half-taken locks of dead processes), deleted. */
  tempFilesRemoved: number;
}

const appFilePattern = /^apps\/[a-zA-Z0-9]{18}\.json$/;
const writeConcurrency = 4;

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

/** Writes runs of changes to the file store, each as one atomic change, and recovers what a killed one left. */
export class RunCommitter {
  constructor(
    private readonly folders: OrgFolders,
    private readonly caches: FileStoreCaches,
    private readonly reader: SnapshotFileReader,
    /** Called after each step of every commit. A test seam: crash tests kill the process there. */
    private readonly onCommitStep?: CommitStepHook,
  ) {}

  /**
   * Makes several changes, in order, ONE atomic unit (journal.ts): each file they touch is written
   * once, with what the last of them gives it, and their ledger lines are appended together. Each
   * change's ledger line is built from the snapshot digest right after that change; the digests
   * are returned, one per change. Paths are relative to the org folder: org.json, users.json or
   * apps/<id>.json. Only files whose bytes change are rewritten; a removal of a missing file is
   * nothing. Call while holding the org's lock, after reading the snapshot under it.
   *
   * The digests are computed from the hashes the store knows (from its last readSnapshot,
   * currentDigest or commit; without any, from hashing the files now) and those of the files
   * written, so the store is not read again: the files a change does not touch are trusted to be as
   * the store last saw them, which holding the lock guarantees against other capctl processes
   * (check with currentDigest after taking it).
   */
  async commitAll(org: string, changes: readonly StoreChange[]): Promise<string[]> {
    this.caches.forget(org, 'commit-started');
    const orgDir = await this.folders.existingOrgDir(org);
    if ((await this.folders.readJournalOrFail(org, orgDir)) !== undefined) {
      throw new Error(`commit: ${path.join(orgDir, journalFileName)} is pending; take the lock (which recovers) first`);
    }
    // `cache` is changed in place only once the change is carried out: copying 10,000 entries for
    // every action of an apply would cost more than the action.
    const cache = this.caches.of(org).hashes ?? (await this.folders.storeCall(org, () => this.reader.currentEntries(orgDir, new Map())));
    try {
      const run = await this.folders.storeCall(org, () => digestRun(orgDir, cache, changes));
      if (run.writes.length === 0 && run.removals.length === 0 && run.ledgerLines.length === 0) return run.digests;
      await this.writeRun(org, orgDir, cache, run);
      if (!run.digesterFollowed) this.caches.forget(org, 'digests-unfollowed');
      return run.digests;
    } catch (error) {
      // The digester may hold hashes of a change that did not happen: built again when next needed.
      this.caches.forget(org, 'digests-unfollowed');
      throw error;
    }
  }

  /**
   * Finishes a change that a killed process decided (rolls its journal forward, idempotently) and
   * deletes temporary files of changes that were never decided. Taking the lock does this; call it
   * directly only while holding the lock.
   */
  async recover(org: string): Promise<RecoveryReport> {
    const orgDir = await this.folders.existingOrgDir(org);
    const journal = await this.folders.readJournalOrFail(org, orgDir);
    if (journal !== undefined) {
      // Every entry the journal's roll forward touches is checked first: a link is never renamed
      // into the store, and the ledger is appended to only when it is a regular file.
      await this.folders.storeCall(org, async () => {
        for (const { temp } of journal.replace) assertRegularOrMissing(orgDir, temp);
        assertRegularOrMissing(orgDir, ledgerFileName);
      });
      await rollForward(orgDir, journal);
    }
    const tempFilesRemoved = (await removeOrphanTemps(orgDir, [appsDirName])) + (await removeDeadTakers(orgDir));
    this.caches.forget(org, journal !== undefined || tempFilesRemoved > 0 ? 'files-recovered' : 'recovered');
    return { rolledForward: journal !== undefined, tempFilesRemoved };
  }

  /** Writes a prepared run: temporary files, the journal (the commit point), then rolls it forward. */
  private async writeRun(org: string, orgDir: string, cache: HashCache, run: PreparedRun): Promise<void> {
    const hook = this.onCommitStep;
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
    this.caches.forget(org, 'files-moving');
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
    this.caches.remember(org, { hashes: cache });
  }
}

/**
 * What a run of changes leaves: the bytes of each file it rewrites (as the last change gives
 * them), the files it removes, the digest after each change and each change's ledger line.
 * Nothing is written. The digester follows the run change by change (hashing only from the first
 * changed line on); a change it cannot take (a file added or removed) is digested from scratch,
 * and so is the rest of the run.
 */
async function digestRun(orgDir: string, cache: HashCache, changes: readonly StoreChange[]): Promise<PreparedRun> {
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

/** Throws EntryProblem unless `rel` is a regular file or missing. */
function assertRegularOrMissing(orgDir: string, rel: string): void {
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
export function assertWritableFolders(orgDir: string): void {
  for (const dir of [orgDir, path.join(orgDir, appsDirName)]) {
    try {
      accessSync(dir, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      throw new StoreError(`cannot write in the org store folder ${dir} (${code === 'EROFS' ? 'a read-only file system' : 'permission denied'}): this command changes the store; nothing was changed`);
    }
  }
}
