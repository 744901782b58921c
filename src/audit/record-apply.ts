// Records applies in git: one commit per apply, of exactly the store files it changed and the
// ledger, with the subject, body and trailers of SPEC §8; and refreshes: one commit per observed
// ledger line, of the store files that changed outside capctl and the ledger.
//
// Which ledger lines git does not hold yet is read from git itself: the ledger as committed at
// HEAD. Lines after it are pending; they are committed one plan at a time. So an apply that was
// killed between its last action and its commit gets its commit from the run that resumes it, and
// an interrupted apply that is never resumed gets its commit from the next apply, before that one
// changes anything.
import path from 'node:path';
import { AuditError, type CommitOutcome, type LedgerLine, type LedgerRecord, type ObservedLine } from '../model/index.js';
import { isObservedLine } from '../store/ledger-chain.js';
import { renderApplyCommitMessage } from '../render/apply-commit-message.js';
import { renderRefreshCommitMessage } from '../render/refresh-commit-message.js';
import type { StateFolder } from '../store/org-store.js';
import { commitPaths, openGitRepo, repoPath, showFileAt, type GitRepo } from './git-repo.js';

/** What recording an apply did. */
export type RecordOutcome = Extract<CommitOutcome, { status: 'committed' | 'not-in-a-repository' | 'nothing-to-commit' }>;

/**
 * Commits `files` (relative to the org's folder) with `message` when the folder is in a git work
 * tree. Nothing else that is staged or lying around is committed. Without a configured git
 * identity the commit is made as `capctl <actor>`.
 */
export async function recordApplyCommit(orgDir: string, files: readonly string[], message: string, actor: string): Promise<RecordOutcome> {
  const repo = await openGitRepo(orgDir);
  if (!repo) return { status: 'not-in-a-repository' };
  return commitOrgFiles(repo, orgDir, files, message, actor);
}

async function commitOrgFiles(repo: GitRepo, orgDir: string, files: readonly string[], message: string, actor: string, others: readonly string[] = []): Promise<RecordOutcome> {
  const paths: string[] = [];
  for (const file of [...new Set(files)].sort()) paths.push(await repoPath(repo, path.join(orgDir, file)));
  for (const other of [...new Set(others)].sort()) paths.push(await repoPath(repo, other));
  const commit = await commitPaths(repo, paths, message, { name: 'capctl', email: actor });
  return commit ? { status: 'committed', commit, subject: message.split('\n')[0]!, files: paths } : { status: 'nothing-to-commit' };
}

/**
 * Refuses, before anything changes, an org folder that git ignores (`.gitignore`,
 * `.git/info/exclude`): its apply could be carried out but never committed. Files git already
 * tracks are not ignored, whatever the rules say. Nothing to check outside git.
 */
export async function assertStoreNotIgnored(folder: StateFolder): Promise<void> {
  const repo = await openGitRepo(folder.dir);
  if (!repo) return;
  // The folder's entries an apply commits (SPEC §4): what git must not ignore.
  const paths = await Promise.all(folder.entries.map((entry) => repoPath(repo, path.join(folder.dir, entry))));
  // --non-matching prints every path ("::<TAB>path" when no rule matches), so git exits 0.
  const out = await repo.git.raw(['check-ignore', '--verbose', '--non-matching', '--', ...paths]);
  for (const line of out.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const [source = '', lineNo = '', ...rest] = line.slice(0, tab).split(':');
    const pattern = rest.join(':');
    if (source === '' || pattern.startsWith('!')) continue;
    throw new AuditError(
      `git ignores the org store: ${line.slice(tab + 1)} matches "${pattern}" (${source}:${lineNo}), so an apply could not be committed. ` +
        'Nothing was applied: stop ignoring it, or apply with --no-commit',
    );
  }
}

/** What is known of the plan being applied now (other plans' pending lines say less). */
export interface CurrentApply {
  planDigest: string;
  desiredCommit: string | null;
  revisionBefore?: number;
  revisionAfter?: number;
  /**
   * What the commit of this apply also holds (capctl contain): files outside the org folder (paths
   * as given, e.g. the desired-state files it changed), a subject of its own and more trailers.
   */
  also?: { paths: readonly string[]; subject?: string; trailers?: readonly string[] };
}

/** How many ledger lines the ledger committed at HEAD holds (0 without one, or without a HEAD). */
async function committedLedgerLines(repo: GitRepo, folder: StateFolder): Promise<number> {
  const text = await showFileAt(repo, 'HEAD', await repoPath(repo, path.join(folder.dir, folder.ledger)));
  if (!text) return 0;
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * Commits the ledger lines up to `upToSeq` that git does not hold yet, one commit per plan (a run
 * of consecutive lines of one plan) and one refresh commit per observed line. Returns one outcome
 * per commit; `not-in-a-repository` when the org folder is not in git; nothing when no line is pending.
 */
export async function recordPendingApplies(
  org: string,
  folder: StateFolder,
  ledger: readonly LedgerRecord[],
  upToSeq: number,
  current: CurrentApply,
): Promise<RecordOutcome[]> {
  // One repository for the whole run: each commit needs no `rev-parse --show-toplevel` of its own.
  const repo = await openGitRepo(folder.dir);
  if (!repo) return [{ status: 'not-in-a-repository' }];
  const committed = await committedLedgerLines(repo, folder);
  const pending = ledger.slice(committed, Math.max(committed, upToSeq));
  const outcomes: RecordOutcome[] = [];
  for (const group of groupByPlan(pending)) {
    if (!Array.isArray(group)) {
      outcomes.push(await commitOrgFiles(repo, folder.dir, folder.filesOf([group]), renderRefreshCommitMessage(org, group, folder.describe), group.actor));
      continue;
    }
    const isCurrent = group[0]!.plan === current.planDigest;
    const actor = group[0]!.actor;
    const message = renderApplyCommitMessage({
      org,
      actor,
      planDigest: group[0]!.plan,
      desiredCommit: isCurrent ? current.desiredCommit : undefined,
      lines: group,
      ...(isCurrent && current.revisionBefore !== undefined ? { revisionBefore: current.revisionBefore } : {}),
      ...(isCurrent && current.revisionAfter !== undefined ? { revisionAfter: current.revisionAfter } : {}),
      ...(isCurrent ? {} : { note: 'This apply was not committed when it ran (it was interrupted, or run with --no-commit); the next apply recorded it.' }),
    });
    const files = folder.filesOf(group);
    const also = isCurrent ? current.also : undefined;
    outcomes.push(await commitOrgFiles(repo, folder.dir, files, also ? withAlso(message, also) : message, actor, also?.paths));
  }
  return outcomes;
}

/** The message with its subject replaced and trailers added after the last one. */
function withAlso(message: string, also: NonNullable<CurrentApply['also']>): string {
  const [, ...rest] = message.split('\n');
  const subject = also.subject ?? message.split('\n')[0]!;
  const trailers = (also.trailers ?? []).map((t) => `${t}\n`).join('');
  return `${subject}\n${rest.join('\n').trimEnd()}\n${trailers}`;
}

/** Runs of consecutive lines of one plan; an observed line stands alone. */
function groupByPlan(lines: readonly LedgerRecord[]): (LedgerLine[] | ObservedLine)[] {
  const groups: (LedgerLine[] | ObservedLine)[] = [];
  for (const line of lines) {
    const last = groups.at(-1);
    if (isObservedLine(line)) groups.push(line);
    else if (Array.isArray(last) && last[0]!.plan === line.plan) last.push(line);
    else groups.push([line]);
  }
  return groups;
}
