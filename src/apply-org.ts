// Applying to one org from its folders, the library's way to apply (`capctl apply` calls it): open
// the store (a connected org live), take the plan (a saved plan file, held against the reviewed
// desired state; or planned now) → check who applies → refuse a store folder git ignores (before
// anything changes, and before the question) → ask (a plan made now) → applyPlan: the lock, the
// preflight, the actions, the ledger → the git commit of the changed store files (the audit
// trail). What happens on the way goes to one injected reporter; the result is the apply's report.
import { applyPlan } from './apply/apply-plan.js';
import type { ReviewedDesired } from './apply/assert-reviewed.js';
import type { StartPoint } from './apply/preflight.js';
import { assertPlanOrg, readPlanFile } from './apply/read-plan-file.js';
import { takeLock } from './apply/take-lock.js';
import { changedFiles } from './apply/refresh-live-org.js';
import { describeUncommittedChanges } from './audit/detect-drift.js';
import { describeChangedFiles, observeChanges } from './audit/observe-changes.js';
import { assertStoreNotIgnored, recordPendingApplies } from './audit/record-apply.js';
import { CapctlError, ExitCode, InputError, type ApplyReport, type Diagnostic, type LedgerLine, type Plan } from './model/index.js';
import { planOrgNow, readReviewedDesired } from './read-and-plan-org.js';
import { planFailed } from './render/plan-words.js';
import { LiveOrgStore } from './salesforce/live-org-store.js';
import { apiReports, type ApiReport } from './store/api-reports.js';
import { openStore, stateFolderOf, type StoreSettings } from './store/open-store.js';
import type { LockInfo, OrgLock } from './store/org-store.js';
import { selectOrg } from './store/select-org.js';

/** What applyOrg says as it goes; every event is optional, and none of them decides anything. */
export interface ApplyReporter {
  /** The desired state's warnings, met while planning now (errors stop the apply instead). */
  warnings?(diagnostics: Diagnostic[]): void;
  /** The plan made now (no plan file), before anything is checked or asked; a plan with errors is refused right after. */
  planned?(plan: Plan): void;
  /** Another apply holds the org's lock, and this one starts waiting for it (once). */
  waiting?(holder: LockInfo, org: string): void;
  /** The preflight passed: `start.remaining` are the actions about to be carried out. */
  started?(start: StartPoint, plan: Plan): void;
  /** `done` of the `total` remaining actions are carried out (said before each `applied`). */
  progress?(done: number, total: number): void;
  /** One action carried out, and recorded in the ledger. */
  applied?(line: LedgerLine): void;
  /** The apply is over (done, stopped, failed or refused), before its API calls are said. */
  finished?(): void;
  /** A revocation on a live org: `done` of its `total` sessions ended, of the app named. */
  revokeProgress?(done: number, total: number, app: string): void;
  /** The API calls the live reads made: those of planning now, after it; the apply's own, after it. */
  apiCalls?(reports: ApiReport[]): void;
}

/** Where to apply, what, as whom, and how. */
export interface ApplyOrgOptions extends Omit<StoreSettings, 'offline'> {
  /** The desired-state folder: planned now, or (with `planFile`) the one the plan must have been made from. */
  desired: string;
  /** A plan saved by `capctl plan --out`; without it the org is planned now. */
  planFile?: string;
  /** Who applies (absent: a connected org's connected user; a file-store org needs one). */
  actor?: string;
  now(): Date;
  /** How long to wait for a lock another apply holds (default 0: refuse at once). */
  lockTimeoutMs?: number;
  /** Commit the changed store files to git (default true). */
  commit?: boolean;
  /** The command line, written into the lock file (default `capctl apply [PLANFILE]`). */
  command?: string;
  /**
   * Asked before applying a plan made now that has actions and no refused one (a refusal comes
   * from the preflight, unasked); rejects to cancel. Absent: apply without asking.
   */
  confirm?(plan: Plan): Promise<void>;
  reporter?: ApplyReporter;
}

/**
 * Applies a plan to its org (SPEC §8, §13). Throws InputError (exit 1) for bad input, RefusedError
 * (exit 3) when the preflight refuses, CapctlError for a plan made now with errors; a failed action
 * or commit is in the report, with what was done up to it.
 */
