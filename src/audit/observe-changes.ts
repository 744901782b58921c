// What changed outside capctl since the ledger's last line, as the observed ledger line records it
// (`capctl refresh`, and `apply` before its first action).
//
// Whether anything changed is the ledger's to say: its last line's storeDigest against the store's
// digest now. What changed is read from git: the store files now against their version in the
// commit that recorded that line (an apply or a refresh commit). Without git, or without such a
// commit (--no-commit), the changes cannot be named: the observation says so (`named: false`) and
// records only that the digest moved, and in git the parts of the state that differ from HEAD.
// The observation names parts (the org, its users, an app by id), never files: the state folder
// says which of its entries hold them (`filesOf`), for the refresh commit.
import type { LedgerRecord, Observation, ObservedChange, ObservedSessions, OrgSnapshot, Session, StatePart } from '../model/index.js';
import { diffStoreFile, findRecordCommit, storeFilesChangedSince, type ChangedStoreFile } from './detect-drift.js';
import { headCommit, openGitRepo, repoPath } from './git-repo.js';
import type { StateFolder } from '../store/org-store.js';
import { byCodePoint } from '../plan/names.js';

/** What changed since the ledger's last line; undefined when nothing did (or the ledger is empty: nothing is recorded yet). */
export async function observeChanges(snapshot: OrgSnapshot, ledger: readonly LedgerRecord[], folder: StateFolder): Promise<Observation | undefined> {
  const last = ledger.at(-1);
  if (!last || last.result.storeDigest === snapshot.digest) return undefined;
  const unnamed = (note: string, parts?: StatePart[]): Observation => ({
    observed: { named: false, previousDigest: last.result.storeDigest, changes: [], sessions: [] },
    ...(parts ? { parts } : {}),
    notes: [note],
  });
  const repo = await openGitRepo(folder.dir);
  if (!repo) return unnamed('the store is not in a git repository, so what changed cannot be named: only that its digest moved');
  const orgPath = await repoPath(repo, folder.dir);
  const commit = await findRecordCommit(repo, orgPath, last);
  if (!commit) {
    const head = await headCommit(repo);
    const parts = head ? partsOf(await storeFilesChangedSince(repo, head, orgPath, snapshot, folder)) : [];
    return unnamed(`no commit records ledger line ${last.seq} (made with --no-commit?), so what changed cannot be named: only that the digest moved`, parts);
  }
  const changed = (await storeFilesChangedSince(repo, commit.hash, orgPath, snapshot, folder)).filter((f) => f.before !== undefined || f.after !== undefined);
  if (changed.length === 0) {
    return unnamed(`the digest moved, but the store files match commit ${commit.hash.slice(0, 12)}: the change cannot be named`, []);
  }
  return { observed: { named: true, previousDigest: last.result.storeDigest, ...describeChangedFiles(changed) }, parts: partsOf(changed), notes: [] };
}

/** The parts of the state the changed entries hold (an entry that holds none, a stray file, is no part). */
function partsOf(files: readonly ChangedStoreFile[]): StatePart[] {
  return files.flatMap((f) => (f.part ? [f.part] : []));
}

/** The field changes of the changed files (sessions apart) and, per app, its sessions counted. */
export function describeChangedFiles(files: readonly ChangedStoreFile[]): { changes: ObservedChange[]; sessions: ObservedSessions[] } {
  const changes: ObservedChange[] = [];
  const sessions: ObservedSessions[] = [];
  for (const { file, part, before, after } of files) {
    changes.push(...diffStoreFile(file, before, after, part).filter((c) => c.field !== 'sessions'));
    if (part?.kind !== 'app') continue;
    const counted = countSessions(sessionsOf(before), sessionsOf(after));
    const app = appOf(after) ?? appOf(before);
    if (app && counted.ended + counted.started + counted.used > 0) sessions.push({ app, ...counted });
  }
  sessions.sort((a, b) => byCodePoint(a.app.name, b.app.name) || byCodePoint(a.app.id, b.app.id));
  return { changes, sessions };
}

/** Sessions ended (gone), started (new) and used (lastUsed or useCount moved), matched by user and creation time. */
export function countSessions(before: readonly Session[], after: readonly Session[]): { ended: number; started: number; used: number } {
  const key = (s: Session) => `${s.user}\u0000${s.created}\u0000${s.flow}`;
  const now = new Map(after.map((s) => [key(s), s]));
  let ended = 0;
  let used = 0;
  for (const s of before) {
    const later = now.get(key(s));
    if (!later) ended += 1;
    else if (later.lastUsed !== s.lastUsed || later.useCount !== s.useCount) used += 1;
    now.delete(key(s));
  }
  return { ended, started: now.size, used };
}

function sessionsOf(app: unknown): Session[] {
  const sessions = (app as { sessions?: unknown } | undefined)?.sessions;
  return Array.isArray(sessions) ? (sessions as Session[]) : [];
}

function appOf(value: unknown): { name: string; id: string } | undefined {
  const { name, id } = (value ?? {}) as { name?: unknown; id?: unknown };
  return typeof name === 'string' && typeof id === 'string' ? { name, id } : undefined;
}
