// `capctl verify`: the ledger's hash chain (applied actions and observed lines alike), every apply
// commit against the ledger lines it records, every refresh commit against its observed line, and
// that no ledger line entered git in a commit that is neither an apply nor a refresh (a hand-made
// commit of the ledger). Reports the first thing that breaks: a ledger line, or a commit.
import path from 'node:path';
import { Trailers, type LedgerRecord, type VerifyReport } from '../model/index.js';
import { appliedLines, isObservedLine, linesOfPlan, verifyChain } from '../store/ledger-chain.js';
import type { StateFolder } from '../store/org-store.js';
import { openGitRepo, readCommits, repoPath, trailerValues, type CommitInfo, type GitRepo } from './git-repo.js';
import { revocationIds } from '../render/apply-commit-message.js';
import { escapeControls } from '../render/escape-text.js';
import { count } from '../plan/count.js';

/** Checks one org's ledger (already read from the store) and, when its folder is in git, its apply and refresh commits. */
export async function verifyTrail(org: string, folder: StateFolder, ledger: readonly LedgerRecord[]): Promise<VerifyReport> {
  const report: VerifyReport = { org, ledgerLines: ledger.length, applyCommits: 0, refreshCommits: 0, ok: true, notes: [] };
  const broken = verifyChain(ledger);
  if (broken) {
    report.ok = false;
    report.failure = { kind: 'ledger-line', ...broken };
    return report;
  }
  const repo = await openGitRepo(folder.dir);
  if (!repo) {
    report.notes.push('the store is not in a git repository: only the ledger chain was checked');
    return report;
  }
  const all = await readCommits(repo, [await repoPath(repo, folder.dir)]);
  const ofOrg = (c: CommitInfo) => trailerValues(c, Trailers.org).includes(org);
  const commits = all.filter((c) => trailerValues(c, Trailers.plan).length > 0 && ofOrg(c));
  const refreshes = all.filter((c) => trailerValues(c, Trailers.plan).length === 0 && trailerValues(c, Trailers.refresh).length > 0 && ofOrg(c));
  report.applyCommits = commits.length;
  report.refreshCommits = refreshes.length;
  const foreign = await firstForeignLedgerCommit(repo, path.join(folder.dir, folder.ledger), new Set([...commits, ...refreshes].map((c) => c.hash)));
  if (foreign) {
    report.ok = false;
    report.failure = { kind: 'commit', commit: foreign.hash, subject: foreign.subject, reason: foreign.reason };
    return report;
  }
  for (const commit of [...refreshes].reverse()) {
    const reason = checkRefreshCommit(commit, ledger);
    if (reason) {
      report.ok = false;
      report.failure = { kind: 'commit', commit: commit.hash, subject: commit.subject, reason };
      return report;
    }
  }
  const committedPlans = new Set<string>();
  // Oldest first, so that the first break reported is the earliest.
  for (const commit of [...commits].reverse()) {
    const reason = checkCommit(commit, ledger);
    if (reason) {
      report.ok = false;
      report.failure = { kind: 'commit', commit: commit.hash, subject: commit.subject, reason };
      return report;
    }
    for (const plan of trailerValues(commit, Trailers.plan)) committedPlans.add(plan);
  }
  const uncommitted = new Set(appliedLines(ledger).filter((l) => !committedPlans.has(l.plan)).map((l) => l.plan));
  if (uncommitted.size > 0) {
    report.notes.push(`${count(uncommitted.size, 'plan was', 'plans were')} applied without an apply commit (--no-commit, or not committed yet)`);
  }
  return report;
}

