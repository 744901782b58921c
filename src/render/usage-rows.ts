// The data of the usage page (SPEC §9, the seed's Connected Apps OAuth Usage page), computed from
// an org snapshot one app at a time so that the page can be printed as it is computed. Pure.
// Username-password sessions are one-time tokens the page does not show (R10): they are left out
// of every count here and only counted apart.
import type { AppDoc, ObservedApp, OauthFlow, OrgSnapshot, UsageAccess, UsageAppRow, UsageTotals, UserUsage } from '../model/index.js';
import { UserUniverse } from '../plan/user-sets.js';
import { byCodePoint } from '../plan/names.js';

/** The flow the usage page never shows (R10). */
export const hiddenFlow: OauthFlow = 'username-password';

/** What every row of one org's page needs: computed once per snapshot. */
export interface UsageContext {
  allowlisting: boolean;
  universe: UserUniverse;
  /** Effective access by what decides it: many apps share one assignment (10,000 apps, a few dozen assignments). */
  accessByKey: Map<string, UsageAccess>;
}

/** Builds the per-snapshot context of the usage page. */
export function usageContext(snapshot: Pick<OrgSnapshot, 'org' | 'users'>): UsageContext {
  return { allowlisting: snapshot.org.settings.adminApprovedAppsOnly, universe: new UserUniverse(snapshot.users), accessByKey: new Map() };
}

/** The effective access of an app, as the usage page shows it. */
export function usageAccess(app: ObservedApp, context: UsageContext): UsageAccess {
  const p = app.policies;
  const key = `${app.installed}\u0001${app.blocked}\u0001${p ? `${p.permittedUsers}\u0001${p.profiles.join('\u0000')}\u0001${p.permissionSets.join('\u0000')}` : ''}`;
  let access = context.accessByKey.get(key);
  if (access === undefined) {
    const computed = context.universe.accessOf(app, context.allowlisting);
    access = { kind: computed.kind, label: computed.label, users: context.universe.sizeOf(computed.users) };
    context.accessByKey.set(key, access);
  }
  return access;
}

/** Who answers for an app, as its declaration says: only the fields it declares (blank ones are not). */
export type UsageOwnership = Pick<UsageAppRow, 'owner' | 'vendor' | 'criticality'>;

/** The fields of UsageOwnership, in the order the page shows them. */
export const ownershipFields = ['owner', 'vendor', 'criticality'] as const;

/** The owner, vendor and criticality of the declared apps, by app name (the name is the app's label in the org). */
export function usageOwnership(declared: readonly Pick<AppDoc, 'name' | 'owner' | 'vendor' | 'criticality'>[]): Map<string, UsageOwnership> {
  const byName = new Map<string, UsageOwnership>();
  for (const doc of declared) {
    const owner = doc.owner?.trim() ? doc.owner : undefined;
    const vendor = doc.vendor?.trim() ? doc.vendor : undefined;
    const ownership: UsageOwnership = { ...(owner ? { owner } : {}), ...(vendor ? { vendor } : {}), ...(doc.criticality ? { criticality: doc.criticality } : {}) };
    if (Object.keys(ownership).length > 0) byName.set(doc.name, ownership);
  }
  return byName;
}

/** One row of the page: linear in the app's sessions. `ownership`: what the app's declaration says about who answers for it. */
export function usageAppRow(app: ObservedApp, access: UsageAccess, ownership?: UsageOwnership): UsageAppRow {
  const users = new Set<string>();
  let sessions = 0;
  for (const session of app.sessions) {
    if (session.flow === hiddenFlow) continue;
    sessions++;
    users.add(session.user);
  }
  return {
    name: app.name,
    id: app.id,
    type: app.type,
    packaged: app.packaged,
    installed: app.installed,
    blocked: app.blocked,
    access,
    users: users.size,
    sessions,
    deniedAttempts: app.deniedAttempts,
    ...ownership,
  };
}

/** Totals of the page, added up as rows are produced. */
export class UsageTotalsCounter {
  private readonly users = new Set<string>();
  private readonly totals: UsageTotals = { apps: 0, installed: 0, blocked: 0, users: 0, sessions: 0, usernamePasswordSessionsHidden: 0 };
  private unknownFlow = 0;

  /** Counts one app (with its row, already computed). */
  add(app: ObservedApp, row: UsageAppRow): void {
    this.totals.apps++;
    if (app.installed) this.totals.installed++;
    if (app.blocked) this.totals.blocked++;
    this.totals.sessions += row.sessions;
    for (const session of app.sessions) {
      if (session.flow === hiddenFlow) this.totals.usernamePasswordSessionsHidden++;
      else this.users.add(session.user);
      if (session.flow === 'unknown') this.unknownFlow++;
    }
  }

  /** The totals so far; `unknownFlowSessions` only when some session's flow is not known (a live org). */
  result(): UsageTotals {
    return { ...this.totals, users: this.users.size, ...(this.unknownFlow > 0 ? { unknownFlowSessions: this.unknownFlow } : {}) };
  }
}

/** How many of an app's sessions have a flow the org does not show (a live org). */
export function unknownFlowCount(app: ObservedApp): number {
  let unknown = 0;
  for (const session of app.sessions) if (session.flow === 'unknown') unknown++;
  return unknown;
}

/** The users of one app, sorted by username, and how many username-password sessions are not shown. */
export function appUserUsage(app: ObservedApp): { users: UserUsage[]; hidden: number } {
  const byUser = new Map<string, { first: string; last: string; uses: number; sessions: number; flows: Set<OauthFlow> }>();
  let hidden = 0;
  for (const session of app.sessions) {
    if (session.flow === hiddenFlow) {
      hidden++;
      continue;
    }
    const seen = byUser.get(session.user);
    if (seen === undefined) {
      byUser.set(session.user, { first: session.created, last: session.lastUsed, uses: session.useCount, sessions: 1, flows: new Set([session.flow]) });
      continue;
    }
    if (compareInstants(session.created, seen.first) < 0) seen.first = session.created;
    if (compareInstants(session.lastUsed, seen.last) > 0) seen.last = session.lastUsed;
    seen.uses += session.useCount;
    seen.sessions++;
    seen.flows.add(session.flow);
  }
  const users = [...byUser.entries()]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([username, u]) => ({ username, firstUsed: u.first, lastUsed: u.last, totalUses: u.uses, sessions: u.sessions, flows: [...u.flows].sort() }));
  return { users, hidden };
}

/**
 * Orders two RFC 3339 instants. Instants in UTC with the same shape (the store's own) compare as
 * text; others (offsets, fractions of different length) by their time value.
 */
export function compareInstants(a: string, b: string): number {
  if (a.length === b.length && a.endsWith('Z') && b.endsWith('Z')) return byCodePoint(a, b);
  return Date.parse(a) - Date.parse(b);
}
