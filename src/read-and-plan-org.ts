// Planning one org from its folders: read the desired state and the org store, find the desired
// folder's git commit, and hand them to the pure planner. The library's way to make a plan; `capctl
// plan` (and `apply` without a plan file) call it.
import type { ReviewedDesired } from './apply/assert-reviewed.js';
import { readDesiredCommit } from './audit/desired-commit.js';
import { checkDeclaredOrgs } from './load/check-orgs.js';
import { loadDesiredStateAside } from './load/load-desired-aside.js';
import { InputError, StoreError, type DesiredOrg, type Diagnostic, type LedgerRecord, type OrgSnapshot, type Plan } from './model/index.js';
import { containmentIdPrefix, type Containment } from './plan/risk/rule.js';
import { createPlanAndRisk } from './plan/create-plan.js';
import type { RiskReport } from './plan/risk/evaluate-risk.js';
import { apiMember, apiReports, type ApiReport } from './store/api-reports.js';
import type { OrgStore } from './store/org-store.js';
import { chooseOrg, orgChoiceIn } from './store/select-org.js';
import { isObservedLine, storeRevision } from './store/ledger-chain.js';
import { count } from './plan/count.js';

/** Where to read from, which org, who would apply, and when. */
export interface ReadAndPlanOrgOptions {
  /** The desired-state folder. */
  desired: string;
  store: OrgStore;
  /** How messages name the store (its folder, as the user gave it). */
  storeName: string;
  /** The org; by default the only one the store holds. */
  org?: string;
  actor?: string;
  now: Date;
}

/** A plan and the desired-state warnings met on the way (errors stop planning). */
export interface ReadAndPlanOrgResult {
  org: string;
  plan: Plan;
  /** The risk rules' report on the org as the plan would leave it (all of it, not only the plan's scope). */
  risk: RiskReport;
  loadWarnings: Diagnostic[];
}

/** What planning now says as it goes; every event is optional, and none of them decides anything. */
export interface PlanNowReporter {
  /** The desired state's warnings (errors stop planning instead). */
  warnings?(diagnostics: Diagnostic[]): void;
  /** The API calls a live read made (said also when planning failed). */
  apiCalls?(reports: ApiReport[]): void;
}

/**
 * The plan of an org now, as `capctl plan` and an apply without a plan file make it: readAndPlanOrg,
 * its API calls and then its warnings said, a live read's calls carried in the plan (`api`, outside
 * its digest).
 */
export async function planOrgNow(options: ReadAndPlanOrgOptions & { reporter?: PlanNowReporter }): Promise<Plan> {
  const reporter = options.reporter ?? {};
  const { plan, loadWarnings } = await readAndPlanOrg(options).finally(() => {
    const reports = apiReports(options.store);
    if (reports.length > 0) reporter.apiCalls?.(reports);
  });
  if (loadWarnings.length > 0) reporter.warnings?.(loadWarnings);
  return { ...plan, ...apiMember(options.store) };
}

/**
 * Plans one org. Throws InputError (exit 1) carrying the loader's diagnostics when the desired
 * state has errors, and StoreError when the store is malformed; plan rules are diagnostics of the plan.
 */
export async function readAndPlanOrg(options: ReadAndPlanOrgOptions): Promise<ReadAndPlanOrgResult> {
  const orgs = await options.store.listOrgs();
  const org = chooseOrg(options.org, orgs, orgChoiceIn(options.store, options.storeName));
  // The YAML is parsed on another thread while this one reads the store; the desired state's
  // problems are reported first, whatever the store holds.
  const loading = loadDesiredStateAside(options.desired, { now: options.now });
  // The ledger after the snapshot (its ledger): it gives the store's revision (storeRevision).
  const readStore = async (): Promise<[OrgSnapshot, LedgerRecord[]]> => {
    const snapshot = await options.store.readSnapshot(org);
    // A connected org never refreshed has no state folder, so no ledger yet.
    const ledger = snapshot.live ? await options.store.readLedger(org).catch((error: unknown) => (error instanceof StoreError ? [] : Promise.reject(error))) : await options.store.readLedger(org);
    return [snapshot, ledger];
  };
  const reading = Promise.all([readStore(), readDesiredCommit(options.desired)]);
  reading.catch(() => undefined); // awaited below, unless the desired state stops us first
  const loaded = await loading;
  loaded.diagnostics.push(...checkDeclaredOrgs(loaded.desired, orgs, options.storeName));
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new InputError(
      `the desired state in ${options.desired} has ${count(errors.length, 'error')}: nothing was planned`,
      loaded.diagnostics,
    );
  }
  const [[observed, ledger], desiredCommit] = await reading;
  // Own keys only: a store org named `constructor` must not find Object.prototype's.
  const desired = Object.hasOwn(loaded.desired.orgs, org) ? loaded.desired.orgs[org] : undefined;
  const contained = readContainments(desired, observed, ledger);
  const { plan, risk } = createPlanAndRisk({
    desired,
    ...(contained.length > 0 ? { contained } : {}),
    observed,
    now: options.now,
    ...(options.actor !== undefined ? { actor: options.actor } : {}),
    basis: { desiredDigest: loaded.desired.digest, desiredCommit, storeRevision: storeRevision(observed.org.revision, ledger) },
  });
  return { org, plan, risk, loadWarnings: loaded.diagnostics };
}

/**
 * The containments (capctl contain) of apps the declaration would unblock, for risk rule CAPR008:
 * the CONTAIN- Revocation that recorded each (its reason), and who applied the block and when,
 * from the ledger.
 */
function readContainments(desired: DesiredOrg | undefined, observed: OrgSnapshot, ledger: readonly LedgerRecord[]): Containment[] {
  if (!desired) return [];
  const blocked = new Map(observed.apps.filter((a) => a.blocked).map((a) => [a.name, a]));
  const unblocked = new Set(desired.apps.filter((d) => d.doc.blocked === false && blocked.has(d.doc.name)).map((d) => d.doc.name));
  const records = desired.revocations.filter((r) => r.doc.id.startsWith(containmentIdPrefix) && unblocked.has(r.doc.app));
  if (records.length === 0) return [];
  return records.map(({ doc }) => {
    const app = blocked.get(doc.app)!;
    const block = ledger.findLast((l) => !isObservedLine(l) && l.action.kind === 'block' && l.action.app?.id === app.id);
    return {
      app: { name: app.name, id: app.id },
      revocation: doc.id,
      reason: doc.reason.replace(/^Containment: /, ''),
      ...(block ? { actor: block.actor, at: block.at } : {}),
    };
  });
}

/**
 * The desired state a saved plan of `org` is held against at apply (SPEC §8): the folder's digest
 * and the org's declarations, with the folder's problems (an org the store does not hold among them).
 */
export async function readReviewedDesired(options: { desired: string; org: string; store: Pick<OrgStore, 'listOrgs'>; storeName: string; now: Date }): Promise<ReviewedDesired> {
  const loading = loadDesiredStateAside(options.desired, { now: options.now }).catch((error: unknown) => {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(`${error.message}: applying a saved plan reads the desired state it was made from (give its folder with --desired DIR)`, error.diagnostics, { cause: error });
  });
  const [loaded, orgs] = await Promise.all([loading, options.store.listOrgs()]);
  return {
    folder: options.desired,
    digest: loaded.desired.digest,
    org: Object.hasOwn(loaded.desired.orgs, options.org) ? loaded.desired.orgs[options.org] : undefined,
    diagnostics: [...loaded.diagnostics, ...checkDeclaredOrgs(loaded.desired, orgs, options.storeName)],
  };
}