/** The first and last ledger seq of a Capctl-Ledger-Seq trailer (`first-last`), or undefined when it is not one. */
export function parseSeqRange(text: string | undefined): [number, number] | undefined {
  const match = text ? /^(\d+)-(\d+)$/.exec(text) : null;
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/**
 * The oldest commit that added lines to the ledger file without being an apply or refresh commit
 * of this org (`capctl` commits are named by `capctlCommits`), with why; undefined when there is
 * none. Merges are skipped: lines enter git in the commit that first holds them.
 */
async function firstForeignLedgerCommit(repo: GitRepo, ledgerFile: string, capctlCommits: ReadonlySet<string>): Promise<{ hash: string; subject: string; reason: string } | undefined> {
  const file = await repoPath(repo, ledgerFile);
  const sep = '\x1e';
  let out: string;
  try {
    out = await repo.git.raw(['--literal-pathspecs', 'log', '--no-merges', '--reverse', '--numstat', `--format=${sep}%H%x1f%s`, '--', file]);
  } catch {
    return undefined; // no commits yet
  }
  for (const record of out.split(sep).slice(1)) {
    const [head = '', ...stat] = record.split('\n');
    const [hash = '', subject = ''] = head.split('\x1f');
    const added = stat.map((l) => Number(l.split('\t')[0])).find((n) => Number.isFinite(n) && n > 0);
    if (added === undefined || capctlCommits.has(hash)) continue;
    const reason = `it added ${count(added, 'line')} to ${file}, but it is neither an apply commit (${Trailers.plan}) nor a refresh commit (${Trailers.refresh}) of this org: ledger lines enter git only through capctl`;
    return { hash, subject, reason };
  }
  return undefined;
}

/** Why a refresh commit does not match its observed ledger line, or undefined when it does. */
function checkRefreshCommit(commit: CommitInfo, ledger: readonly LedgerRecord[]): string | undefined {
  const hashes = trailerValues(commit, Trailers.refresh);
  if (hashes.length !== 1) return `it has ${hashes.length} ${Trailers.refresh} trailers, expected one`;
  const hash = hashes[0]!;
  const seqText = trailerValues(commit, Trailers.ledgerSeq)[0];
  const range = parseSeqRange(seqText);
  if (!range || range[0] !== range[1]) return `its ${Trailers.ledgerSeq} trailer "${seqText ?? '(none)'}" is not one line (n-n)`;
  const line = ledger[range[0] - 1];
  if (!line) return `it records ledger line ${range[0]}, but the ledger has ${ledger.length} lines`;
  if (!isObservedLine(line)) return `it records ledger line ${line.seq} as a refresh, but that line is an applied action of plan ${line.plan}`;
  if (line.hash !== hash) return `its ${Trailers.refresh} is ${hash}, but ledger line ${line.seq} now hashes to ${line.hash} (the ledger was rewritten after the commit)`;
  const actors = trailerValues(commit, Trailers.actor);
  if (actors.length > 0 && !actors.includes(line.actor)) return `its ${Trailers.actor} is ${actors.join(', ')}, but ledger line ${line.seq} was recorded by ${line.actor}`;
  return undefined;
}

/** Why an apply commit does not match the ledger, or undefined when it does. */
function checkCommit(commit: CommitInfo, ledger: readonly LedgerRecord[]): string | undefined {
  const plans = trailerValues(commit, Trailers.plan);
  if (plans.length !== 1) return `it has ${plans.length} ${Trailers.plan} trailers, expected one`;
  const plan = plans[0]!;
  let lines = linesOfPlan(ledger, plan);
  if (lines.length === 0) return `it records plan ${plan}, but the ledger has no line of that plan`;
  const seqText = trailerValues(commit, Trailers.ledgerSeq)[0];
  const range = parseSeqRange(seqText);
  if (seqText !== undefined) {
    if (!range) return `its ${Trailers.ledgerSeq} trailer "${seqText}" is not first-last`;
    const [first, last] = range;
    const inRange = ledger.slice(first - 1, last);
    if (inRange.length !== last - first + 1) return `it records ledger lines ${first}-${last}, but the ledger has ${ledger.length} lines`;
    const foreign = inRange.find((l) => isObservedLine(l) || l.plan !== plan);
    if (foreign) {
      return `it records ledger lines ${first}-${last} for plan ${plan}, but line ${foreign.seq} ${isObservedLine(foreign) ? 'records a refresh' : `belongs to plan ${foreign.plan}`}`;
    }
    lines = appliedLines(inRange);
    const head = trailerValues(commit, Trailers.ledgerHead)[0];
    if (head !== undefined && head !== lines.at(-1)!.hash) {
      return `its ${Trailers.ledgerHead} is ${head}, but ledger line ${last} now hashes to ${lines.at(-1)!.hash} (the ledger was rewritten after the commit)`;
    }
  }
  const actors = trailerValues(commit, Trailers.actor);
  // The commit names the actor escaped (render/escape-text.ts), as every text capctl writes.
  const wrongActor = lines.find((l) => !actors.includes(l.actor) && !actors.includes(escapeControls(l.actor)));
  if (wrongActor) return `its ${Trailers.actor} is ${actors.join(', ') || '(none)'}, but ledger line ${wrongActor.seq} was applied by ${wrongActor.actor}`;
  const revocations = new Set(revocationIds(lines));
  const trailed = new Set(trailerValues(commit, Trailers.revocation));
  const missing = [...revocations].filter((id) => !trailed.has(id));
  const extra = [...trailed].filter((id) => !revocations.has(id));
  if (missing.length > 0) return `the ledger records revocation ${missing.join(', ')} for this plan, but the commit has no ${Trailers.revocation} trailer for it`;
  if (extra.length > 0) return `its ${Trailers.revocation} trailer names ${extra.join(', ')}, which no ledger line of this plan revoked`;
  return undefined;
}
