// The checks an apply makes before anything changes (SPEC §8): the plan is intact and for this org,
// the actor exists and is active, the store is still where the plan was made (or where an
// interrupted apply of the same plan stopped), every action names an app the org lists, a saved
// plan is what the reviewed desired state gives (assert-reviewed.ts), and the actor holds every
// permission the remaining actions need. Pure: the caller reads the snapshot and the ledger under
// the org's lock.
import {
  Codes,
  InputError,
  RefusedError,
  StalePlanError,
  type Action,
  type Diagnostic,
  type LedgerLine,
  type LedgerRecord,
  type OrgSnapshot,
  type Plan,
  type Values,
} from '../model/index.js';
import { canonicalJson, planDigest, stateDigestOf } from '../plan/digest.js';
import { missingFor, renderPermissionExpr, requiredFor } from '../plan/permissions.js';
import { renderAppliedAction, renderValue } from '../render/applied-action.js';
import { assertDesiredDigest, assertReplanned, type ReviewedDesired } from './assert-reviewed.js';
import { isObservedLine, storeRevision, trailingLinesOfPlan } from '../store/ledger-chain.js';
import { manualStepDone, sameApartFrom } from './manual-steps-done.js';
import { count } from '../plan/count.js';
import { actionName } from '../plan/action-kinds.js';

/** Where an apply starts: what an earlier run of the same plan did, and what is left. */
export interface StartPoint {
  /** Who applies: the actor given, or on a live org the connected user. */
  actor: string;
  /** The manual steps among `remaining` that the org shows done by hand: recorded, not carried out. */
  doneByHand: Action[];
  /** The state the plan's start was proven against: the snapshot, or (manual steps done since) the state folder as last recorded. */
  base: OrgSnapshot;
  /** This plan's ledger lines from an interrupted (or finished) earlier run, in ledger order (one done ahead of its turn is marked `aheadOf`). */
  resumed: LedgerLine[];
  /** The actions still to carry out, in plan order (without those done ahead of their turn). */
  remaining: Action[];
  /** Whether this run is the apply's first (it bumps the store revision with its first action). */
  firstRun: boolean;
}

function refusal(code: string, message: string): Diagnostic {
  return { severity: 'error', code, message };
}

/** Refuses a plan whose content no longer matches its digest (edited after it was saved). */
export function assertPlanIntact(plan: Plan, file: string): void {
  const expected = planDigest(plan);
  if (expected !== plan.digest) {
    const message = `${file} was altered after it was made: its digest is ${plan.digest}, but its content hashes to ${expected}. Make a new plan with \`capctl plan --out\`.`;
    throw new RefusedError(message);
  }
}

/**
 * Runs every check; returns where the apply starts, or throws RefusedError (exit 3) / InputError
 * (exit 1). With `desired` (a saved plan's apply), the plan must be what that desired state gives.
 */
export function preflight(input: {
  plan: Plan;
  snapshot: OrgSnapshot;
  ledger: readonly LedgerRecord[];
  /** Absent on a live org: the connected user. */
  actor?: string | undefined;
  desired?: ReviewedDesired;
  /** A live org's state folder, as the ledger last recorded it (see startPastManualSteps). */
  stored?: OrgSnapshot | undefined;
}): StartPoint {
  const { plan, snapshot, ledger, desired } = input;
  if (plan.diagnostics.some((d) => d.severity === 'error')) {
    throw new InputError('the plan has errors and nothing to apply: fix the desired state and plan again');
  }
  if (plan.org.name !== snapshot.slug || plan.org.id !== snapshot.org.id || plan.basis.orgId !== snapshot.org.id) {
    const message = `the plan is for org ${plan.org.name} (${plan.org.id}), not ${snapshot.slug} (${snapshot.org.id})`;
    throw new RefusedError(message);
  }
  const actor = actorOf(input.actor, snapshot);
  const user = snapshot.users.find((u) => u.username === actor);
  if (!user) {
    const message = `actor ${actor} is not a user of ${snapshot.slug}`;
    throw new RefusedError(message);
  }
  if (!user.active) {
    const message = `actor ${actor} is not an active user of ${snapshot.slug}`;
    throw new RefusedError(message);
  }
  if (desired) assertDesiredDigest(plan, desired);
  const found = startOrPastManualSteps(plan, snapshot, ledger, desired !== undefined, input.stored);
  const doneByHand = found.remaining.filter((a) => manualStepDone(a, snapshot));
  const byHand = new Set(doneByHand);
  const carriedOut = found.remaining.filter((a) => !byHand.has(a));
  assertListedApps(carriedOut, snapshot);
  // Resumed, the store is where the plan's done actions left it: planned again, it gives the rest
  // (steps done by hand are no longer planned; what waited for their install is not yet this plan's).
  if (desired) assertReplanned(plan, carriedOut, snapshot, desired, waitingFor(doneByHand));
  // A manual step too: the actor answers for it in the ledger (and the plan said what it needs).
  assertPermissions(found.remaining, snapshot, new Set(user.permissions), actor);
  return { ...found, actor, doneByHand };
}

