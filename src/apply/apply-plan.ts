// Carries out a plan through the org store (SPEC §8), as a list of named steps:
//   take the org's lock → read the store → preflight (refuse before anything changes) →
//   record earlier interrupted applies → record changes made outside capctl (a refresh of their
//   own, refresh-org.ts) → carry out the remaining actions, in runs (each action with its ledger
//   line, each run one atomic store change) → record this apply → release the lock.
// A failed action stops the apply; the report says what was done up to it. Running the same plan
// again resumes after the last action done, so nothing is done twice.
import { AuditError, CapctlError, ExitCode, type Action, type ApplyReport, type CommitOutcome, type LedgerLine, type LedgerRecord, type Observation, type OrgSnapshot, type Plan } from '../model/index.js';
import type { CarryOutResult, LockInfo, OrgStore } from '../store/org-store.js';
import { isObservedLine, trailingLinesOfPlan } from '../store/ledger-chain.js';
import type { ReviewedDesired } from './check-reviewed.js';
import { changedOutsideCapctl, preflight, StalePlanError, type StartPoint } from './preflight.js';
import { recordOutsideChanges } from './refresh-org.js';

/** The audit trail (git) as apply uses it; see src/audit/. */
export interface ApplyAudit {
  /**
   * Omitted with --no-commit.
   * Records every ledger line up to `upToSeq` that the trail does not hold yet, one commit per
   * plan; `current` describes the plan being applied now.
   */
  recordPending?(
    ledger: readonly LedgerRecord[],
    upToSeq: number,
    current: { planDigest: string; desiredCommit: string | null; revisionBefore?: number; revisionAfter?: number },
  ): Promise<CommitOutcome[]>;
  /** What differs between the store now and the trail's last record of it, one line per change (for a stale plan). */
  describeChanges?(snapshot: OrgSnapshot): Promise<string[]>;
  /** What changed outside capctl since the ledger's last line (for the refresh recorded before the first action). */
  observe?(snapshot: OrgSnapshot, ledger: readonly LedgerRecord[]): Promise<Observation | undefined>;
}

/** What applyPlan needs. */
export interface ApplyPlanOptions {
  store: OrgStore;
  plan: Plan;
  actor: string;
  now(): Date;
  lockTimeoutMs: number;
  /** The command line, written into the lock file. */
  command: string;
  /** Omitted for a store without an audit trail. */
  audit?: ApplyAudit;
  /** A saved plan's reviewed desired state: the plan must be what it gives (check-reviewed.ts). */
  desired?: ReviewedDesired;
  /** Called once when the lock is held by another apply and this one starts waiting. */
  onWait?(holder: LockInfo): void;
  /** Called once the preflight passed, before the first action. */
  onStart?(start: StartPoint): void;
  /** Called after each action is carried out (and recorded in the ledger). */
  onApplied?(line: LedgerLine): void;
}

/** Applies a plan to its org; throws RefusedError (exit 3) when the preflight refuses it. */
export async function applyPlan(options: ApplyPlanOptions): Promise<ApplyReport> {
  const { store, plan, actor } = options;
  const org = plan.org.name;
  const lock = await store.lock(org, {
    timeoutMs: options.lockTimeoutMs,
    command: options.command,
    user: actor,
    ...(options.onWait ? { onWait: options.onWait } : {}),
  });
  try {
    const snapshot = await store.readSnapshot(org);
    const ledger = await store.readLedger(org);
    const start = await preflightNamingChanges({ plan, snapshot, ledger, actor, ...(options.desired ? { desired: options.desired } : {}) }, options.audit);
    options.onStart?.(start);
    const report = startReport(plan, actor, start, snapshot);
    report.earlierCommits = await recordEarlierApplies(options, ledger, start);
    const refreshed = await recordRefreshFirst(options, snapshot, ledger, start);
    if (refreshed) report.refreshed = refreshed;
    await carryOutActions(options, start, report);
    if (start.firstRun && report.applied.length > 0) report.revisionAfter = snapshot.org.revision + 1;
    const commit = await recordThisApply(options, [...ledger, ...(refreshed ? [refreshed.line] : []), ...report.applied], report);
    if (commit) report.commit = commit;
    return report;
  } finally {
    await lock.release();
  }
}

