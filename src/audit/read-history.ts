// `capctl history`: the audit trail read from git. Applies are the commits carrying a Capctl-Plan
// trailer under the store folder; their actions come from the ledger lines the commit records (the
// ledger is append-only and `verify` checks it), or from the commit body when the ledger is gone.
// Refreshes are the commits carrying a Capctl-Refresh trailer: the changes made outside capctl
// that their observed ledger line records.
// Changes to the desired state are the commits that touched its files.
import { Trailers, type HistoryEntry, type LedgerRecord, type TrailAction } from '../model/index.js';
import { isObservedLine, linesOfPlan } from '../store/ledger-chain.js';
import { renderObservedLines } from '../render/refresh-commit-message.js';
import { renderAppliedAction } from '../render/applied-action.js';
import { openGitRepo, readCommits, repoPath, trailerValues, type CommitInfo, type GitRepo } from './git-repo.js';
import { parseSeqRange } from './verify-trail.js';

/** What `history` looks at, and how it filters. */
export interface HistoryQuery {
  /** The store folder (org-state/). */
  storeDir: string;
  org?: string;
  /** An app's name or id: only applies that acted on it, and desired changes of the files declaring it. */
  app?: string;
  /** A revocation id: only the applies that carried it out (and desired changes of the files declaring it). */
  revocation?: string;
  /** Reads an org's ledger from the store; rejects when it cannot. */
  ledgerOf(org: string): Promise<LedgerRecord[]>;
  /** The desired folder and the files under it to follow (paths of files under it; empty = the whole folder). */
  desired?: { root: string; files: string[] };
}

/** The applies and desired-state changes that match the query, newest first. */
export async function readHistory(query: HistoryQuery): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  const storeRepo = await openGitRepo(query.storeDir);
  if (storeRepo) entries.push(...(await readApplies(storeRepo, query)));
  if (query.desired) {
    const desiredRepo = await openGitRepo(query.desired.root);
    if (desiredRepo) entries.push(...(await readDesiredChanges(desiredRepo, query.desired, query)));
  }
  // Each source is newest first already; merging by author time keeps git's order within a source.
  return entries
    .map((entry, index) => ({ entry, index, time: Date.parse(entry.date) }))
    .sort((a, b) => b.time - a.time || a.index - b.index)
    .map(({ entry }) => entry);
}

async function readApplies(repo: GitRepo, query: HistoryQuery): Promise<HistoryEntry[]> {
  const commits = await readCommits(repo, [await repoPath(repo, query.storeDir)]);
  const ledgers = new Map<string, Promise<LedgerRecord[] | undefined>>();
  const ledgerOf = (org: string) => {
    if (!ledgers.has(org)) ledgers.set(org, query.ledgerOf(org).catch(() => undefined));
    return ledgers.get(org)!;
  };
  const out: HistoryEntry[] = [];
  for (const commit of commits) {
    const plan = trailerValues(commit, Trailers.plan)[0];
    const org = trailerValues(commit, Trailers.org)[0];
    const refresh = trailerValues(commit, Trailers.refresh)[0];
    if (refresh && org && !plan) {
      if ((query.org && org !== query.org) || query.revocation) continue;
      const entry = refreshEntry(commit, org, refresh, await ledgerOf(org));
      if (query.app && !entry.appsChanged.some((a) => a.name === query.app || a.id === query.app)) continue;
      out.push(entry.entry);
      continue;
    }
    if (!plan || !org) continue;
    if (query.org && org !== query.org) continue;
    const revocations = trailerValues(commit, Trailers.revocation);
    if (query.revocation && !revocations.includes(query.revocation)) continue;
    const ledger = await ledgerOf(org);
    const actions = (ledger && actionsFromLedger(commit, plan, ledger)) ?? actionsFromBody(commit.body);
    if (query.app && !actions.some((a) => concerns(a, query.app!))) continue;
    out.push({
      type: 'apply',
      ...commitOf(commit),
      org,
      actor: trailerValues(commit, Trailers.actor)[0],
      plan,
      desiredCommit: trailerValues(commit, Trailers.desiredCommit)[0],
      revocations,
      ...(trailerValues(commit, Trailers.contain).length > 0 ? { contained: trailerValues(commit, Trailers.contain) } : {}),
      actions,
      sessionsEnded: actions.reduce((n, a) => n + a.sessionsEnded, 0),
      files: [],
    });
  }
  return out;
}