/**
 * The actor: the one given; on a live org the connected user, and one given must be that user
 * (SPEC §13: capctl reads its permissions from the org, and acts with them).
 */
function actorOf(given: string | undefined, snapshot: OrgSnapshot): string {
  const connected = snapshot.live?.connectedUser;
  if (connected === undefined) {
    if (given === undefined || given === '') throw new InputError('apply needs the user it runs as: --actor USERNAME, or CAPCTL_ACTOR');
    return given;
  }
  if (given !== undefined && given !== connected) {
    throw new RefusedError(
      `--actor ${given} is not the connected user: on the connected org ${snapshot.slug} capctl acts as the user its connection is logged in as, ${connected}, with that user's permissions; ` +
        `leave --actor (and CAPCTL_ACTOR) out, or connect as ${given}. Nothing was applied`,
    );
  }
  return connected;
}

/** The apps whose policies and assignments a done manual install let in (the plan left them to the next plan). */
function waitingFor(doneByHand: readonly Action[]): ReadonlySet<string> {
  return new Set(doneByHand.filter((a) => a.kind === 'install').map((a) => a.app!.name));
}

/**
 * Where the apply starts. On a live org whose plan has manual steps that the org shows done since
 * the ledger's last line, the snapshot is stale by exactly those: if the org, their apps and
 * sessions apart, is the state folder as the ledger last recorded it, the start is proven against
 * that folder instead, and the steps are recorded as done by hand (SPEC §13: a manual step once
 * done does not make the plan stale).
 */
function startOrPastManualSteps(plan: Plan, snapshot: OrgSnapshot, ledger: readonly LedgerRecord[], replanned: boolean, stored: OrgSnapshot | undefined): Omit<StartPoint, 'actor' | 'doneByHand'> {
  try {
    return { ...startPoint(plan, snapshot, ledger, replanned), base: snapshot };
  } catch (error) {
    if (!(error instanceof StalePlanError) || !snapshot.live || !stored) throw error;
    const last = ledger.at(-1);
    if (last !== undefined && last.result.storeDigest !== stored.digest) throw error;
    const names = new Set(plan.actions.filter((a) => manualStepDone(a, snapshot) && !manualStepDone(a, stored)).map((a) => a.app!.name));
    if (names.size === 0 || !sameApartFrom(stored, snapshot, names)) throw error;
    try {
      return { ...startPoint(plan, stored, ledger, replanned), base: stored };
    } catch {
      throw error;
    }
  }
}

/** At the basis: a fresh apply. Else where an interrupted apply of this plan stopped (actionsDoneBy), or refused as stale. */
function startPoint(plan: Plan, snapshot: OrgSnapshot, ledger: readonly LedgerRecord[], replanned: boolean): Omit<StartPoint, 'actor' | 'doneByHand' | 'base'> {
  if (storeRevision(snapshot.org.revision, ledger) === plan.basis.storeRevision) {
    if (snapshot.digest === plan.basis.storeDigest) return { resumed: [], remaining: plan.actions, firstRun: true };
    // The store moved, but only its sessions (the state digest is the basis's) and no apply ran
    // since (same revision, no line of an apply after the basis): sessions came or went (SPEC §7). A saved plan then
    // stands if planning its reviewed desired state again gives the same actions (assertReplanned,
    // which also checks the guards on the counts of now); apply counts the sessions again.
    const relied = plan.basis.stateDigest;
    if (replanned && relied !== undefined && stateDigestOf(snapshot) === relied && !appliedSince(plan, ledger)) {
      return { resumed: [], remaining: plan.actions, firstRun: true };
    }
  }
  // Sessions that ended since the last action done (recorded by an observed line naming no other
  // change: a live org's revocation interrupted part way) do not make the plan stale (SPEC §7).
  const done = trailingLinesOfPlanAmidSessions(ledger, plan.digest);
  const last = ledger.at(-1);
  if (done.length > 0 && last && last.result.storeDigest === snapshot.digest && done.length <= plan.actions.length) {
    const carriedOut = actionsDoneBy(plan, done);
    if (carriedOut) return { resumed: done, remaining: plan.actions.filter((_, i) => !carriedOut.has(i)), firstRun: false };
  }
  throw new StalePlanError(describeStoreChanges(plan, snapshot, ledger));
}

