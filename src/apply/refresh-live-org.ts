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
  /** What is kept beside the state files (the metadata cache): its files, relative to the org folder, committed with them. */
  kept?: { files: string[]; write(): Promise<void> };
}

/** What refreshLiveOrg needs. */
export interface RefreshLiveOptions extends LockedRunOptions {
  /** The org as its state folder holds it, or undefined when it has none yet. */
  readStored(): Promise<OrgSnapshot | undefined>;
  /** Reads the live org (given what the folder holds, for its revision and cache). Writes nothing. */
  readLive(stored: OrgSnapshot | undefined): Promise<LiveState>;
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
  const stored = await options.readStored();
  const live = await options.readLive(stored);
  const report: RefreshReport = { org, status: 'no-changes', storeDigest: stored?.digest ?? live.snapshot.digest, earlierCommits: [] };
  if (stored !== undefined && !movedApartFromUsage(stored, live.snapshot)) return report;
  if (stored === undefined) await options.createFolder();
  const lock = await takeLock(store, org, options.actor, options);
  try {
    // Under the lock: the folder as it is now (another refresh may have written it meanwhile).
    const before = stored === undefined ? undefined : await options.readStored();
    if (before !== undefined && !movedApartFromUsage(before, live.snapshot)) return { ...report, storeDigest: before.digest };
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
        files: [...changed.map((f) => f.file), ...(live.kept?.files ?? [])],
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
  if (formatJson(stored.org) !== formatJson(live.org) || formatJson(stored.users) !== formatJson(live.users)) return true;
  if (stored.apps.length !== live.apps.length) return true;
  const byId = new Map(stored.apps.map((a) => [a.id, a]));
  return live.apps.some((app) => {
    const was = byId.get(app.id);
    return was === undefined || formatJson(withoutUsage(was)) !== formatJson(withoutUsage(app));
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
    if (was === undefined || formatJson(withoutUsage(was)) !== formatJson(withoutUsage(app))) return app;
    if (formatJson(was) !== formatJson(app)) replaced = true;
    return was;
  });
  if (!replaced) return live;
  const data = { org: live.org, users: live.users, apps };
  return { ...live, apps, digest: digestOfData(data) };
}

function withoutUsage(app: ObservedApp): unknown {
  return { ...app, sessions: app.sessions.map(({ lastUsed: _lastUsed, useCount: _useCount, ...rest }) => rest) };
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
    .filter((f) => f.before === undefined || f.after === undefined || formatJson(f.before) !== formatJson(f.after))
    .sort((a, b) => byCodePoint(a.file, b.file));
}
