// `capctl refresh` on a connected org (SPEC §13): read the org through the API and make its state
// folder org-state/<org>/ hold what was read, so that git keeps the observed history beside the
// desired one.
//   read the state folder → read the org live (the folder's revision and metadata cache) →
//   compare, usage counters set aside → nothing moved: write nothing → else take the lock, write
//   the folder and the observed line as one atomic change, the metadata cache beside it, commit.
// A failed read (limit, session, login, malformed answer, timeout) throws before anything is
// written. Usage counters (a session's lastUsed, useCount) alone are not a change: they move
// every minute on a live org, and a refresh that only they moved would commit noise.
import type { ObservedApp, CommitOutcome, LedgerRecord, ObservedChange, ObservedSessions, OrgSnapshot, RefreshReport, StatePart } from '../model/index.js';
import { formatJson } from '../store/json-format.js';
import { nextObservedLine } from '../store/ledger-chain.js';
import { digestOfData } from '../store/store-digest.js';
import type { StateFolder } from '../store/org-store.js';
import { byCodePoint } from '../plan/names.js';
import { takeLock, type LockedRunOptions } from './take-lock.js';

/** One state file before and after the read (undefined: absent). */
export interface StateFileChange {
  /** The entry of the state folder. */
  file: string;
  /** Which part of the state it holds. */
  part: StatePart;
  before: unknown;
  after: unknown;
}

/** What a live read gives refresh. */
export interface LiveState {
  snapshot: OrgSnapshot;
  /** What is kept beside the state files (the metadata and sessions caches): written after them; the state folder commits them with them (its `filesOf`). */
  kept?: { write(): Promise<void> };
}

/** What refreshLiveOrg needs. */
export interface RefreshLiveOptions extends LockedRunOptions {
  /** The org as its state folder holds it, or undefined when it has none yet. */
  readStored(): Promise<OrgSnapshot | undefined>;
  /**
   * Reads the live org (given what the folder holds, for its revision and cache: still being read,
   * so that the reads that do not need it start at once). Writes nothing.
   */
  readLive(stored: Promise<OrgSnapshot | undefined>): Promise<LiveState>;
  /** Creates the folder of an org never refreshed. */
  createFolder(): Promise<void>;
  /** Names the changes of the changed files (audit's describeChangedFiles). */
  describe(files: readonly StateFileChange[]): { changes: ObservedChange[]; sessions: ObservedSessions[] };
  /** Omitted with --no-commit: commits the ledger lines up to `upToSeq` that git does not hold yet. */
  recordPending?(ledger: readonly LedgerRecord[], upToSeq: number): Promise<CommitOutcome[]>;
}

/** Makes the state folder match the live org, or writes nothing when only usage counters moved. */
export async function refreshLiveOrg(options: RefreshLiveOptions): Promise<RefreshReport> {
  const { store, org } = options;
  // The state folder is read while the org is: the live read waits for it only where it needs it.
  // A folder that cannot be read is reported as before, ahead of anything the live read says.
  const storedRead = options.readStored();
  const liveRead = options.readLive(storedRead);
  liveRead.catch(() => undefined);
  const stored = await storedRead;
  const live = await liveRead;
  // Nothing moved: the folder's own digest. (The live snapshot's would format every app again, a
  // million sessions' worth, for the digest the write below computes from the files it writes.)
  const unchanged = (folder: OrgSnapshot): RefreshReport => ({ org, status: 'no-changes', storeDigest: folder.digest, earlierCommits: [] });
  if (stored !== undefined && !movedApartFromUsage(stored, live.snapshot)) return unchanged(stored);
  if (stored === undefined) await options.createFolder();
  const lock = await takeLock(store, org, options.actor, options);
  try {
    // Under the lock: the folder as it is now (another refresh may have written it meanwhile).
    const before = stored === undefined ? undefined : await options.readStored();
    if (before !== undefined && !movedApartFromUsage(before, live.snapshot)) return unchanged(before);
    const ledger = await store.readLedger(org);
    const folder = store.stateFolder(org);
    if (!folder?.writeObserved) throw new Error(`refresh: the store keeps no state folder for ${org} to write`);
    const changed = changedFiles(before, live.snapshot, folder);
    const described = before === undefined ? { changes: [], sessions: [] } : options.describe(changed);
    const notes = before === undefined ? [`the first read of ${org}: its state folder starts here`] : [];
    const last = ledger.at(-1);
    const at = options.now().toISOString();
    const line = await folder.writeObserved(live.snapshot, (storeDigest) =>
      nextObservedLine(last, {
        at,
        actor: options.actor,
        observed: { named: before !== undefined, ...(last ? { previousDigest: last.result.storeDigest } : {}), ...described },
        storeDigest,
        parts: changed.map((f) => f.part),
      }),
    );
    await live.kept?.write();
    let commit: CommitOutcome = { status: 'skipped' };
    if (options.recordPending) {
      try {
        commit = (await options.recordPending([...ledger, line], line.seq)).at(-1) ?? { status: 'nothing-to-commit' };
      } catch (error) {
        commit = { status: 'failed', message: `${error instanceof Error ? error.message : String(error)}; the next apply or refresh records it` };
      }
    }
    return { org, status: 'recorded', storeDigest: line.result.storeDigest, earlierCommits: [], recorded: { line, commit, notes } };
  } finally {
    await lock.release();
  }
}

