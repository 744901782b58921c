// A saved plan is applied only if it is what the reviewed desired state gives (SPEC §8): the
// desired folder is the one the plan was made from (same digest), and planning it again against
// the store gives the same actions. Editing a plan file and recomputing its digest gets nothing
// past this. Pure: the caller loads the desired state; the preflight calls these under the lock.
import { InputError, RefusedError, type Action, type DesiredOrg, type Diagnostic, type OrgSnapshot, type Plan } from '../model/index.js';
import { createPlan } from '../plan/create-plan.js';
import { canonicalJson } from '../plan/digest.js';
import { actionTitle as describe } from '../plan/action-kinds.js';
import { count } from '../plan/count.js';

/** The desired state a saved plan is held against: its folder's digest and the org's declarations. */
export interface ReviewedDesired {
  /** How messages name the folder (as the user gave it). */
  folder: string;
  /** The digest of the folder's files, as a plan's basis records it. */
  digest: string;
  /** The plan's org's declarations; undefined when no file declares the org. */
  org: DesiredOrg | undefined;
  /** The problems met loading the folder (errors stop the apply). */
  diagnostics: Diagnostic[];
}

const newPlanHint = 'make a new plan with `capctl plan --out` from the reviewed desired state';

/** Refuses (exit 3) a plan made from another desired state than `desired`'s folder holds now. */
export function assertDesiredDigest(plan: Plan, desired: ReviewedDesired): void {
  if (desired.digest === plan.basis.desiredDigest) {
    const errors = desired.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new InputError(`the desired state in ${desired.folder} has ${count(errors.length, 'error')}: nothing was applied`, errors);
    return;
  }
  throw new RefusedError(
    `the plan was made from another desired state: its basis has desired digest ${plan.basis.desiredDigest}, ` +
      `but ${desired.folder} has ${desired.digest} now (apply a saved plan with the desired folder it was made from, --desired DIR; or ${newPlanHint})`,
    desired.diagnostics.filter((d) => d.severity === 'error'),
  );
}

/**
 * Plans `desired` again against `snapshot` (the store at the plan's basis, or where an interrupted
 * apply of the plan stopped) and refuses (exit 3) when that plan has errors (the guards, R13, are
 * among its checks) or when its actions are not `remaining`, naming the first difference (the
 * policies and assignments of the apps in `installedByHand`, which the plan left to the plan after
 * their manual install, set apart). The
 * time is the plan's own: it only dates a plan.
 */
export function assertReplanned(plan: Plan, remaining: readonly Action[], snapshot: OrgSnapshot, desired: ReviewedDesired, installedByHand: ReadonlySet<string> = new Set()): void {
  const madeAt = Date.parse(plan.createdAt);
  if (!Number.isFinite(madeAt)) throw new RefusedError(`the plan's createdAt, ${JSON.stringify(plan.createdAt)}, is not an instant: ${newPlanHint}`);
  const again = createPlan({
    desired: desired.org,
    observed: snapshot,
    now: new Date(madeAt),
    basis: { desiredDigest: plan.basis.desiredDigest, desiredCommit: plan.basis.desiredCommit },
  });
  const errors = again.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new RefusedError(
      `the desired state in ${desired.folder} gives a plan with ${count(errors.length, 'error')} against the store now: nothing was applied`,
      errors,
    );
  }
  // What a plan leaves to the plan after a manual install (plan/manual-steps.ts) is not this plan's.
  const derived = again.actions.filter((a) => !(a.app && installedByHand.has(a.app.name) && (a.kind === 'set-policies' || a.kind === 'set-assignments')));
  const difference = firstDifference(remaining, derived);
  if (difference) {
    throw new RefusedError(`the plan is not what the desired state in ${desired.folder} gives: ${difference}; nothing was applied (${newPlanHint})`);
  }
}

/**
 * What an action decides: everything but its words (reason, source), the actor's view (allowed,
 * missing) and the counts of sessions and users it ends or affects, which apply counts again
 * (SPEC §7: sessions come and go; that does not make a plan stale).
 */
function decision(action: Action): Record<string, unknown> {
  const { sessionsEnded: _s, usersAffected: _u, accessBefore: _b, accessAfter: _a, appsCutOff, removed, ...effects } = action.effects;
  return {
    kind: action.kind,
    app: action.app,
    revocation: action.revocation,
    before: action.before,
    after: action.after,
    requires: action.requires,
    approvalUrl: action.approvalUrl,
    manual: action.manual,
    ...effects,
    appsCutOff: appsCutOff?.map((a) => ({ name: a.name, id: a.id })),
    removed: removed && { policies: removed.policies, profiles: removed.profiles, permissionSets: removed.permissionSets },
  };
}

/** `action 3 (block Slack): after: the plan has …, the desired state gives …`, or undefined when they decide the same. */
export function firstDifference(planned: readonly Action[], derived: readonly Action[]): string | undefined {
  const length = Math.max(planned.length, derived.length);
  for (let i = 0; i < length; i++) {
    const mine = planned[i];
    const theirs = derived[i];
    if (!mine) return `the desired state gives one more action, ${describe(theirs!)}, that the plan does not have`;
    if (!theirs) return `action ${mine.seq} (${describe(mine)}): the desired state gives no such action`;
    const a = decision(mine);
    const b = decision(theirs);
    for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const ours = canonicalJson(a[field]);
      const its = canonicalJson(b[field]);
      if (ours !== its) return `action ${mine.seq} (${describe(mine)}): ${field}: the plan has ${ours ?? 'none'}, the desired state gives ${its ?? 'none'}`;
    }
  }
  return undefined;
}
