// Carries out a plan through the org store (SPEC §8), as a list of named steps:
//   take the org's lock → read the store → preflight (refuse before anything changes) →
//   record earlier interrupted applies → record changes made outside capctl (a refresh of their
//   own, refresh-org.ts) → carry out the remaining actions, in runs (each action with its ledger
//   line, each run one atomic store change) → record this apply → release the lock.
// A failed action stops the apply; the report says what was done up to it. Running the same plan
// again resumes after the last action done, so nothing is done twice.
import {
  AuditError,
  CapctlError,
  ExitCode,
  RefusedError,
  type Action,
  type ApplyReport,
  type CommitOutcome,
  type LedgerLine,
  type LedgerRecord,
  type Observation,
  type ObservedChange,
  type ObservedSessions,
  type OrgSnapshot,
  type Plan,
  type RecordedChanges,
  type StatePart,
} from '../model/index.js';
import { actionKinds } from '../plan/action-kinds.js';
import { digestOfData } from '../store/store-digest.js';
import type { CarryOutResult, LockInfo, OrgLock, OrgStore } from '../store/org-store.js';
import { isObservedLine, nextLedgerLine, nextObservedLine, storeRevision, trailingLinesOfPlan } from '../store/ledger-chain.js';
import { sessionsEndedByHand, withAppsOf } from './manual-steps-done.js';
import type { ReviewedDesired } from './assert-reviewed.js';
import { changedOutsideCapctl, preflight, StalePlanError, type StartPoint } from './preflight.js';
import { recordOutsideChanges } from './refresh-org.js';
import { takeLock } from './take-lock.js';

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

/**
 * A live org's apply (SPEC §13): its state folder, which the ledger's lines describe, beside the
 * org read live; and how to name what changed between two states of it (for the observed line).
 */
export interface LiveApply {
  /** The state folder as it is now (undefined when it has none). */
  readStored(): Promise<OrgSnapshot | undefined>;
  /** What differs from `before` to `after`, named, and the parts of the state that differ. */
  describe(before: OrgState, after: OrgState): { changes: ObservedChange[]; sessions: ObservedSessions[]; parts: StatePart[] };
}

type OrgState = Pick<OrgSnapshot, 'org' | 'users' | 'apps'>;

/** What applyPlan needs. */
export interface ApplyPlanOptions {
  store: OrgStore;
  plan: Plan;
  /** Who applies; on a live org it must be the connected user (absent: the connected user). */
  actor?: string | undefined;
  /** A connected org: how apply keeps its state folder (omitted for a file-store org). */
  live?: LiveApply;
  now(): Date;
  lockTimeoutMs: number;
  /** The command line, written into the lock file. */
  command: string;
  /** Omitted for a store without an audit trail. */
  audit?: ApplyAudit;
  /** A saved plan's reviewed desired state: the plan must be what it gives (assert-reviewed.ts). */
  desired?: ReviewedDesired;
  /** The org's lock, when the caller took it before planning (released here, as one taken here is). */
  lock?: OrgLock;
  /** Called once when the lock is held by another apply and this one starts waiting. */
  onWait?(holder: LockInfo): void;
  /** Called once the preflight passed, before the first action. */
  onStart?(start: StartPoint): void;
  /** Called after each action is carried out (and recorded in the ledger). */
  onApplied?(line: LedgerLine): void;
}

/** The options of one run, once the preflight has said who acts (and, live, what the org showed). */
type RunOptions = Omit<ApplyPlanOptions, 'actor' | 'live'> & { actor: string; live?: LiveApply & { snapshot: OrgSnapshot } };

