// desired + observed → plan: the planner. Pure: the time, the actor and the basis are parameters.
// It reads as the steps a reviewer would follow: check the declaration against the org, work out
// what each app should become, draft the actions, carry them out on a copy to count their cost,
// hold them against the guards, note what a reviewer must know, and check who may apply them.
import { Codes, type Action, type Diagnostic, type Plan } from '../model/index.js';
import { diagnostic, orderDiagnostics } from './diagnostic.js';
import { planDigest, stateDigestOf } from './digest.js';
import { draftActions, type RevocationTarget } from './draft-actions.js';
import { deferAfterManualInstall } from './manual-steps.js';
import { buildPlanContext, type PlanContext, type PlanInput } from './plan-context.js';
import { markActorPermissions } from './rules/actor.js';
import { checkAllowlistingFeature, checkUnblockUnderAllowlisting, noteAllowlistingOn } from './rules/allowlisting.js';
import { matchDeclaredApp } from './rules/app-identity.js';
import { checkGuards } from './rules/guards.js';
import { checkUsernamePasswordFlow } from './rules/oauth-flows.js';
import { checkPolicies } from './rules/policies.js';
import { checkRevocation, noteReauthorization } from './rules/revocations.js';
import { noteDeniedAttempts, noteUnmanagedApp, undeclaredApps } from './rules/unmanaged.js';
import { evaluateRisk, riskDiagnostics, type RiskReport } from './risk/evaluate-risk.js';
import { riskFacts } from './risk/facts.js';
import { simulatePlan, type SimulatedAction, type SimulatedOrg } from './simulate.js';
import { summarize } from './summary.js';
import { appTarget, type AppTarget } from './targets.js';

export type { PlanInput } from './plan-context.js';

/** The version of the plan format this planner writes and apply reads (schemas/plan.schema.json). */
export const planFormatVersion: Plan['formatVersion'] = 2;

/** Plans the actions that make the org match its declaration (SPEC §5–§7). Never throws on valid input. */
export function createPlan(input: PlanInput): Plan {
  return createPlanAndRisk(input).plan;
}

/** The plan, and the risk rules' report on the org as the plan would leave it (SPEC §14), for `capctl check`. */
export function createPlanAndRisk(input: PlanInput): { plan: Plan; risk: RiskReport } {
  const ctx = buildPlanContext(input);
  const diagnostics: Diagnostic[] = [];

  if (!input.desired) {
    diagnostics.push(
      diagnostic('warning', Codes.noDeclarations, `No file of the desired state declares ${ctx.observed.slug}: nothing is managed, every app is undeclared.`),
    );
  }
  diagnostics.push(...checkAllowlistingFeature(ctx));

  const targets: AppTarget[] = [];
  for (const decl of ctx.desired.apps) {
    const match = matchDeclaredApp(decl, ctx);
    diagnostics.push(...match.diagnostics);
    if (!match.app) continue;
    const target = appTarget(decl, match.app);
    diagnostics.push(...checkPolicies(target, ctx), ...checkUnblockUnderAllowlisting(target, ctx));
    targets.push(target);
  }

  const revocations: RevocationTarget[] = [];
  for (const decl of ctx.desired.revocations) {
    const check = checkRevocation(decl, ctx);
    diagnostics.push(...check.diagnostics);
    if (check.app && check.diagnostics.length === 0) revocations.push({ decl, app: check.app });
  }

  const undeclared = undeclaredApps(ctx);
  const unmanagedBlocks = ctx.settings.unmanagedApps === 'block' ? undeclared.filter((app) => !app.blocked) : [];
  if (ctx.settings.unmanagedApps === 'report') {
    for (const app of undeclared) {
      diagnostics.push(noteUnmanagedApp(app, ctx));
      const denied = noteDeniedAttempts(app, ctx);
      if (denied) diagnostics.push(denied);
    }
  }

  const drafted = draftActions(ctx, targets, revocations, unmanagedBlocks);
  diagnostics.push(...drafted.diagnostics);
  const ready = deferAfterManualInstall(drafted.drafts, ctx);
  diagnostics.push(...ready.diagnostics);
  const simulated = simulatePlan(ready.drafts, ctx);
  diagnostics.push(...checkGuards(simulated.actions, ctx));
  diagnostics.push(...checkUsernamePasswordFlow(ctx));
  const risk = evaluateRisk(plannedRiskFacts(simulated.actions, simulated.final, ctx), ctx.desired.exceptions ?? []);
  diagnostics.push(...riskDiagnostics(inPlanScope(risk, simulated.actions)));

  // A plan with errors has no actions, so nothing is said about what its actions would do.
  const failed = diagnostics.some((d) => d.severity === 'error');
  if (!failed) diagnostics.push(...simulated.diagnostics, ...notesOnActions(simulated.actions, simulated.final, ctx));
  const actions = failed ? [] : simulated.actions.map(({ action }, i) => ({ ...action, seq: i + 1 }));
  if (input.actor !== undefined) diagnostics.push(...markActorPermissions(input.actor, actions, ctx));
  return { plan: assemble(ctx, actions.map(orderActionKeys), orderDiagnostics(diagnostics)), risk };
}

