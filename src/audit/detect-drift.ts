// `capctl drift`: what changed in the store since the ledger's last line (an apply, or a refresh
// that recorded outside changes) that nothing recorded yet.
//
// Whether there is drift is decided by the ledger alone: its last line records the store digest
// the last apply or refresh left (result.storeDigest), and the store's digest now either equals it
// or not. What drifted is named by comparing the store now with the files of the commit that
// recorded that line (git knows which files changed since, `git diff <commit>`); without such a
// commit (--no-commit, or no git) the report says that the store moved and that it cannot name how.
import { Trailers, type DriftChange, type DriftReport, type LedgerRecord, type OrgSnapshot, type StatePart } from '../model/index.js';
import { isPlainObject } from '../store/json-format.js';
import { isObservedLine } from '../store/ledger-chain.js';
import type { StateFolder } from '../store/org-store.js';
import { headCommit, openGitRepo, readCommits, repoPath, showFileAt, trailerValues, type CommitInfo, type GitRepo } from './git-repo.js';
import { count } from '../plan/count.js';
import { byCodePoint } from '../plan/names.js';

/** Compares the store now with the store as the ledger's last line (an apply's or a refresh's) left it. */
export async function detectDrift(snapshot: OrgSnapshot, ledger: readonly LedgerRecord[], folder: StateFolder): Promise<DriftReport> {
  const report: DriftReport = { org: snapshot.slug, drifted: false, actualDigest: snapshot.digest, changes: [], notes: [] };
  const last = ledger.at(-1);
  if (!last) {
    report.notes.push('no apply is recorded in the ledger yet: there is nothing to compare the store with');
    return report;
  }
  report.expectedDigest = last.result.storeDigest;
  report.lastApply = { seq: last.seq, at: last.at, actor: last.actor, ...(isObservedLine(last) ? { kind: 'refresh' as const } : { plan: last.plan }) };
  if (last.result.storeDigest === snapshot.digest) return report;
  report.drifted = true;

  const repo = await openGitRepo(folder.dir);
  if (!repo) {
    report.notes.push('the store is not in a git repository, so the changes cannot be named: compare it with a backup, or re-import the org');
    return report;
  }
  const orgPath = await repoPath(repo, folder.dir);
  const commit = await findRecordCommit(repo, orgPath, last);
  if (!commit) {
    report.notes.push(`no commit records ledger line ${last.seq} (made with --no-commit?), so the changes cannot be named`);
    return report;
  }
  report.lastApply.commit = commit.hash;
  report.changes = await changesSince(repo, commit.hash, orgPath, snapshot, folder);
  if (report.changes.length === 0) {
    report.notes.push(`the store's digest differs from the last apply's, but its files match commit ${commit.hash.slice(0, 12)}: the drift predates that commit or is in uncommitted files it does not hold`);
  }
  return report;
}

/**
 * The store files that differ from their committed version (HEAD), field by field, as lines for a
 * message; [] when the store is not in git or matches HEAD.
 */
export async function describeUncommittedChanges(folder: StateFolder, snapshot: OrgSnapshot): Promise<string[]> {
  const repo = await openGitRepo(folder.dir);
  if (!repo) return [];
  const head = await headCommit(repo);
  if (!head) return [];
  const changes = await changesSince(repo, head, await repoPath(repo, folder.dir), snapshot, folder);
  return changes.map((c) => `${c.app ? c.app.name : c.file}: ${c.field} ${c.before} → ${c.after} (not committed: changed since commit ${head.slice(0, 12)})`);
}

/** The newest commit that recorded the ledger line `last`: an apply commit (its ledger head) or a refresh commit. */
export async function findRecordCommit(repo: GitRepo, orgPath: string, last: LedgerRecord): Promise<CommitInfo | undefined> {
  const commits = await readCommits(repo, [orgPath], { grep: last.hash });
  return commits.find((c) =>
    isObservedLine(last) ? trailerValues(c, Trailers.refresh).includes(last.hash) : trailerValues(c, Trailers.plan).includes(last.plan) && trailerValues(c, Trailers.ledgerHead).includes(last.hash),
  );
}

async function changesSince(repo: GitRepo, commit: string, orgPath: string, snapshot: OrgSnapshot, folder: StateFolder): Promise<DriftChange[]> {
  return (await storeFilesChangedSince(repo, commit, orgPath, snapshot, folder)).flatMap(({ file, part, before, after }) => diffStoreFile(file, before, after, part));
}

/**
 * The differences between two states of an org (a live org against its state folder), entry by
 * entry of the folder as diffStoreFile names them, in path order.
 */
