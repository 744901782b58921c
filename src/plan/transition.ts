// What each kind of action does to an org (SPEC §5, §6): the single definition shared by the planner,
// which simulates a plan to count its effects, and by apply, which carries actions out through the
// store. action-kinds.ts names each kind's transition; transitionOf there carries one out.
// Pure: a new value is returned and the input is never changed; only the affected app is copied.
import { TransitionError, type Action, type ActionResult, type ObservedApp, type ObservedPolicies, type ObservedOrg, type OrgSnapshot, type Session } from '../model/index.js';
import { isAllowlisted } from './access.js';
import { byCodePoint } from './names.js';

/** The parts of an org that actions change: a snapshot without its slug and digest. */
export type OrgData = Pick<OrgSnapshot, 'org' | 'users' | 'apps'>;

/** What an action did, in the past tense (the store adds the files and its digest). */
export type TransitionResult = Pick<ActionResult, 'status' | 'sessionsEnded' | 'usersAffected'>;

/** An action carried out on org data: the next data, what it did, and which store files changed. */
export interface Transition {
  next: OrgData;
  result: TransitionResult;
  /** Whether org.json changed, and the ids of the apps whose files changed. */
  changed: { org: boolean; apps: string[] };
}

/** Defined with the rest of the error family in model/errors.ts. */
export { TransitionError };

