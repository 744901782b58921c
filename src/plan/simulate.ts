// Counting what a plan costs: the drafted actions are put in SPEC §6 order and carried out one by
// one on a working copy of the org, through the same transitions apply uses, so that each action's
// effects are those of the state it will actually meet. A revocation that meets no matching
// session (an earlier one ended them) is dropped.
import type { Action, ObservedApp, CutOffApp, Diagnostic, Effects, ObservedOrg } from '../model/index.js';
import { isAllowlisted } from './access.js';
import { actionKinds, transitionApp } from './action-kinds.js';
import { approvalUrl } from './approval-url.js';
import { manualStepOf } from './manual-steps.js';
import type { DraftAction } from './draft-actions.js';
import { byCodePoint } from './names.js';
import { compareOrderKeys } from './ordering.js';
import { requiredFor } from './permissions.js';
import type { PlanContext } from './plan-context.js';
import { noteRevocationCoveredByRevocation } from './rules/revocations.js';
import { revocationMatcher, transitionOrgSettings, useAnyApiClientUsers } from './transition.js';

/** The org as it is after the simulated actions. */
export interface SimulatedOrg {
  org: ObservedOrg;
  apps: Map<string, ObservedApp>;
}

/** An action of the plan together with the draft it came from. */
export interface SimulatedAction {
  action: Action;
  draft: DraftAction;
}

/** Orders the drafts, counts each one's effects, and returns the org they leave behind. */
export function simulatePlan(
  drafts: readonly DraftAction[],
  ctx: PlanContext,
): { actions: SimulatedAction[]; final: SimulatedOrg; diagnostics: Diagnostic[] } {
  const ordered = [...drafts].sort((a, b) => compareOrderKeys(a.order, b.order));
  const state: SimulatedOrg = { org: ctx.observed.org, apps: new Map(ctx.observed.apps.map((app) => [app.id, app])) };
  const useAny = useAnyApiClientUsers(ctx.observed);
  const actions: SimulatedAction[] = [];
  const diagnostics: Diagnostic[] = [];
  const revokedBy = new Map<string, string[]>();
  /** The last revoke action of each app: a later revocation it covers is named on it. */
  const lastRevoke = new Map<string, Action>();

  for (const draft of ordered) {
    const action = skeleton(draft, ctx);
    if (actionKinds[draft.kind].transition.scope === 'org') {
      simulateOrgSettings(action, state, useAny, ctx);
    } else {
      const app = state.apps.get(draft.app!.id)!;
      const allowlisting = state.org.settings.adminApprovedAppsOnly;
      const { app: next, result } = transitionApp(app, action);
      if (draft.kind === 'revoke' && result.sessionsEnded === 0) {
        const earlier = revokedBy.get(app.id) ?? [];
        if (earlier.length > 0 && matchedInOrg(draft)) {
          diagnostics.push(noteRevocationCoveredByRevocation(draft.revocation!, earlier));
          const covering = lastRevoke.get(app.id)!;
          covering.covers = [...(covering.covers ?? []), draft.revocation!.doc.id];
        }
        continue;
      }
      if (draft.kind === 'revoke') {
        revokedBy.set(app.id, [...(revokedBy.get(app.id) ?? []), draft.revocation!.doc.id]);
        lastRevoke.set(app.id, action);
      }
      const before = ctx.universe().accessOf(app, allowlisting);
      const after = ctx.universe().accessOf(next, allowlisting);
      const effects: Effects = {
        sessionsEnded: result.sessionsEnded,
        usersAffected: result.usersAffected,
        accessBefore: before.label,
        accessAfter: after.label,
      };
      const change = ctx.universe().diff(before.users, after.users);
      if (change) Object.assign(effects, change);
      if (draft.kind === 'uninstall') {
        effects.removed = {
          policies: app.policies !== undefined,
          profiles: app.policies?.profiles.length ?? 0,
          permissionSets: app.policies?.permissionSets.length ?? 0,
          sessions: app.sessions.length,
        };
      }
      action.effects = effects;
      state.apps.set(app.id, next);
    }
    actions.push({ action, draft });
  }
  return { actions, final: state, diagnostics };
}

