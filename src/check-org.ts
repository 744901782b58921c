// `capctl check` as a library call: the risk rules (SPEC §14) on one org — as it is, or, given a
// desired-state folder, as the plan would leave it. Findings that no file declares point at the
// app, user or org in the store, so that every finding has a place (and SARIF a location).
import path from 'node:path';
import type { Diagnostic, OrgSnapshot, SourcePos, StatePart } from './model/index.js';
import { readAndPlanOrg } from './read-and-plan-org.js';
import { evaluateRisk, type RiskReport } from './plan/risk/evaluate-risk.js';
import { riskFacts } from './plan/risk/facts.js';
import type { RiskSubject } from './plan/risk/rule.js';
import type { OrgStore, StateFolder } from './store/org-store.js';
import { selectOrg } from './store/select-org.js';

/** What to check. */
export interface CheckOrgOptions {
  /** The desired-state folder: the org is checked as the plan would leave it, with its levels and exceptions. */
  desired?: string;
  store: OrgStore;
  /** The store folder as the user gave it: findings about the org point into it. */
  storeName: string;
  org?: string;
  now: Date;
}

/** The risk report of one org, and where each subject of the org is. */
export interface CheckOrgResult {
  org: { name: string; id: string };
  /** `observed`: the org as it is; `planned`: as the plan of the desired state would leave it. */
  mode: 'observed' | 'planned';
  risk: RiskReport;
  /** Where a finding that no file declares is: the app's, the users' or the org's file in the store. */
  locate: (subject: RiskSubject) => SourcePos;
  loadWarnings: Diagnostic[];
}

/** Evaluates the risk rules. Throws InputError on a desired state with errors, StoreError on a malformed store. */
export async function checkOrg(options: CheckOrgOptions): Promise<CheckOrgResult> {
  const slug = await selectOrg(options.store, options.org, options.storeName);
  if (options.desired !== undefined) {
    const planned = await readAndPlanOrg({ desired: options.desired, store: options.store, storeName: options.storeName, org: slug, now: options.now });
    const observed = await options.store.readSnapshot(slug);
    return { org: planned.plan.org, mode: 'planned', risk: planned.risk, locate: locator(options.storeName, observed, options.store.stateFolder(slug)), loadWarnings: planned.loadWarnings };
  }
  const observed = await options.store.readSnapshot(slug);
  const facts = riskFacts({ slug, org: observed.org, apps: observed.apps, users: observed.users, desired: undefined, now: options.now });
  return { org: { name: slug, id: observed.org.id }, mode: 'observed', risk: evaluateRisk(facts, []), locate: locator(options.storeName, observed, options.store.stateFolder(slug)), loadWarnings: [] };
}

/** Where each subject is: its entry of the org's state folder (the folder itself on a backend that keeps none). */
function locator(storeName: string, observed: OrgSnapshot, state: StateFolder | undefined): (subject: RiskSubject) => SourcePos {
  const folder = path.join(storeName, observed.slug);
  const at = (part: StatePart): SourcePos => ({ file: path.join(folder, state?.entryOf(part) ?? '.').split(path.sep).join('/'), line: 1, column: 1 });
  return (subject) => at(subject.kind === 'app' ? { kind: 'app', appId: subject.id } : subject.kind === 'user' ? { kind: 'users' } : { kind: 'org' });
}