/**
 * Changes made outside capctl since the ledger's last line (the preflight let them through: the
 * plan was made on them) get an observed line and a refresh commit of their own before the first
 * action, so that the apply's commit holds only what the apply did. A failed refresh commit stops
 * the apply before anything changes: the observed line is in the ledger, the next run commits it.
 */
async function recordRefreshFirst(options: ApplyPlanOptions, snapshot: OrgSnapshot, ledger: readonly LedgerRecord[], start: StartPoint) {
  if (start.remaining.length === 0) return undefined;
  const recorded = await recordOutsideChanges({
    store: options.store,
    org: options.plan.org.name,
    actor: options.actor,
    at: options.now(),
    snapshot,
    ledger,
    audit: options.audit,
    current: currentApply(options.plan),
  });
  if (recorded?.commit.status === 'failed') {
    throw new AuditError(`nothing was applied: recording the changes made outside capctl in git failed: ${recorded.commit.message} (fix git, or apply with --no-commit)`);
  }
  return recorded;
}

function startReport(plan: Plan, actor: string, start: StartPoint, snapshot: OrgSnapshot): ApplyReport {
  return {
    org: plan.org.name,
    actor,
    planDigest: plan.digest,
    status: plan.actions.length === 0 ? 'no-changes' : start.remaining.length === 0 ? 'already-applied' : 'applied',
    resumed: start.resumed,
    applied: [],
    notDone: [],
    earlierCommits: [],
    // A resumed apply raised the revision with its first action, in an earlier run.
    revisionBefore: start.firstRun ? snapshot.org.revision : plan.basis.storeRevision,
    revisionAfter: snapshot.org.revision,
  };
}

function currentApply(plan: Plan): { planDigest: string; desiredCommit: string | null } {
  return { planDigest: plan.digest, desiredCommit: plan.basis.desiredCommit };
}

/**
 * Applies interrupted before this one (of other plans) get their commit first, before anything
 * changes, so that each commit holds the files as its own apply left them. A git failure here
 * stops the apply: nothing was changed yet.
 */
async function recordEarlierApplies(options: ApplyPlanOptions, ledger: readonly LedgerRecord[], start: StartPoint): Promise<CommitOutcome[]> {
  const record = options.audit?.recordPending;
  if (!record) return [];
  const upTo = (start.resumed[0]?.seq ?? ledger.length + 1) - 1;
  try {
    return (await record.call(options.audit, ledger, upTo, currentApply(options.plan))).filter((c) => c.status === 'committed');
  } catch (error) {
    throw new CapctlError(
      `nothing was applied: recording earlier applies in git failed: ${error instanceof Error ? error.message : String(error)} (fix git, or apply with --no-commit)`,
      ExitCode.error,
    );
  }
}

/**
 * The most actions the store makes one atomic change. Every change costs several waits for the
 * disk (temporary files, journal, ledger, each flushed), whatever its size: on the 491 actions of
 * the benchmark's large org, one change per action spent more time waiting than working.
 */
const maxRunLength = 32;

/**
 * The lengths of the runs the actions are carried out in: 1, 2, 4, … up to maxRunLength. The first
 * results show at once, and a short apply still has a point to resume from after most actions.
 */
export function runLengths(actions: number): number[] {
  const lengths: number[] = [];
  for (let done = 0, next = 1; done < actions; next = Math.min(next * 2, maxRunLength)) {
    lengths.push(Math.min(next, actions - done));
    done += lengths.at(-1)!;
  }
  return lengths;
}

/**
 * The remaining actions through the store, in order, in runs; the first failure stops the apply. An
 * action whose outcome the store cannot tell (`unknown`) is resolved before anything else: the
 * store settles it and its ledger is read back; done, the apply goes on after it; not done, it is
 * the failure. Never is an action carried out twice.
 */