/** A refresh commit as a history entry: its observed line's changes, or the body's lines when the ledger no longer has it. */
function refreshEntry(commit: CommitInfo, org: string, hash: string, ledger: readonly LedgerRecord[] | undefined): { entry: HistoryEntry; appsChanged: { name: string; id: string }[] } {
  const line = ledger?.find((l) => l.hash === hash);
  const observed = line && isObservedLine(line) ? line.observed : undefined;
  const lines = observed ? renderObservedLines(observed) : commit.body.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim());
  const appsChanged = observed ? [...observed.changes.flatMap((c) => (c.app ? [c.app] : [])), ...observed.sessions.map((s) => s.app)] : [];
  const entry: HistoryEntry = {
    type: 'refresh',
    ...commitOf(commit),
    org,
    actor: trailerValues(commit, Trailers.actor)[0],
    revocations: [],
    actions: [],
    sessionsEnded: observed ? observed.sessions.reduce((n, s) => n + s.ended, 0) : 0,
    files: [],
    observed: lines,
  };
  return { entry, appsChanged };
}

/** What every history entry says of its commit. */
function commitOf(commit: CommitInfo): Pick<HistoryEntry, 'commit' | 'date' | 'author' | 'subject'> {
  return { commit: commit.hash, date: commit.date, author: `${commit.authorName} <${commit.authorEmail}>`, subject: commit.subject };
}

function concerns(action: TrailAction, app: string): boolean {
  if (action.app) return action.app.name === app || action.app.id === app;
  return action.text.includes(app);
}

/** The actions a commit records, from the ledger lines of its plan (within its seq range). */
function actionsFromLedger(commit: CommitInfo, plan: string, ledger: readonly LedgerRecord[]): TrailAction[] | undefined {
  const range = parseSeqRange(trailerValues(commit, Trailers.ledgerSeq)[0]);
  const ofPlan = linesOfPlan(range ? ledger.slice(range[0] - 1, range[1]) : ledger, plan);
  if (ofPlan.length === 0) return undefined;
  return ofPlan.map((l) => ({
    seq: l.seq,
    kind: l.action.kind,
    ...(l.action.app ? { app: l.action.app } : {}),
    ...(l.action.revocation ? { revocation: l.action.revocation.id } : {}),
    status: l.result.status,
    sessionsEnded: l.result.sessionsEnded,
    usersAffected: l.result.usersAffected,
    text: renderAppliedAction(l.action, l.result),
  }));
}

/** The actions listed in an apply commit's body (`12. blocked Dropbox: ended 25 sessions of 18 users`). */
export function actionsFromBody(body: string): TrailAction[] {
  const actions: TrailAction[] = [];
  for (const line of body.split('\n')) {
    const match = /^\s*(\d+)\. (.+)$/.exec(line);
    if (!match) continue;
    const counts = /(\d+) sessions? of (\d+) users?/.exec(match[2]!);
    actions.push({
      seq: Number(match[1]),
      sessionsEnded: counts ? Number(counts[1]) : 0,
      usersAffected: counts ? Number(counts[2]) : 0,
      text: match[2]!,
    });
  }
  return actions;
}

async function readDesiredChanges(repo: GitRepo, desired: { root: string; files: string[] }, query: HistoryQuery): Promise<HistoryEntry[]> {
  const root = await repoPath(repo, desired.root);
  const paths = desired.files.length > 0 ? await Promise.all(desired.files.map((f) => repoPath(repo, f))) : [root];
  if ((query.app || query.revocation) && desired.files.length === 0) return [];
  const commits = await readCommits(repo, paths, { withFiles: true });
  const prefix = root === '.' ? '' : `${root}/`;
  return commits.map((commit) => ({
    type: 'desired-change' as const,
    ...commitOf(commit),
    revocations: [],
    actions: [],
    sessionsEnded: 0,
    files: commit.files.map((f) => (f.startsWith(prefix) ? f.slice(prefix.length) : f)),
  }));
}