export async function applyOrg(options: ApplyOrgOptions): Promise<ApplyReport> {
  const reporter = options.reporter ?? {};
  const commit = options.commit ?? true;
  // A connected org is read (and changed) through the API; its actor is the connected user.
  const store = openStore(options, { live: true, onRevokeProgress: (done, total, app) => reporter.revokeProgress?.(done, total, app) });
  const connected = (org: string): boolean => store instanceof LiveOrgStore && store.connectionOf(org) !== undefined;
  const needActor = (org: string): void => {
    if (!options.actor && !connected(org)) throw new InputError('apply needs the user it runs as: --actor USERNAME, or CAPCTL_ACTOR');
  };
  // Said before anything changes (and before the question), not as a failed commit after the apply.
  const refuseIgnoredStore = async (org: string): Promise<void> => {
    if (commit) await assertStoreNotIgnored(stateFolderOf(store, org));
  };
  // Each live read is said once: those of planning now after it, the apply's own after the apply.
  let said = 0;
  const sayApiCalls = (): void => {
    const reports = apiReports(store).slice(said);
    said += reports.length;
    if (reports.length > 0) reporter.apiCalls?.(reports);
  };

  let plan: Plan;
  let desired: ReviewedDesired | undefined;
  let lock: OrgLock | undefined;
  const command = options.command ?? `capctl apply${options.planFile ? ` ${options.planFile}` : ''}`;
  const lockWait = (org: string) => ({ lockTimeoutMs: options.lockTimeoutMs ?? 0, command, onWait: (holder: LockInfo) => reporter.waiting?.(holder, org) });
  if (options.planFile !== undefined) {
    plan = await readPlanFile(options.planFile);
    await assertPlanOrg(plan, options.org, store, options.orgState);
    needActor(plan.org.name);
    await refuseIgnoredStore(plan.org.name);
    // A saved plan must be what the reviewed desired state gives: the preflight plans it again.
    desired = await readReviewedDesired({ desired: options.desired, org: plan.org.name, store, storeName: options.orgState, now: options.now() });
  } else {
    if (!options.actor && !(store instanceof LiveOrgStore)) needActor(options.org ?? '');
    const org = await selectOrg(store, options.org, options.orgState);
    // Nothing to ask (--auto-approve) on a connected org: its lock is taken before the plan's read,
    // and the preflight works from that read rather than reading the org a second time a moment
    // later (no other run of capctl can change the state folder in between). An answer to the
    // question may take minutes: then the lock comes after it, and the preflight reads the org again.
    if (!options.confirm && connected(org)) lock = await takeLock(store, org, options.actor ?? 'the connected user', lockWait(org));
    try {
      plan = await planHere(options, store, org, sayApiCalls, reporter);
      needActor(plan.org.name);
      reporter.planned?.(plan);
      if (planFailed(plan)) throw new CapctlError('the plan has errors, so it has no actions: nothing was applied', ExitCode.error);
      await refuseIgnoredStore(plan.org.name);
    } catch (error) {
      await lock?.release();
      throw error;
    }
    // A plan without actions still goes through applyPlan, which records earlier interrupted applies in git.
    const refused = plan.actions.some((a) => a.allowed === false);
    if (options.confirm && !refused && plan.actions.length > 0) await options.confirm(plan);
  }

  const org = plan.org.name;
  const folder = stateFolderOf(store, org);
  const live =
    store instanceof LiveOrgStore && connected(org)
      ? {
          readStored: () => store.storedSnapshot(org),
          describe: (before: Parameters<typeof changedFiles>[1], after: Parameters<typeof changedFiles>[1]) => {
            const files = changedFiles(before, after, folder);
            return { ...describeChangedFiles(files), parts: files.map((f) => f.part) };
          },
        }
      : undefined;
  let done = 0;
  let total = 0;
  return applyPlan({
    store,
    plan,
    actor: options.actor,
    ...(live ? { live } : {}),
    now: () => options.now(),
    ...lockWait(org),
    ...(lock ? { lock } : {}),
    ...(desired ? { desired } : {}),
    command,
    audit: {
      ...(commit ? { recordPending: (ledger, upToSeq, current) => recordPendingApplies(org, folder, ledger, upToSeq, current) } : {}),
      describeChanges: (snapshot) => describeUncommittedChanges(folder, snapshot),
      observe: (snapshot, ledger) => observeChanges(snapshot, ledger, folder),
    },
    onStart: (start) => {
      total = start.remaining.length;
      reporter.started?.(start, plan);
    },
    onApplied: (line) => {
      reporter.progress?.(++done, total);
      reporter.applied?.(line);
    },
  }).finally(() => {
    reporter.finished?.();
    sayApiCalls();
  });
}

/** The plan of the org now, as `capctl plan` makes it: the API calls of a live read said, then the desired state's warnings. */
async function planHere(options: ApplyOrgOptions, store: ReturnType<typeof openStore>, org: string, sayApiCalls: () => void, reporter: ApplyReporter): Promise<Plan> {
  return planOrgNow({
    desired: options.desired,
    store,
    storeName: options.orgState,
    org,
    ...(options.actor !== undefined ? { actor: options.actor } : {}),
    now: options.now(),
    reporter: { apiCalls: sayApiCalls, ...(reporter.warnings ? { warnings: (w) => reporter.warnings?.(w) } : {}) },
  });
}