/** The action as drafted, with what it requires; effects are filled in by the simulation. Keys go in schema order. */
function skeleton(draft: DraftAction, ctx: PlanContext): Action {
  const action = { seq: 0, kind: draft.kind } as Action;
  if (draft.app) action.app = { name: draft.app.name, id: draft.app.id };
  if (draft.revocation) {
    const { id, users, issuedBefore, reason } = draft.revocation.doc;
    action.revocation = { id, users: users === 'all' ? 'all' : [...users], issuedBefore, reason };
  }
  if (draft.covers) action.covers = [...draft.covers];
  action.reason = draft.reason;
  if (draft.before) action.before = draft.before;
  if (draft.after) action.after = draft.after;
  action.requires = requiredFor(draft.kind, draft.app?.packaged ?? false);
  action.effects = { sessionsEnded: 0, usersAffected: 0 };
  // An app known only by its name (a live org's uninstalled app) has no id to approve.
  if (draft.kind === 'install' && draft.app!.derivedId !== true) action.approvalUrl = approvalUrl(draft.app!.id, ctx.observed.org.id);
  const manual = manualStepOf(draft.kind, draft.app, ctx.observed);
  if (manual) action.manual = manual;
  if (draft.source) action.source = { file: draft.source.file, line: draft.source.line, column: draft.source.column };
  return action;
}

function simulateOrgSettings(action: Action, state: SimulatedOrg, useAny: ReadonlySet<string>, ctx: PlanContext): void {
  const allowlistingBefore = state.org.settings.adminApprovedAppsOnly;
  const outcome = transitionOrgSettings(state.org, state.apps.values(), action, useAny);
  const allowlistingAfter = outcome.org.settings.adminApprovedAppsOnly;
  const effects: Effects = { sessionsEnded: outcome.result.sessionsEnded, usersAffected: outcome.result.usersAffected };
  if (allowlistingBefore !== allowlistingAfter) {
    Object.assign(effects, allowlistingChange(state, allowlistingAfter, ctx));
    if (allowlistingAfter) {
      const after = new Map(outcome.apps.map((app) => [app.id, app]));
      const cutOff: CutOffApp[] = [];
      for (const app of state.apps.values()) {
        if (app.blocked || isAllowlisted(app)) continue;
        const ended = app.sessions.length - (after.get(app.id)?.sessions.length ?? app.sessions.length);
        cutOff.push({ name: app.name, id: app.id, sessionsEnded: ended });
      }
      effects.appsCutOff = cutOff.sort((a, b) => byCodePoint(a.name, b.name));
    }
  }
  action.effects = effects;
  state.org = outcome.org;
  for (const app of outcome.apps) state.apps.set(app.id, app);
}

/**
 * Users who gain (allowlisting off) or lose (on) access to at least one app. Apps cut off are
 * those neither blocked nor allowlisted: all-users apps (every active user) and uninstalled ones
 * (users who may approve uninstalled apps); users with Use Any API Client keep their access.
 */
function allowlistingChange(state: SimulatedOrg, on: boolean, ctx: PlanContext): { gained: Effects['gained']; lost: Effects['lost'] } | undefined {
  let anyAllUsers = false;
  let anyUninstalled = false;
  for (const app of state.apps.values()) {
    if (app.blocked || isAllowlisted(app)) continue;
    if (app.installed) anyAllUsers = true;
    else anyUninstalled = true;
  }
  if (!anyAllUsers && !anyUninstalled) return undefined;
  const changed = ctx.universe().everyoneBut(anyAllUsers ? 'all' : 'approvers');
  if (changed.count === 0) return undefined;
  const nobody = { count: 0, users: [] };
  return on ? { gained: nobody, lost: changed } : { gained: changed, lost: nobody };
}

/** Whether the org, before the plan, had sessions the revocation matches. */
function matchedInOrg(draft: DraftAction): boolean {
  const { users, issuedBefore } = draft.revocation!.doc;
  return draft.app!.sessions.some(revocationMatcher(users, issuedBefore));
}