/**
 * The findings a plan reports: those about what it changes — the apps it acts on, the org when it
 * changes the org settings. A plan is refused for what it does, never for what it leaves as it is
 * (an urgent revocation must not wait for an unrelated finding): `capctl check` reports the rest.
 */
function inPlanScope(risk: RiskReport, actions: readonly SimulatedAction[]): RiskReport {
  const apps = new Set<string>();
  let org = false;
  for (const { action } of actions) {
    if (action.app) apps.add(action.app.name);
    if (action.kind === 'set-org-settings') org = true;
  }
  const findings = risk.findings.filter(({ subject }) => (subject.kind === 'app' ? apps.has(subject.name) : subject.kind === 'org' && org));
  return { ...risk, findings };
}

/** The rules' view of the org as the plan would leave it: its settings and apps after every action. */
function plannedRiskFacts(actions: readonly SimulatedAction[], final: SimulatedOrg, ctx: PlanContext) {
  const unblocks = actions
    .filter(({ action }) => action.kind === 'unblock' && action.app)
    .map(({ action }) => ({ app: action.app!, ...(action.source ? { source: action.source } : {}) }));
  return riskFacts({
    slug: ctx.observed.slug,
    org: final.org,
    apps: final.apps.values(),
    users: ctx.observed.users,
    desired: ctx.input.desired,
    now: ctx.input.now,
    unblocks,
    containments: ctx.input.contained ?? [],
  });
}

/** Notes that depend on the whole plan: what revoked users may do afterwards, what allowlisting cuts off. */
function notesOnActions(actions: readonly SimulatedAction[], final: SimulatedOrg, ctx: PlanContext): Diagnostic[] {
  const notes: Diagnostic[] = [];
  const allowlisting = final.org.settings.adminApprovedAppsOnly;
  for (const { action, draft } of actions) {
    if (action.kind === 'revoke' && draft.revocation && draft.app) {
      const access = ctx.universe().accessOf(final.apps.get(draft.app.id)!, allowlisting);
      const admitted = ctx.universe().countAdmitted(access.users, draft.revocation.doc.users);
      notes.push(noteReauthorization(draft.revocation, admitted, access.label));
    }
    if (action.effects.appsCutOff) notes.push(...noteAllowlistingOn(action, ctx));
  }
  return notes;
}

const actionKeys = ['seq', 'kind', 'app', 'revocation', 'covers', 'reason', 'before', 'after', 'requires', 'allowed', 'missing', 'effects', 'approvalUrl', 'manual', 'source'] as const;

/** The action with its keys in schema order, so that every plan's JSON reads alike. */
function orderActionKeys(action: Action): Action {
  const out: Record<string, unknown> = {};
  for (const key of actionKeys) if (action[key] !== undefined) out[key] = action[key];
  return out as unknown as Action;
}

function assemble(ctx: PlanContext, actions: Action[], diagnostics: Diagnostic[]): Plan {
  const { observed, input } = ctx;
  const plan: Omit<Plan, 'digest'> = {
    formatVersion: planFormatVersion,
    org: { name: observed.slug, id: observed.org.id },
    basis: {
      orgId: observed.org.id,
      storeRevision: input.basis.storeRevision ?? observed.org.revision,
      storeDigest: observed.digest,
      stateDigest: stateDigestOf(observed),
      desiredDigest: input.basis.desiredDigest,
      desiredCommit: input.basis.desiredCommit,
    },
    ...(input.actor !== undefined ? { actor: input.actor } : {}),
    createdAt: input.now.toISOString(),
    actions,
    diagnostics,
    summary: summarize(actions),
  };
  return { ...plan, digest: planDigest(plan) };
}
