// Planning one org from its folders: read the desired state and the org store, find the desired
// folder's git commit, and hand them to the pure planner. The library's way to make a plan; `capctl
// plan` (and `apply` without a plan file) call it.
import { readDesiredCommit } from './audit/desired-commit.js';
import { loadDesiredStateAside } from './load/load-desired-aside.js';
import { InputError, type Diagnostic, type Plan } from './model/index.js';
import { createPlanAndRisk } from './plan/create-plan.js';
import type { RiskReport } from './plan/risk/evaluate-risk.js';
import type { OrgStore } from './store/org-store.js';
import { selectOrg } from './store/select-org.js';

/** Where to read from, which org, who would apply, and when. */
export interface PlanOrgOptions {
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
export interface PlanOrgResult {
  org: string;
  plan: Plan;
  /** The risk rules' report on the org as the plan would leave it (all of it, not only the plan's scope). */
  risk: RiskReport;
  loadWarnings: Diagnostic[];
}

/**
 * Plans one org. Throws InputError (exit 1) carrying the loader's diagnostics when the desired
 * state has errors, and StoreError when the store is malformed; plan rules are diagnostics of the plan.
 */
export async function planOrg(options: PlanOrgOptions): Promise<PlanOrgResult> {
  const org = await selectOrg(options.store, options.org, options.storeName);
  // The YAML is parsed on another thread while this one reads the store; the desired state's
  // problems are reported first, whatever the store holds.
  const loading = loadDesiredStateAside(options.desired, { now: options.now });
  const reading = Promise.all([options.store.readSnapshot(org), readDesiredCommit(options.desired)]);
  reading.catch(() => undefined); // awaited below, unless the desired state stops us first
  const loaded = await loading;
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new InputError(
      `the desired state in ${options.desired} has ${errors.length} ${errors.length === 1 ? 'error' : 'errors'}: nothing was planned`,
      loaded.diagnostics,
    );
  }
  const [observed, desiredCommit] = await reading;
  const { plan, risk } = createPlanAndRisk({
    // Own keys only: a store org named `constructor` must not find Object.prototype's.
    desired: Object.hasOwn(loaded.desired.orgs, org) ? loaded.desired.orgs[org] : undefined,
    observed,
    now: options.now,
    ...(options.actor !== undefined ? { actor: options.actor } : {}),
    basis: { desiredDigest: loaded.desired.digest, desiredCommit },
  });
  return { org, plan, risk, loadWarnings: loaded.diagnostics };
}
