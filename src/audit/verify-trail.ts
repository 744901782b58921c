// `capctl verify`: the ledger's hash chain, and every apply commit against the ledger lines it
// records. Reports the first thing that breaks: a ledger line, or a commit.
import { Trailers, type LedgerLine, type VerifyReport } from '../model/index.js';
import { linesOfPlan, verifyChain } from '../apply/ledger.js';
import { openGitRepo, readCommits, repoPath, trailerValues, type CommitInfo } from './git-repo.js';
import { revocationIds } from '../render/apply-commit-message.js';
import { escapeControls } from '../render/escape-text.js';

/** Checks one org's ledger (already read from the store) and, when its folder is in git, its apply commits. */
export async function verifyTrail(org: string, orgDir: string, ledger: readonly LedgerLine[]): Promise<VerifyReport> {
  const report: VerifyReport = { org, ledgerLines: ledger.length, applyCommits: 0, ok: true, notes: [] };
  const broken = verifyChain(ledger);
  if (broken) {
    report.ok = false;
    report.failure = { kind: 'ledger-line', ...broken };
    return report;
  }
  const repo = await openGitRepo(orgDir);
  if (!repo) {
    report.notes.push('the store is not in a git repository: only the ledger chain was checked');
    return report;
  }
  const commits = (await readCommits(repo, [await repoPath(repo, orgDir)])).filter(
    (c) => trailerValues(c, Trailers.plan).length > 0 && trailerValues(c, Trailers.org).includes(org),
  );
  report.applyCommits = commits.length;
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
  const uncommitted = new Set(ledger.filter((l) => !committedPlans.has(l.plan)).map((l) => l.plan));
  if (uncommitted.size > 0) {
    report.notes.push(`${uncommitted.size} ${uncommitted.size === 1 ? 'plan was' : 'plans were'} applied without an apply commit (--no-commit, or not committed yet)`);
  }
  return report;
}

/** The first and last ledger seq of a Capctl-Ledger-Seq trailer (`first-last`), or undefined when it is not one. */
export function parseSeqRange(text: string | undefined): [number, number] | undefined {
  const match = text ? /^(\d+)-(\d+)$/.exec(text) : null;
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** Why an apply commit does not match the ledger, or undefined when it does. */
function checkCommit(commit: CommitInfo, ledger: readonly LedgerLine[]): string | undefined {
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
    const foreign = inRange.find((l) => l.plan !== plan);
    if (foreign) return `it records ledger lines ${first}-${last} for plan ${plan}, but line ${foreign.seq} belongs to plan ${foreign.plan}`;
    lines = inRange;
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