/** The policies an app gets when it is installed (SPEC §3 defaults); later actions change them. */
export function installDefaults(): ObservedPolicies {
  return { permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' };
}

/** An app action carried out on that app alone: the app after it, and what it did. */
export type AppTransition = (app: ObservedApp, action: Action) => { app: ObservedApp; result: TransitionResult };

/** Turning allowlisting on or off and changing the OAuth flow settings: org.json and, for allowlisting on, the apps it cuts off. */
export function applyOrgSettings(data: OrgData, action: Action): Transition {
  const outcome = transitionOrgSettings(data.org, data.apps, action, useAnyApiClientUsers(data));
  if (outcome.result.status === 'skipped') return { next: data, result: outcome.result, changed: { org: false, apps: [] } };
  const replaced = new Map(outcome.apps.map((app) => [app.id, app]));
  const apps = replaced.size === 0 ? data.apps : data.apps.map((app) => replaced.get(app.id) ?? app);
  return {
    next: { ...data, org: outcome.org, apps },
    result: outcome.result,
    changed: { org: outcome.orgChanged, apps: [...replaced.keys()].sort() },
  };
}

/** Install: the org gets its local copy, with the default policies. */
export function installApp(app: ObservedApp): { app: ObservedApp; result: TransitionResult } {
  if (app.installed) return unchanged(app);
  return { app: { ...app, installed: true, policies: installDefaults() }, result: done('installed') };
}

/** Uninstall: the local copy goes, with its policies, assignments and sessions (R6). */
export function uninstallApp(app: ObservedApp): { app: ObservedApp; result: TransitionResult } {
  if (!app.installed) return unchanged(app);
  const { policies: _policies, ...rest } = app;
  return { app: { ...rest, installed: false, sessions: [] }, result: ended('uninstalled', app.sessions) };
}

/** set-policies: permittedUsers, ipRelaxation, refreshTokenPolicy. */
export function setPolicies(app: ObservedApp, action: Action): { app: ObservedApp; result: TransitionResult } {
  const after = action.after ?? {};
  const values: Partial<ObservedPolicies> = {};
  if (after.permittedUsers === 'all-users' || after.permittedUsers === 'admin-approved') values.permittedUsers = after.permittedUsers;
  if (typeof after.ipRelaxation === 'string') values.ipRelaxation = after.ipRelaxation as ObservedPolicies['ipRelaxation'];
  if (typeof after.refreshTokenPolicy === 'string') values.refreshTokenPolicy = after.refreshTokenPolicy;
  return updatePolicies(app, action, values);
}

/** set-assignments: the profiles and permission sets pre-authorized; name lists are kept sorted, as the store keeps them. */
export function setAssignments(app: ObservedApp, action: Action): { app: ObservedApp; result: TransitionResult } {
  const after = action.after ?? {};
  const values: Partial<ObservedPolicies> = {};
  if (Array.isArray(after.profiles)) values.profiles = [...after.profiles].sort(byCodePoint);
  if (Array.isArray(after.permissionSets)) values.permissionSets = [...after.permissionSets].sort(byCodePoint);
  return updatePolicies(app, action, values);
}

/** Block: all current sessions end, and new ones are refused (R1). */
export function blockApp(app: ObservedApp): { app: ObservedApp; result: TransitionResult } {
  if (app.blocked) return unchanged(app);
  return { app: { ...app, blocked: true, sessions: [] }, result: ended('blocked', app.sessions) };
}

/** Unblock: no session changes. */
export function unblockApp(app: ObservedApp): { app: ObservedApp; result: TransitionResult } {
  if (!app.blocked) return unchanged(app);
  return { app: { ...app, blocked: false }, result: done('unblocked') };
}

/** Revoke: the sessions the revocation matches end, and nothing else (R9). */
export function revokeSessions(app: ObservedApp, action: Action): { app: ObservedApp; result: TransitionResult } {
  const revocation = action.revocation;
  if (!revocation) throw new TransitionError(`revoke on ${app.name}: the action names no revocation`);
  const { kept, ended: gone } = splitSessions(app.sessions, revocationMatcher(revocation.users, revocation.issuedBefore));
  if (gone.length === 0) return unchanged(app);
  return { app: { ...app, sessions: kept }, result: ended('revoked', gone) };
}

/**
 * Carries out a set-org-settings action. Turning allowlisting on ends, on every app that is not
 * blocked and not allowlisted, the sessions of users without Use Any API Client; `apps` are only
 * the apps whose sessions changed.
 */
export function transitionOrgSettings(
  org: ObservedOrg,
  apps: Iterable<ObservedApp>,
  action: Action,
  useAnyApiClient: ReadonlySet<string>,
): { org: ObservedOrg; orgChanged: boolean; apps: ObservedApp[]; result: TransitionResult } {
  const after = action.after ?? {};
  const settings = { ...org.settings, oauthFlows: { ...org.settings.oauthFlows } };
  if (typeof after.adminApprovedAppsOnly === 'boolean') settings.adminApprovedAppsOnly = after.adminApprovedAppsOnly;
  const flows = after.oauthFlows;
  if (flows && typeof flows === 'object' && !Array.isArray(flows)) {
    for (const key of ['blockUsernamePassword', 'blockUserAgent', 'allowAuthorizationCodeAndCredentials'] as const) {
      const value = flows[key];
      if (typeof value === 'boolean') settings.oauthFlows[key] = value;
    }
  }
  const orgChanged =
    settings.adminApprovedAppsOnly !== org.settings.adminApprovedAppsOnly ||
    Object.entries(settings.oauthFlows).some(([key, value]) => org.settings.oauthFlows[key as keyof typeof settings.oauthFlows] !== value);
  if (!orgChanged) return { org, orgChanged: false, apps: [], result: skipped() };

  const changedApps: ObservedApp[] = [];
  const gone: Session[] = [];
  if (settings.adminApprovedAppsOnly && !org.settings.adminApprovedAppsOnly) {
    for (const app of apps) {
      if (app.blocked || isAllowlisted(app)) continue;
      const split = splitSessions(app.sessions, (s) => !useAnyApiClient.has(s.user));
      if (split.ended.length === 0) continue;
      changedApps.push({ ...app, sessions: split.kept });
      gone.push(...split.ended);
    }
  }
  return { org: { ...org, settings }, orgChanged, apps: changedApps, result: ended('updated', gone) };
}

/** The usernames that hold Use Any API Client (active or not: a session is ended by what its user holds). */
export function useAnyApiClientUsers(data: Pick<OrgData, 'users'>): Set<string> {
  return new Set(data.users.filter((u) => u.permissions.includes('UseAnyApiClient')).map((u) => u.username));
}

/** A test for the sessions a revocation ends: of the named users (or all), created before the cutoff. */
export function revocationMatcher(users: 'all' | readonly string[], issuedBefore: string): (session: Session) => boolean {
  const cutoff = Date.parse(issuedBefore);
  const named = users === 'all' ? undefined : new Set(users);
  return (session) => (named === undefined || named.has(session.user)) && Date.parse(session.created) < cutoff;
}

function splitSessions(sessions: readonly Session[], ends: (session: Session) => boolean): { kept: Session[]; ended: Session[] } {
  const kept: Session[] = [];
  const gone: Session[] = [];
  for (const session of sessions) (ends(session) ? gone : kept).push(session);
  return { kept, ended: gone };
}

function updatePolicies(app: ObservedApp, action: Action, values: Partial<ObservedPolicies>): { app: ObservedApp; result: TransitionResult } {
  if (!app.installed || !app.policies) throw new TransitionError(`${action.kind} on ${app.name}: the app is not installed`);
  const next = { ...app.policies, ...values };
  if (samePolicies(app.policies, next)) return unchanged(app);
  return { app: { ...app, policies: next }, result: done('updated') };
}

function samePolicies(a: ObservedPolicies, b: ObservedPolicies): boolean {
  return (
    a.permittedUsers === b.permittedUsers &&
    a.ipRelaxation === b.ipRelaxation &&
    a.refreshTokenPolicy === b.refreshTokenPolicy &&
    sameList(a.profiles, b.profiles) &&
    sameList(a.permissionSets, b.permissionSets)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function unchanged(app: ObservedApp): { app: ObservedApp; result: TransitionResult } {
  return { app, result: skipped() };
}

function skipped(): TransitionResult {
  return { status: 'skipped', sessionsEnded: 0, usersAffected: 0 };
}

function done(status: TransitionResult['status']): TransitionResult {
  return { status, sessionsEnded: 0, usersAffected: 0 };
}

function ended(status: TransitionResult['status'], sessions: readonly Session[]): TransitionResult {
  return { status, sessionsEnded: sessions.length, usersAffected: new Set(sessions.map((s) => s.user)).size };
}