/**
 * The plan's actions (their indexes) that its lines, in ledger order, did; undefined when they are
 * not a run of it. Each line is the plan's first action not done before it, or, marked `aheadOf`
 * that action, a later one the org saved in the same call while it did not carry that one out (a
 * live org's metadata call saves each item on its own): each action once, none skipped otherwise.
 */
function actionsDoneBy(plan: Plan, lines: readonly LedgerLine[]): Set<number> | undefined {
  const done = new Set<number>();
  let next = 0; // the first action not done
  for (const line of lines) {
    const first = plan.actions[next];
    if (first === undefined) return undefined;
    const ahead = line.result.aheadOf;
    if (ahead !== undefined && ahead !== first.seq) return undefined;
    const at = ahead === undefined ? next : plan.actions.findIndex((a, i) => i > next && a.seq === line.action.seq);
    if (at < 0 || done.has(at) || canonicalJson(line.action) !== canonicalJson(plan.actions[at])) return undefined;
    done.add(at);
    while (done.has(next)) next += 1;
  }
  return done;
}

/**
 * The plan's lines at the ledger's end, past observed lines among them that name only sessions
 * ending or starting (a live revocation interrupted part way, recorded as what it did).
 */
function trailingLinesOfPlanAmidSessions(ledger: readonly LedgerRecord[], planDigest: string): LedgerLine[] {
  let start = ledger.length;
  while (start > 0) {
    const line = ledger[start - 1]!;
    const fits = isObservedLine(line) ? line.observed.named && line.observed.changes.length === 0 : line.plan === planDigest;
    if (!fits) break;
    start--;
  }
  return trailingLinesOfPlan(ledger.slice(start).filter((l) => !isObservedLine(l)), planDigest);
}

/** Refuses a plan with an action on an app the org does not list (by id), or lists by another name. */
function assertListedApps(actions: readonly Action[], snapshot: OrgSnapshot): void {
  const names = new Map(snapshot.apps.map((a) => [a.id, a.name]));
  for (const action of actions) {
    if (!action.app) continue;
    const listed = names.get(action.app.id);
    if (listed === action.app.name) continue;
    const listing = listed === undefined ? 'does not list that app' : `lists that id as "${listed}"`;
    throw new RefusedError(
      `action ${action.seq} (${action.kind} ${action.app.name}) is on app ${action.app.id}, but ${snapshot.slug} ${listing}: nothing was applied; make a new plan`,
    );
  }
}

/** Defined with the rest of the error family in model/errors.ts. */
export { StalePlanError };

/** The line for a change that neither the ledger nor the plan's values explain. */
export const changedOutsideCapctl =
  'no apply recorded the change and no value the plan was made from differs: the store was changed outside capctl (see `capctl drift`)';

/** The ledger lines after a plan's basis (the last line that recorded its digest; without one, those written after it was made). */
function linesSince(plan: Plan, ledger: readonly LedgerRecord[]): readonly LedgerRecord[] {
  const basisAt = ledger.findLastIndex((l) => l.result.storeDigest === plan.basis.storeDigest);
  return basisAt >= 0 ? ledger.slice(basisAt + 1) : ledger.filter((l) => l.at > plan.createdAt);
}

/** Whether an apply (of any plan) wrote a ledger line since the plan's basis. */
function appliedSince(plan: Plan, ledger: readonly LedgerRecord[]): boolean {
  return linesSince(plan, ledger).some((l) => !isObservedLine(l));
}