/** Whether anything but usage counters differs between the folder's state and the live one. */
export function movedApartFromUsage(stored: OrgSnapshot, live: OrgSnapshot): boolean {
  if (!sameJson(stored.org, live.org) || !sameJson(stored.users, live.users)) return true;
  if (stored.apps.length !== live.apps.length) return true;
  const byId = new Map(stored.apps.map((a) => [a.id, a]));
  return live.apps.some((app) => {
    const was = byId.get(app.id);
    return was === undefined || !sameApartFromUsage(was, app);
  });
}

/**
 * The live state with usage counters as the folder holds them wherever nothing else of an app
 * moved: what `drift` compares, so that counters alone are no drift (as they are no change to
 * refresh). The folder's own snapshot when nothing but counters moved.
 */
export function usageAsStored(stored: OrgSnapshot, live: OrgSnapshot): OrgSnapshot {
  if (!movedApartFromUsage(stored, live)) return stored;
  const byId = new Map(stored.apps.map((a) => [a.id, a]));
  let replaced = false;
  const apps = live.apps.map((app) => {
    const was = byId.get(app.id);
    if (was === undefined || !sameApartFromUsage(was, app)) return app;
    if (!sameJson(was, app)) replaced = true;
    return was;
  });
  if (!replaced) return live;
  const data = { org: live.org, users: live.users, apps };
  return { ...live, apps, digest: digestOfData(data) };
}

const usageCounters: ReadonlySet<string> = new Set(['lastUsed', 'useCount']);

/** Whether two apps format the same (formatJson) once their sessions' usage counters are set aside. */
function sameApartFromUsage(was: ObservedApp, app: ObservedApp): boolean {
  if (was === app) return true;
  const { sessions: before, ...restBefore } = was;
  const { sessions: after, ...restAfter } = app;
  if (!sameJson(restBefore, restAfter) || before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) if (!sameJson(before[i], after[i], usageCounters)) return false;
  return true;
}

/**
 * Whether two values give the same formatJson text, without writing it (a million sessions'
 * worth): keys in any order, a member whose value is undefined as absent, an undefined array item
 * as null, numbers as JSON writes them (NaN and the infinities as null). `skip`: members of the top object left out.
 */
export function sameJson(a: unknown, b: unknown, skip?: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return asJsonScalar(a) === asJsonScalar(b);
  if (hasToJson(a) || hasToJson(b)) return formatJson(a) === formatJson(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let members = 0;
  for (const key of Object.keys(x)) {
    if (x[key] === undefined || skip?.has(key)) continue;
    members++;
    if (!Object.hasOwn(y, key) || y[key] === undefined || !sameJson(x[key], y[key])) return false;
  }
  for (const key of Object.keys(y)) if (y[key] !== undefined && !skip?.has(key)) members--;
  return members === 0;
}

/** A scalar as JSON writes it: an undefined array item, NaN and the infinities are null. */
function asJsonScalar(value: unknown): unknown {
  if (value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return null;
  return value;
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** The state files whose bytes differ (usage counters included), in path order: each part of the state as `folder` names its entry. */
export function changedFiles(
  before: Pick<OrgSnapshot, 'org' | 'users' | 'apps'> | undefined,
  after: Pick<OrgSnapshot, 'org' | 'users' | 'apps'>,
  folder: Pick<StateFolder, 'entryOf'>,
): StateFileChange[] {
  const files = new Map<string, StateFileChange>();
  const put = (part: StatePart, side: 'before' | 'after', value: unknown): void => {
    const file = folder.entryOf(part);
    const entry = files.get(file) ?? { file, part, before: undefined, after: undefined };
    entry[side] = value;
    files.set(file, entry);
  };
  for (const [side, snapshot] of [['before', before], ['after', after]] as const) {
    if (snapshot === undefined) continue;
    put({ kind: 'org' }, side, snapshot.org);
    put({ kind: 'users' }, side, snapshot.users);
    for (const app of snapshot.apps) put({ kind: 'app', appId: app.id }, side, app);
  }
  return [...files.values()]
    .filter((f) => f.before === undefined || f.after === undefined || !sameJson(f.before, f.after))
    .sort((a, b) => byCodePoint(a.file, b.file));
}
