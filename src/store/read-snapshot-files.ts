// Reading the file store: one org's snapshot from org.json, users.json and apps/*.json (each
// validated against its schema, then checked across files, check-store.ts) and its ledger, while a
// writer may be changing the store: a read that overlapped a change is thrown away and made again
// (readConsistently). A change decided but not yet carried out (a journal left by a killed
// process) is read as if it were: what you read is what recovery will leave. Nothing is written.
import { isUtf8 } from 'node:buffer';
import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { ObservedApp, LedgerRecord, ObservedOrg, OrgSnapshot, OrgUser } from '../model/index.js';
import { Codes, StoreError } from '../model/index.js';
import { sortAppsByName } from './app-order.js';
import { StoreChecker, type StoreProblem } from './check-store.js';
import { listDir } from './durable-fs.js';
import type { FileStoreCaches, ReadGeneration } from './file-caches.js';
import { currentEntry, digestOfEntries, readWithEntry, type FileEntry, type HashCache } from './file-hashes.js';
import { appsDirName, journalFileName, kindOfFile, ledgerFileName, orgFileName, usersFileName } from './file-layout.js';
import { maxDiagnostics, problemOf, type OrgFolders } from './file-org-folder.js';
import type { Journal } from './journal.js';
import { locateJsonPointer } from './json-locate.js';
import { checkLedgerTail, parseLedger } from './ledger-file.js';
import type { SnapshotReadOptions } from './org-store.js';
import { parseStoreJson } from './parse-store-json.js';
import { checkAgainstSchema } from './schema-validators.js';
import { entryProblemOf, EntryProblem } from './store-entry.js';
import { byCodePoint } from '../plan/names.js';

const maxLocateBytes = 16 * 1024 * 1024;
/**
 * How long a read keeps starting again because the store changed while it ran: a read of a large
 * org takes longer than an apply takes between two of its changes, so a reader in effect waits for
 * the apply to end.
 */
const readPatienceMs = 120_000;

/** One file of the org folder as read: its entry, its parsed value, or the problems it has. */
interface ReadResult {
  rel: string;
  entry?: FileEntry;
  value?: unknown;
  problems: StoreProblem[];
}

/** Reads the snapshot and the ledger of the file store's orgs. */
export class SnapshotFileReader {
  constructor(
    private readonly folders: OrgFolders,
    private readonly caches: FileStoreCaches,
  ) {}

  /**
   * Reads one org: org.json, users.json and apps/*.json, each validated against its schema, then
   * the store as a whole (check-store.ts) and the ledger's last line. Apps come sorted by name.
   * Throws StoreError listing every problem, naming each file.
   */
  async readSnapshot(org: string, options: SnapshotReadOptions = {}): Promise<OrgSnapshot> {
    options.signal?.throwIfAborted();
    const orgDir = await this.folders.existingOrgDir(org);
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
    this.caches.remember(org, { readAt: { ...generation, pending } });
    return value;
  }

  /** The org's ledger lines, in order; [] when it has no ledger. Throws StoreError on a bad line. */
  async readLedger(org: string): Promise<LedgerRecord[]> {
    const orgDir = await this.folders.existingOrgDir(org);
    const at = this.caches.of(org).readAt;
    if (at !== undefined) return this.parseLedgerText(org, (await this.readLedgerBytes(org, orgDir)).subarray(0, at.ledgerBytes), at.pending ?? []);
    const { value } = await this.readConsistently(org, orgDir, async () => {
      const journal = await this.folders.readJournalOrFail(org, orgDir);
      return this.parseLedgerText(org, await this.readLedgerBytes(org, orgDir), journal?.ledgerLines ?? []);
    });
    return value;
  }