export function diffSnapshots(before: OrgSnapshot, after: OrgSnapshot, folder: StateFolder): DriftChange[] {
  const files = new Map<string, { part: StatePart; before?: unknown; after?: unknown }>();
  for (const [side, snapshot] of [['before', before], ['after', after]] as const) {
    const put = (part: StatePart, value: unknown): void => {
      const file = folder.entryOf(part);
      files.set(file, { part, ...files.get(file), [side]: value });
    };
    put({ kind: 'org' }, snapshot.org);
    put({ kind: 'users' }, snapshot.users);
    for (const app of snapshot.apps) put({ kind: 'app', appId: app.id }, app);
  }
  return [...files.entries()]
    .filter(([, f]) => !same(f.before, f.after))
    .sort(([a], [b]) => byCodePoint(a, b))
    .flatMap(([file, f]) => diffStoreFile(file, f.before, f.after, f.part));
}

/** A store file that differs from its version at a commit: both contents (undefined where absent). */
export interface ChangedStoreFile {
  /** Relative to the org folder. */
  file: string;
  /** Which part of the state it holds (the folder's `describe`). */
  part: StatePart | undefined;
  before: unknown;
  after: unknown;
}

/** The store files (not the ledger, lock or journal) that differ from their version at `commit`, in path order. */
export async function storeFilesChangedSince(repo: GitRepo, commit: string, orgPath: string, snapshot: OrgSnapshot, state: StateFolder): Promise<ChangedStoreFile[]> {
  const changed = new Set(
    [
      ...(await repo.git.raw(['--literal-pathspecs', 'diff', '--name-only', commit, '--', orgPath])).split('\n'),
      ...(await repo.git.raw(['--literal-pathspecs', 'ls-files', '--others', '--exclude-standard', '--full-name', '--', orgPath])).split('\n'),
    ].filter(Boolean),
  );
  const prefix = orgPath === '.' ? '' : `${orgPath}/`;
  const files: ChangedStoreFile[] = [];
  for (const full of [...changed].sort()) {
    const file = full.startsWith(prefix) ? full.slice(prefix.length) : full;
    if (!state.isObserved(file)) continue;
    const beforeText = await showFileAt(repo, commit, full);
    const before: unknown = beforeText === undefined ? undefined : safeParse(beforeText);
    files.push({ file, part: state.describe(file), before, after: state.contentOf(file, snapshot) });
  }
  return files;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Short text of a JSON value for a drift line. */
function show(value: unknown, field = ''): string {
  if (value === undefined) return '(absent)';
  if (field.endsWith('sessions') && Array.isArray(value)) return count(value.length, 'session');
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return `[${value.join(', ')}]`;
  if (Array.isArray(value)) return count(value.length, 'entry', 'entries');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The differences between two versions of one store file, field by field: an app's or the org's
 * fields (nested objects by dotted path; a list of sessions by count), users by username. `part`:
 * which part of the state the file holds (its state folder's `describe`).
 */
export function diffStoreFile(file: string, before: unknown, after: unknown, part: StatePart | undefined): DriftChange[] {
  const app = appRef(after) ?? appRef(before);
  const base = { file, ...(app ? { app } : {}) };
  if (before === undefined || after === undefined) return [{ ...base, field: '(file)', before: before === undefined ? '(absent)' : 'present', after: after === undefined ? '(absent)' : 'present' }];
  if (part?.kind === 'users' && Array.isArray(before) && Array.isArray(after)) return diffUsers(base, before, after);
  const changes: DriftChange[] = [];
  walk(before, after, '', (field, b, a) => changes.push({ ...base, field, before: show(b, field), after: show(a, field) }));
  return changes;
}

function appRef(value: unknown): { name: string; id: string } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { name, id, type } = value as { name?: unknown; id?: unknown; type?: unknown };
  return typeof name === 'string' && typeof id === 'string' && typeof type === 'string' ? { name, id } : undefined;
}

function walk(before: unknown, after: unknown, path: string, emit: (field: string, before: unknown, after: unknown) => void): void {
  if (same(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      walk(before[key], after[key], path ? `${path}.${key}` : key, emit);
    }
    return;
  }
  emit(path || '(value)', before, after);
}

function diffUsers(base: { file: string }, before: unknown[], after: unknown[]): DriftChange[] {
  const byName = (list: unknown[]) => new Map(list.filter(isPlainObject).map((u) => [String(u.username), u]));
  const b = byName(before);
  const a = byName(after);
  const changes: DriftChange[] = [];
  for (const name of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    walk(b.get(name), a.get(name), name, (field, x, y) => {
      const side = (v: unknown) => (v === undefined ? '(no such user)' : field === name ? 'user' : show(v, field));
      changes.push({ ...base, field, before: side(x), after: side(y) });
    });
  }
  return changes;
}