/** What changed since a plan was made: revision, applies since, and the planned-from values that no longer hold. */
export function describeStoreChanges(plan: Plan, snapshot: OrgSnapshot, ledger: readonly LedgerRecord[]): string[] {
  const out: string[] = [];
  const revision = storeRevision(snapshot.org.revision, ledger);
  if (revision !== plan.basis.storeRevision) {
    out.push(`store revision was ${plan.basis.storeRevision} when the plan was made, it is ${revision} now`);
  }
  out.push(`store digest was ${plan.basis.storeDigest}, it is ${snapshot.digest} now`);
  const since = linesSince(plan, ledger);
  const shown = 20;
  for (const line of since.slice(0, shown)) {
    const what = isObservedLine(line) ? 'changes made outside capctl, recorded by a refresh' : renderAppliedAction(line.action, line.result);
    out.push(`${isObservedLine(line) ? 'recorded' : 'applied'} since (ledger line ${line.seq}, ${line.at}, by ${line.actor}): ${what}`);
  }
  if (since.length > shown) out.push(`… and ${since.length - shown} more ledger lines since`);
  const changed = changedValues(plan.actions, snapshot);
  out.push(...changed.slice(0, shown));
  if (changed.length > shown) out.push(`… and ${changed.length - shown} more values changed`);
  if (since.length === 0 && changed.length === 0) out.push(changedOutsideCapctl);
  return out;
}

/** The current values an action's `before` was planned from, for the keys it names. */
function currentValues(action: Action, snapshot: OrgSnapshot): Values | undefined {
  if (action.kind === 'set-org-settings') {
    return { adminApprovedAppsOnly: snapshot.org.settings.adminApprovedAppsOnly, oauthFlows: { ...snapshot.org.settings.oauthFlows } };
  }
  const app = snapshot.apps.find((a) => a.id === action.app?.id);
  if (!app) return undefined;
  return { installed: app.installed, blocked: app.blocked, ...(app.policies ?? {}) };
}

/**
 * The values a plan was made from that no longer hold. An action's `before` is what the store had
 * only for the keys no earlier action of the plan on the same app (or the org settings) changes,
 * and only until the plan installs or uninstalls the app (which resets its policies).
 */
function changedValues(actions: readonly Action[], snapshot: OrgSnapshot): string[] {
  const out: string[] = [];
  const changedByPlan = new Map<string, Set<string>>();
  const reset = new Set<string>();
  for (const action of actions) {
    const target = action.app?.id ?? '(org)';
    if (reset.has(target)) continue;
    const subject = action.app ? action.app.name : 'org settings';
    const now = currentValues(action, snapshot);
    if (!now) {
      out.push(`${subject}: the org no longer lists app ${action.app?.id ?? '?'}`);
      reset.add(target);
      continue;
    }
    const changed = changedByPlan.get(target) ?? new Set<string>();
    for (const [key, planned] of Object.entries(action.before ?? {})) {
      if (changed.has(key)) continue;
      let current = now[key];
      // Compare only the members the plan named (oauthFlows lists only what it changes).
      if (planned && typeof planned === 'object' && !Array.isArray(planned) && current && typeof current === 'object' && !Array.isArray(current)) {
        current = Object.fromEntries(Object.keys(planned).map((k) => [k, (current as Record<string, boolean | undefined>)[k]]));
      }
      if (canonicalJson(planned) !== canonicalJson(current)) {
        out.push(`${subject}: ${key} was ${renderValue(planned)} when planned, is ${renderValue(current)} now`);
      }
    }
    for (const key of Object.keys(action.after ?? {})) changed.add(key);
    changedByPlan.set(target, changed);
    if (action.kind === 'install' || action.kind === 'uninstall') reset.add(target);
  }
  return out;
}

/**
 * Refuses the apply when the actor lacks any permission of any remaining action, listing each such
 * action and what it lacks. The requirement is checked as the plan states it and as this version
 * of capctl derives it from the action and the app (packaged apps also need InstallPackaging).
 */
function assertPermissions(actions: readonly Action[], snapshot: OrgSnapshot, held: ReadonlySet<string>, actor: string): void {
  const lacking: { action: Action; missing: string[] }[] = [];
  const packagedIds = new Set(snapshot.apps.filter((a) => a.packaged).map((a) => a.id)); // not a search of every app per action
  for (const action of actions) {
    const packaged = action.app !== undefined && packagedIds.has(action.app.id);
    const derived = requiredFor(action.kind, packaged);
    const missing = [...new Set([...missingFor(action.requires, held), ...missingFor(derived, held)])];
    if (missing.length > 0) lacking.push({ action, missing });
  }
  if (lacking.length === 0) return;
  const describe = (a: Action) => `action ${a.seq} (${actionName(a)})`;
  const message = `apply refused: ${actor} lacks permissions for ${lacking.length} of ${count(actions.length, 'action')}; nothing was applied`;
  throw new RefusedError(
    message,
    lacking.map((l) =>
      refusal(Codes.applyLacksPermissions, `${describe(l.action)} needs ${renderPermissionExpr(l.action.requires)}: ${actor} lacks ${l.missing.join(', ')}`),
    ),
  );
}