  /** The entries of every file of the snapshot digest as they are now, reusing `known` where still valid. */
  async currentEntries(orgDir: string, known: HashCache): Promise<HashCache> {
    const { rels } = await this.snapshotFiles(orgDir, undefined);
    const cache: HashCache = new Map();
    for (const rel of rels) {
      const entry = await currentEntry(orgDir, rel, known);
      if (entry) cache.set(rel, entry);
    }
    return cache;
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
        throw new StoreError(`the org store ${path.join(this.folders.root, org)} changed every time it was read (${attempt} times in ${Math.round((Date.now() - start) / 1000)} s): try again once the apply running on it is done`);
      }
      await sleep(Math.min(100, attempt * 5));
    }
  }

  /** One read of the snapshot, which readConsistently repeats when the store changed meanwhile. */
  private async readSnapshotOnce(org: string, orgDir: string, options: SnapshotReadOptions, onJournal: (journal: Journal | undefined) => void): Promise<OrgSnapshot> {
    const journal = await this.folders.readJournalOrFail(org, orgDir);
    onJournal(journal);
    const unchanged = journal === undefined ? await this.unchangedSnapshot(org, orgDir) : undefined;
    if (unchanged !== undefined) {
      options.onOrg?.(unchanged.org, unchanged.apps.length);
      options.onProgress?.(unchanged.apps.length, unchanged.apps.length);
      this.caches.remember(org, { working: unchanged });
      return unchanged;
    }
    const { rels, sources } = await this.folders.storeCall(org, () => this.snapshotFiles(orgDir, journal));
    const appRels = rels.filter((rel) => kindOfFile(rel) === 'AppFile');
    const read = (rel: string): Promise<ReadResult> => readStoreFile(orgDir, rel, sources.get(rel));
    const orgRead = await read(orgFileName);
    const orgFile = orgRead.value as ObservedOrg | undefined;
    if (orgFile !== undefined) options.onOrg?.(orgFile, appRels.length);
    const usersRead = await read(usersFileName);
    const users = usersRead.value as OrgUser[] | undefined;
    // Checks across files need org.json and users.json; each app is checked as soon as it is
    // parsed, while it is still in the processor's caches.
    const checker = orgFile !== undefined && users !== undefined ? new StoreChecker(org, orgFile, users) : undefined;
    const appReads: ReadResult[] = [];
    const turn = new EventLoopTurns();
    for (const rel of appRels) {
      options.signal?.throwIfAborted();
      await turn.now();
      const result = await read(rel);
      options.onProgress?.(appReads.length + 1, appRels.length);
      if (result.value !== undefined) checker?.checkApp(rel, result.value as ObservedApp);
      appReads.push(result);
    }
    const results = [orgRead, usersRead, ...appReads];
    const problems = results.flatMap((r) => r.problems);
    problems.push(...(await this.folders.storeCall(org, () => checkLedgerTail(path.join(orgDir, ledgerFileName), (journal?.ledgerLines.length ?? 0) > 0))));
    if (checker) {
      const found = checker.finish();
      await locateProblems(orgDir, found, sources);
      problems.push(...found);
    }
    if (problems.length > 0 || orgFile === undefined || users === undefined) throw this.folders.malformed(org, problems);

    const cache: HashCache = new Map();
    // In path order, which later digests of this cache (one per applied action) then need not sort.
    for (const r of [...results].sort((a, b) => byCodePoint(a.rel, b.rel))) if (r.entry) cache.set(r.rel, r.entry);
    const snapshot: OrgSnapshot = {
      slug: org,
      org: orgFile,
      users,
      apps: sortAppsByName(appReads.map((r) => r.value as ObservedApp)),
      digest: digestOfEntries(cache),
    };
    this.caches.remember(org, { hashes: cache, working: snapshot, lastRead: snapshot });
    return snapshot;
  }

  /** The last snapshot of the org, when its files (and its ledger's last line) are still as it had them. */
  private async unchangedSnapshot(org: string, orgDir: string): Promise<OrgSnapshot | undefined> {
    const { lastRead: known, hashes } = this.caches.of(org);
    if (known === undefined || hashes === undefined) return undefined;
    let current: HashCache;
    try {
      current = await this.currentEntries(orgDir, hashes);
    } catch (error) {
      if (error instanceof EntryProblem) return undefined; // read in full, which names the problem
      throw error;
    }
    this.caches.remember(org, { hashes: current });
    if (digestOfEntries(current) !== known.digest) return undefined;
    if ((await this.folders.storeCall(org, () => checkLedgerTail(path.join(orgDir, ledgerFileName), false))).length > 0) return undefined;
    return known;
  }

  /** The bytes of the org's ledger ([] when it has none). */
  private async readLedgerBytes(org: string, orgDir: string): Promise<Buffer> {
    return this.folders.storeCall(org, async () => (await readWithEntry(orgDir, ledgerFileName))?.bytes ?? Buffer.alloc(0));
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
    if (problems.length > 0) throw this.folders.malformed(org, problems);
    // A decided change whose ledger lines are not all written yet: read them as recovery will write them.
    const lastSeq = parsed.lines.at(-1)?.seq ?? 0;
    const lines = parsed.lines;
    for (const line of pending) if (line.seq > lastSeq) lines.push(line);
    this.caches.remember(org, { lastLine: lines.at(-1) ?? null });
    return lines;
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
}

/** Reads, hashes, parses and schema-checks one file (from its journal temp when there is one). */
async function readStoreFile(orgDir: string, rel: string, temp: string | undefined): Promise<ReadResult> {
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
  const schemaProblems = checkAgainstSchema(kindOfFile(rel), value);
  if (schemaProblems.length === 0) return { rel, entry, value, problems: [] };
  const problems = schemaProblems.map((p): StoreProblem => {
    const at = bytes.length <= maxLocateBytes ? locateJsonPointer(text, p.pointer) : undefined;
    return { file: rel, code: Codes.storeSchema, message: p.message, ...(at ? { line: at.line, column: at.column } : {}) };
  });
  return { rel, entry, problems };
}

/** Adds line and column to problems that point into a file (reading each such file once). */
async function locateProblems(orgDir: string, problems: StoreProblem[], sources: Map<string, string>): Promise<void> {
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

/**
 * The store's generation: the journal (present or not, which one), the ledger's size and identity,
 * and the times of the org folder and its apps folder (a change creates and removes the journal
 * there, and renames files in them). Times alone would not do: they are as coarse as the kernel's
 * clock tick; the journal and the ledger change with every change.
 */
function generationOf(orgDir: string): ReadGeneration {
  const parts: string[] = [];
  let ledgerBytes = 0;
  for (const rel of ['.', appsDirName, journalFileName, ledgerFileName]) {
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Lets the event loop run now and then during a long synchronous read (each file is read, parsed
 * and checked without a real wait): a live read in the same process (its HTTP answers, the next
 * page of a query) goes on meanwhile instead of waiting for the whole folder to be read.
 */
class EventLoopTurns {
  private last = performance.now();

  /** Resolves at once, or after one turn of the event loop when `everyMs` have passed since the last. */
  async now(everyMs = 8): Promise<void> {
    if (performance.now() - this.last < everyMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