async function carryOutActions(options: ApplyPlanOptions, start: StartPoint, report: ApplyReport): Promise<void> {
  let from = 0;
  let lengths = runLengths(start.remaining.length);
  while (lengths.length > 0) {
    const length = lengths.shift()!;
    const result = await carryOutRun(options, start.remaining.slice(from, from + length), start.firstRun && report.applied.length === 0);
    let done = result.applied.length;
    for (const line of result.applied) {
      report.applied.push(line);
      options.onApplied?.(line);
    }
    const failure = result.failure;
    if (failure?.outcome === 'unknown') {
      const readBack = await readBackUnknown(options, report.applied.at(-1)?.seq ?? start.resumed.at(-1)?.seq, length - done);
      for (const line of readBack) {
        report.applied.push(line);
        options.onApplied?.(line);
      }
      done += readBack.length;
      if (readBack.length > 0) {
        // Done after all: go on after the last action done, in runs again.
        from += done;
        lengths = runLengths(start.remaining.length - from);
        continue;
      }
      failure.error = new Error(`${failure.error.message} (its outcome could not be told at first; read back, the store shows it was not done)`, { cause: failure.error });
    }
    if (failure) {
      const failed = from + failure.index;
      report.status = 'failed';
      report.failure = { action: start.remaining[failed]!, message: failure.error.message };
      report.notDone = start.remaining.slice(failed);
      return;
    }
    from += length;
  }
}

/**
 * After an unknown outcome: the store settles what was left half done, and the ledger lines of
 * this plan after `afterSeq` (at most `most` of them, the run's actions not reported done) are
 * those that were done.
 */
async function readBackUnknown(options: ApplyPlanOptions, afterSeq: number | undefined, most: number): Promise<LedgerLine[]> {
  const org = options.plan.org.name;
  await options.store.settle(org);
  const ledger = await options.store.readLedger(org);
  const after = afterSeq === undefined ? trailingLinesOfPlan(ledger, options.plan.digest) : ledger.filter((l) => l.seq > afterSeq);
  return after.filter((l): l is LedgerLine => !isObservedLine(l) && l.plan === options.plan.digest).slice(0, most);
}

/** One run through the store; a thrown error is a failure of its first action (nothing of it was done). */
async function carryOutRun(options: ApplyPlanOptions, run: readonly Action[], bumpRevision: boolean): Promise<CarryOutResult> {
  const { store, plan, actor } = options;
  try {
    return await store.carryOut(plan.org.name, run, { actor, planDigest: plan.digest, at: options.now(), bumpRevision });
  } catch (error) {
    return { applied: [], failure: { index: 0, error: error instanceof Error ? error : new Error(String(error)) } };
  }
}

/**
 * This apply's commit (with the lines of an earlier run of the same plan). A git failure does not
 * undo the apply: the report says so, and running the same apply again records it.
 */
async function recordThisApply(options: ApplyPlanOptions, ledger: readonly LedgerRecord[], report: ApplyReport): Promise<CommitOutcome | undefined> {
  const record = options.audit?.recordPending;
  if (!record) return report.status === 'no-changes' ? undefined : { status: 'skipped' };
  const current = { ...currentApply(options.plan), revisionBefore: report.revisionBefore, revisionAfter: report.revisionAfter };
  try {
    const outcomes = await record.call(options.audit, ledger, ledger.length, current);
    return outcomes.at(-1) ?? { status: 'nothing-to-commit' };
  } catch (error) {
    return { status: 'failed', message: `${error instanceof Error ? error.message : String(error)}; run the same apply again to record it` };
  }
}

/** The preflight; a stale plan's refusal also names what the audit trail sees changed. */
async function preflightNamingChanges(input: Parameters<typeof preflight>[0], audit: ApplyAudit | undefined): Promise<StartPoint> {
  const { snapshot } = input;
  try {
    return preflight(input);
  } catch (error) {
    if (!(error instanceof StalePlanError) || !audit?.describeChanges) throw error;
    const more = await audit.describeChanges(snapshot).catch(() => []);
    throw more.length > 0 ? new StalePlanError([...error.changes.filter((l) => l !== changedOutsideCapctl), ...more]) : error;
  }
}