/** Applies a plan to its org; throws RefusedError (exit 3) when the preflight refuses it. */
export async function applyPlan(options: ApplyPlanOptions): Promise<ApplyReport> {
  const { store, plan } = options;
  const org = plan.org.name;
  const lock = options.lock ?? (await takeLock(store, org, options.actor ?? 'the connected user', options));
  try {
    const snapshot = await store.readSnapshot(org, { forApply: true });
    const ledger = await store.readLedger(org);
    const live = snapshot.live && options.live ? options.live : undefined;
    const stored = live ? await live.readStored() : undefined;
    const start = await preflightNamingChanges({ plan, snapshot, ledger, actor: options.actor, stored, ...(options.desired ? { desired: options.desired } : {}) }, options.audit);
    assertApiAllowance(store, org, start, snapshot);
    const { live: _live, ...rest } = options;
    const run: RunOptions = { ...rest, actor: start.actor, ...(live ? { live: { ...live, snapshot } } : {}) };
    options.onStart?.(start);
    const report = startReport(plan, start.actor, start, storeRevision(start.base.org.revision, ledger));
    report.earlierCommits = await recordEarlierApplies(run, ledger, start);
    const refreshed = run.live ? await recordLiveRefreshFirst(run, run.live, ledger, start) : await recordRefreshFirst(run, snapshot, ledger, start);
    if (refreshed) report.refreshed = refreshed;
    await carryOutActions(run, start, report);
    report.revisionAfter = storeRevision(start.base.org.revision, [...ledger, ...(refreshed ? [refreshed.line] : []), ...report.applied]);
    const commit = await recordThisApply(run, [...ledger, ...(refreshed ? [refreshed.line] : []), ...report.applied], report);
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
async function recordRefreshFirst(options: RunOptions, snapshot: OrgSnapshot, ledger: readonly LedgerRecord[], start: StartPoint) {
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

/**
 * On a live org, the refresh before the first action (as recordRefreshFirst for the file store): the
 * org as read now — the apps of manual steps done by hand set apart, which their own lines record —
 * against the state folder as the ledger last recorded it; when they differ, the folder takes it
 * with an observed line, as one atomic change, and a refresh commit of its own.
 */
async function recordLiveRefreshFirst(options: RunOptions, live: LiveApply & { snapshot: OrgSnapshot }, ledger: readonly LedgerRecord[], start: StartPoint): Promise<RecordedChanges | undefined> {
  if (start.remaining.length === 0) return undefined;
  const org = options.plan.org.name;
  const folder = options.store.stateFolder(org);
  const stored = await live.readStored();
  if (!stored || !folder?.writeObserved) return undefined;
  const state = withAppsOf(live.snapshot, stored, new Set(start.doneByHand.map((a) => a.app!.name)));
  const last = ledger.at(-1);
  const was = last?.result.storeDigest ?? stored.digest;
  // The live read gives no revision of its own: the folder's stands.
  const kept = { ...state, org: { ...state.org, revision: stored.org.revision } };
  if (digestOfData(kept) === was) return undefined;
  const described = live.describe(stored, kept);
  const line = await folder.writeObserved(kept, (storeDigest) =>
    nextObservedLine(last, {
      at: options.now().toISOString(),
      actor: options.actor,
      observed: { named: true, ...(last ? { previousDigest: last.result.storeDigest } : {}), changes: described.changes, sessions: described.sessions },
      storeDigest,
      parts: described.parts,
    }),
  );
  let commit: CommitOutcome = { status: 'skipped' };
  if (options.audit?.recordPending) {
    try {
      commit = (await options.audit.recordPending([...ledger, line], line.seq, currentApply(options.plan))).at(-1) ?? { status: 'nothing-to-commit' };
    } catch (error) {
      throw new CapctlError(
        `nothing was applied: recording the changes made outside capctl in git failed: ${error instanceof Error ? error.message : String(error)} (fix git, or apply with --no-commit)`,
        ExitCode.error,
      );
    }
  }
  return { line, commit, notes: [] };
}

/**
 * On a live org, refuses (exit 3) before anything changes an apply whose estimated API calls (the
 * backend's, by the batching of each kind) exceed what the org has left of its daily allowance.
 */
function assertApiAllowance(store: OrgStore, org: string, start: StartPoint, snapshot: OrgSnapshot): void {
  const left = snapshot.live?.apiRequestsRemaining;
  const runs = plannedRuns(start, snapshot.live !== undefined);
  if (left === undefined || !store.estimateCalls || runs.length === 0) return;
  const estimate = store.estimateCalls(org, runs);
  if (estimate.calls <= left) return;
  const parts = Object.entries(estimate.byKind).map(([kind, n]) => `${kind} ${n}`).join(', ');
  throw new RefusedError(
    `apply refused: ${org} has ${left} API requests left today (DailyApiRequests Remaining in /limits), and this apply needs about ${estimate.calls} (${parts}); nothing was applied. ` +
      'Apply once the allowance recovers (it is a rolling 24 hours), or in smaller plans.',
  );
}

/** The runs carryOutActions will hand the store (`live`: a connected org's), up to the first manual step not done (where it stops). */
export function plannedRuns(start: Pick<StartPoint, 'remaining' | 'doneByHand'>, live = false): Action[][] {
  const runs: Action[][] = [];
  let segment: Action[] = [];
  const flush = (): void => {
    let from = 0;
    for (const length of runLengths(segment.length, live)) runs.push(segment.slice(from, (from += length)));
    segment = [];
  };
  for (const action of start.remaining) {
    if (!action.manual) {
      segment.push(action);
      continue;
    }
    flush();
    if (!start.doneByHand.includes(action)) break;
  }
  flush();
  return runs;
}

/** The report before any action; `revision`: the store's now (ledger-chain.ts storeRevision). */
function startReport(plan: Plan, actor: string, start: StartPoint, revision: number): ApplyReport {
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
    revisionBefore: start.firstRun ? revision : plan.basis.storeRevision,
    revisionAfter: revision,
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
async function recordEarlierApplies(options: RunOptions, ledger: readonly LedgerRecord[], start: StartPoint): Promise<CommitOutcome[]> {
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
 * On a connected org (`live`) every run is maxRunLength: the live store records each action on its
 * own as it is done, and a longer run lets consecutive metadata writes share a call (10 per call).
 */
export function runLengths(actions: number, live = false): number[] {
  const lengths: number[] = [];
  for (let done = 0, next = live ? maxRunLength : 1; done < actions; next = Math.min(next * 2, maxRunLength)) {
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
async function carryOutActions(options: RunOptions, start: StartPoint, report: ApplyReport): Promise<void> {
  const { remaining } = start;
  for (let from = 0; from < remaining.length; ) {
    const next = remaining[from]!;
    if (next.manual) {
      if (!start.doneByHand.includes(next)) {
        // No API does it: stop before it, saying where a person does it (exit 4).
        report.status = 'stopped-at-manual-step';
        report.manualStep = next;
        report.notDone = remaining.slice(from);
        return;
      }
      const line = await recordDoneByHand(options, next);
      report.applied.push(line);
      options.onApplied?.(line);
      from += 1;
      continue;
    }
    let to = from;
    while (to < remaining.length && !remaining[to]!.manual) to += 1;
    if (!(await carryOutSegment(options, start, report, from, to))) return;
    from = to;
  }
}

/**
 * The actions of `start.remaining` from `from` up to `end` (none of them manual) through the store,
 * in runs; false when one failed (the report says which, and what was not done).
 */
async function carryOutSegment(options: RunOptions, start: StartPoint, report: ApplyReport, first: number, end: number): Promise<boolean> {
  let from = first;
  let lengths = runLengths(end - from, options.live !== undefined);
  while (lengths.length > 0) {
    const length = lengths.shift()!;
    const result = await carryOutRun(options, start.remaining.slice(from, from + length));
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
      // Done after all, up to the first action the store shows not done (ones after it saved in its call are recorded ahead of it).
      const ahead = readBack.findIndex((l) => l.result.aheadOf !== undefined);
      done += ahead < 0 ? readBack.length : ahead;
      if (ahead >= 0) failure.index = done;
      if (readBack.length > 0 && ahead < 0) {
        // Done after all: go on after the last action done, in runs again.
        from += done;
        lengths = runLengths(end - from, options.live !== undefined);
        continue;
      }
      failure.error = new Error(`${failure.error.message} (its outcome could not be told at first; read back, the store shows it was not done)`, { cause: failure.error });
    }
    if (failure) {
      const failed = from + failure.index;
      report.status = 'failed';
      report.failure = { action: start.remaining[failed]!, message: failure.error.message };
      const applied = new Set(report.applied.map((l) => l.action.seq));
      report.notDone = start.remaining.slice(failed).filter((a) => !applied.has(a.seq));
      return false;
    }
    from += length;
  }
  return true;
}

/**
 * A manual step the org shows done by hand: the state folder takes its app as the org has it now
 * (the rest of the folder as the ledger last left it) with the plan's ledger line of the action,
 * marked `byHand`, as one atomic change; the apply commit then records it with the others.
 */
async function recordDoneByHand(options: RunOptions, action: Action): Promise<LedgerLine> {
  const org = options.plan.org.name;
  const live = options.live;
  const folder = options.store.stateFolder(org);
  if (!live || !folder?.writeObserved) throw new Error(`apply: ${org} keeps no state folder to record the manual step ${action.seq} in`);
  const before = await live.readStored();
  if (!before) throw new Error(`apply: ${org} has no state folder to record the manual step ${action.seq} in`);
  const after = withAppsOf(before, live.snapshot, new Set([action.app!.name]));
  const last = (await options.store.readLedger(org)).at(-1);
  // No counter is written: the revision comes from the ledger (ledger-chain.ts storeRevision).
  const state = after;
  const { parts } = live.describe(before, state);
  return folder.writeObserved(state, (storeDigest) =>
    nextLedgerLine(last, {
      at: options.now().toISOString(),
      actor: options.actor,
      plan: options.plan.digest,
      action,
      result: { status: actionKinds[action.kind].pastTense, ...sessionsEndedByHand(action, before, live.snapshot), parts, storeDigest, byHand: true },
    }),
  );
}

/**
 * After an unknown outcome: the store settles what was left half done, and the ledger lines of
 * this plan after `afterSeq` (at most `most` of them, the run's actions not reported done) are
 * those that were done.
 */
async function readBackUnknown(options: RunOptions, afterSeq: number | undefined, most: number): Promise<LedgerLine[]> {
  const org = options.plan.org.name;
  await options.store.settle(org);
  const ledger = await options.store.readLedger(org);
  const after = afterSeq === undefined ? trailingLinesOfPlan(ledger, options.plan.digest) : ledger.filter((l) => l.seq > afterSeq);
  return after.filter((l): l is LedgerLine => !isObservedLine(l) && l.plan === options.plan.digest).slice(0, most);
}

/** One run through the store; a thrown error is a failure of its first action (nothing of it was done). */
async function carryOutRun(options: RunOptions, run: readonly Action[]): Promise<CarryOutResult> {
  const { store, plan, actor } = options;
  try {
    return await store.carryOut(plan.org.name, run, { actor, planDigest: plan.digest, at: options.now() });
  } catch (error) {
    return { applied: [], failure: { index: 0, error: error instanceof Error ? error : new Error(String(error)) } };
  }
}

/**
 * This apply's commit (with the lines of an earlier run of the same plan). A git failure does not
 * undo the apply: the report says so, and running the same apply again records it.
 */
async function recordThisApply(options: RunOptions, ledger: readonly LedgerRecord[], report: ApplyReport): Promise<CommitOutcome | undefined> {
  // Stopped before a manual step with nothing done: nothing to record.
  if (report.status === 'stopped-at-manual-step' && report.applied.length === 0 && report.resumed.length === 0) return undefined;
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
