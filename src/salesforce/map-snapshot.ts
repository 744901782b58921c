// API records → the store's snapshot model (src/model: ObservedOrg, OrgUser, ObservedApp), the one place
// that knows how Salesforce's objects become capctl's. Pure: the records come in, a snapshot (and
// what could not be mapped, as warnings) goes out. What no API shows is not invented: a session's
// flow is `unknown`, denied attempts are null, an uninstalled app without tokens or a block is not
// listed. Orders follow the file store: users by username, apps by name, sessions by creation;
// the org's profiles and permission sets in the org's own (Id) order. Objects are built with their
// keys in sorted order, as the store's JSON has them, so that formatting a million sessions (the
// digest, the state files) copies none of them.
import type { ObservedApp, IpRelaxation, ObservedPolicies, ObservedOrg, OrgUser, Permission, PermittedUsers, Session } from '../model/index.js';
import { connectedAppRefreshCodec, enumCodec, externalClientAppRefreshCodec } from '../metadata/field-map.js';
import type { SfRecord } from './client.js';
import { derivedAppId } from './derived-id.js';
import type { KeptSessions } from './oauth-tokens.js';
import * as U from './unconfirmed.js';
import { count } from '../plan/count.js';
import { byCodePoint } from '../plan/names.js';

/** Everything one read of an org brought back, as the API answered it. */
export interface LiveRecords {
  organization: SfRecord;
  permissionSets: SfRecord[];
  users: SfRecord[];
  assignments: SfRecord[];
  connectedApps: SfRecord[];
  menuItems: SfRecord[];
  externalClientApps: SfRecord[];
  setupEntityAccess: SfRecord[];
  /** ConnectedApp metadata (oauthPolicy, oauthConfig), by ConnectedApplication.Id. */
  connectedAppMetadata: Map<string, SfRecord>;
  externalClientAppPolicies: SfRecord[];
  blocks: SfRecord[];
  connectedAppSettings: SfRecord | undefined;
  oauthOidcSettings: SfRecord | undefined;
  /** Names of profiles and permission sets (by PermissionSet.Name) that hold CanApproveUninstalledApps. */
  canApprove: { profiles: Set<string>; permissionSets: Set<string> };
  /** The tokens read (with `kept`, every token of the org). */
  tokens: SfRecord[];
  /**
   * Sessions the last read mapped and that have not moved since (oauth-tokens.ts
   * finishTokensSinceLastRead proved it): kept as the store holds them rather than read and mapped
   * again. Apply's executors take them as token rows by app (app-tokens.ts AppTokens).
   */
  kept?: readonly KeptSessions[];
}

/** The snapshot's content (the digest is computed by the reader) and what could not be mapped. */
export interface MappedSnapshot {
  org: ObservedOrg;
  users: OrgUser[];
  apps: ObservedApp[];
  warnings: string[];
}

const fieldPermissions: Permission[] = ['ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ModifyAllData', 'ManageRemoteAccess', 'InstallPackaging', 'UseAnyApiClient'];
/** A user's permissions are listed in the order of SPEC §4's table (the schema's Permission enum). */
const permissionOrder: Permission[] = ['ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ModifyAllData', 'ManageRemoteAccess', 'InstallPackaging', 'CanApproveUninstalledApps', 'UseAnyApiClient'];
const ipRelaxationCodec = enumCodec<IpRelaxation>('ipRelaxation', (['ENFORCE', 'BYPASS_2FACTOR', 'BYPASS', 'ENFORCE_RELAXREFRESH'] as const).map((v) => [v, v] as const));
const ecaIpCodec = enumCodec<IpRelaxation>('ipRelaxationPolicyType', [
  ['ENFORCE', 'Enforce'],
  ['BYPASS_2FACTOR', 'Bypass_2factor'],
  ['BYPASS', 'Bypass'],
  ['ENFORCE_RELAXREFRESH', 'Enforce_RelaxRefresh'],
]);
const ecaPermittedCodec = enumCodec<PermittedUsers>('permittedUsersPolicyType', [
  ['admin-approved', 'AdminApprovedPreAuthorized'],
  ['all-users', 'AllSelfAuthorized'],
]);

/** Maps one read of an org to the snapshot model. `revision` is the store's (the org has none). */
export function mapSnapshot(slug: string, records: LiveRecords, revision: number): MappedSnapshot {
  const warnings: string[] = [];
  const sets = indexPermissionSets(records.permissionSets);

  const org: ObservedOrg = {
    id: text(records.organization.Id),
    name: slug,
    edition: text(records.organization.OrganizationType).replace(/ Edition$/, '') || 'Unknown',
    features: { apiAccessControl: U.apiAccessControlFrom(records.connectedAppSettings) },
    settings: {
      adminApprovedAppsOnly: flag(records.connectedAppSettings?.enableAdminApprovedAppsOnly),
      oauthFlows: {
        blockUsernamePassword: flag(records.oauthOidcSettings?.blockOAuthUnPwFlow),
        blockUserAgent: flag(records.oauthOidcSettings?.blockOAuthUsrAgtFlow),
        allowAuthorizationCodeAndCredentials: flag(records.oauthOidcSettings?.oAuthCdCrdtFlowEnable),
      },
    },
    profiles: unique(records.permissionSets.filter((s) => s.IsOwnedByProfile === true).map((s) => text((s.Profile as SfRecord | null)?.Name))),
    permissionSets: unique(records.permissionSets.filter((s) => sets.kind.get(text(s.Id)) === 'set').map((s) => text(s.Label))),
    revision,
  };

  // Users: the profile's set and every assigned set count towards permissions; only real permission sets are listed.
  const assignmentsByUser = new Map<string, SfRecord[]>();
  for (const a of records.assignments) push(assignmentsByUser, text(a.AssigneeId), a);
  const usernameById = new Map<string, string>();
  const users: OrgUser[] = records.users.map((u) => {
    const profile = text((u.Profile as SfRecord | null)?.Name);
    usernameById.set(text(u.Id), text(u.Username));
    const held = new Set<Permission>();
    const listed: string[] = [];
    const profileSet = sets.byProfile.get(profile);
    if (profileSet) addPermissions(held, profileSet, records.canApprove, true);
    for (const a of assignmentsByUser.get(text(u.Id)) ?? []) {
      const set = sets.byId.get(text(a.PermissionSetId));
      if (!set) {
        warnings.push(`user ${text(u.Username)} is assigned permission set ${text(a.PermissionSetId)}, which the PermissionSet query did not return`);
        continue;
      }
      if (set === profileSet) continue;
      addPermissions(held, set, records.canApprove, set.IsOwnedByProfile === true);
      if (sets.kind.get(text(set.Id)) === 'set' && !listed.includes(text(set.Label))) listed.push(text(set.Label));
    }
    return { active: u.IsActive === true, permissionSets: listed, permissions: permissionOrder.filter((p) => held.has(p)), profile, username: text(u.Username) };
  });
  users.sort((a, b) => byCodePoint(a.username, b.username));

  // Who each app is assigned to (SetupEntityAccess → the profile or permission set of its ParentId).
  const assigned = new Map<string, { profiles: string[]; permissionSets: string[] }>();
  for (const sea of records.setupEntityAccess) {
    const set = sets.byId.get(text(sea.ParentId));
    if (!set) continue;
    let entry = assigned.get(text(sea.SetupEntityId));
    if (!entry) assigned.set(text(sea.SetupEntityId), (entry = { profiles: [], permissionSets: [] }));
    if (set.IsOwnedByProfile === true) entry.profiles.push(text((set.Profile as SfRecord | null)?.Name));
    else if (sets.kind.get(text(set.Id)) === 'set') entry.permissionSets.push(text(set.Label));
  }

  // Blocks, by consumer key and by name.
  const blockedKeys = new Set<string>();
  const blockedNames = new Set<string>();
  for (const block of records.blocks) {
    const target = U.blockTarget(block);
    if (target?.consumerKey) blockedKeys.add(target.consumerKey);
    if (target?.name) blockedNames.add(target.name);
  }

  const apps: ObservedApp[] = [];
  const appByName = new Map<string, ObservedApp>();
  const appById = new Map<string, ObservedApp>();
  const add = (app: ObservedApp): void => {
    apps.push(app);
    appByName.set(app.name, app);
    appById.set(app.id, app);
  };
  const menuByApp = new Map(records.menuItems.map((m) => [text(m.ApplicationId), m]));
  for (const row of records.connectedApps) {
    const id = text(row.Id);
    const name = text(row.Name);
    const metadata = records.connectedAppMetadata.get(id);
    if (!metadata) warnings.push(`connected app "${name}": its ConnectedApp metadata could not be read; ipRelaxation and refreshTokenPolicy are shown as the defaults (ENFORCE, infinite)`);
    const consumerKey = text((metadata?.oauthConfig as SfRecord | undefined)?.consumerKey);
    const policy = (metadata?.oauthPolicy ?? {}) as SfRecord;
    const texts = (element: string): string[] => (policy[element] === undefined || policy[element] === null ? [] : [String(policy[element])]);
    add({
      blocked: (consumerKey !== '' && blockedKeys.has(consumerKey)) || blockedNames.has(name),
      deniedAttempts: null,
      id,
      installed: true,
      name,
      packaged: U.packagedFrom(menuByApp.get(id)),
      policies: policies(row.OptionsAllowAdminApprovedUsersOnly === true ? 'admin-approved' : 'all-users', assigned.get(id), decoded(ipRelaxationCodec.decode(texts), 'ENFORCE', name, warnings), decoded(connectedAppRefreshCodec.decode(texts), 'infinite', name, warnings)),
      sessions: [],
      type: 'ConnectedApp',
    });
  }
  const ecaPolicies = new Map<string, SfRecord>();
  for (const p of records.externalClientAppPolicies) {
    const key = U.externalClientAppPolicyKey(p);
    if (key) ecaPolicies.set(key, p);
  }
  for (const row of records.externalClientApps) {
    const id = text(row.Id);
    const name = text(row.MasterLabel);
    const p = ecaPolicies.get(text(row.DeveloperName));
    if (!p) warnings.push(`external client app "${name}": its OAuth policies could not be read; they are shown as the defaults (all users, ENFORCE, infinite)`);
    const texts = (element: string): string[] => (p?.[element] === undefined || p?.[element] === null ? [] : [String(p[element])]);
    add({
      blocked: blockedNames.has(name),
      deniedAttempts: null,
      id,
      installed: true,
      name,
      packaged: U.externalClientAppPackaged,
      policies: policies(decoded(ecaPermittedCodec.decode(texts), 'all-users', name, warnings), assigned.get(id), decoded(ecaIpCodec.decode(texts), 'ENFORCE', name, warnings), decoded(externalClientAppRefreshCodec.decode(texts), 'infinite', name, warnings)),
      sessions: [],
      type: 'ExternalClientApp',
    });
  }
  const uninstalled = (name: string, blocked: boolean): ObservedApp => {
    const app: ObservedApp = { blocked, deniedAttempts: null, derivedId: true, id: derivedAppId(name), installed: false, name, packaged: false, sessions: [], type: 'ConnectedApp' };
    add(app);
    return app;
  };
  for (const name of blockedNames) if (!appByName.has(name)) uninstalled(name, true);

  // Sessions: those kept as the store holds them, then those of the tokens read.
  for (const { appId, appName, sessions } of records.kept ?? []) {
    const app = (appId === undefined ? appByName.get(appName) : (appById.get(appId) ?? appByName.get(appName))) ?? uninstalled(appName, false);
    for (const session of sessions) app.sessions.push(session);
  }
  let neverUsed = 0;
  for (const token of records.tokens) {
    const user = usernameById.get(text(token.UserId));
    if (user === undefined) {
      warnings.push(`an OauthToken of app "${text(token.AppName)}" belongs to user ${text(token.UserId)}, whom the User query did not return`);
      continue;
    }
    const item = token.AppMenuItem as SfRecord | null | undefined;
    const appName = text(token.AppName);
    let app = U.isUninstalledToken(token) ? appByName.get(appName) : (appById.get(text(item?.ApplicationId)) ?? appByName.get(appName));
    app ??= uninstalled(appName, false);
    if (token.LastUsedDate === null || token.LastUsedDate === undefined) neverUsed++;
    const session: Session = { created: instant(token.CreatedDate), flow: 'unknown', lastUsed: instant(U.lastUsedOf(token)), useCount: Math.max(0, Number(token.UseCount ?? 0) || 0), user };
    app.sessions.push(session);
  }
  if (neverUsed > 0) warnings.push(`${count(neverUsed, 'OauthToken row has', 'OauthToken rows have')} no LastUsedDate: last use shown as creation`);
  for (const app of apps) app.sessions.sort((a, b) => byCodePoint(a.created, b.created) || byCodePoint(a.user, b.user) || byCodePoint(a.lastUsed, b.lastUsed) || a.useCount - b.useCount);

  return { org, users, apps, warnings };
}

interface PermissionSetIndex {
  byId: Map<string, SfRecord>;
  byProfile: Map<string, SfRecord>;
  /** 'profile' (owned by a profile), 'group' (a group's aggregate) or 'set' (one of the org's permission sets). */
  kind: Map<string, 'profile' | 'group' | 'set'>;
}

function indexPermissionSets(rows: SfRecord[]): PermissionSetIndex {
  const index: PermissionSetIndex = { byId: new Map(), byProfile: new Map(), kind: new Map() };
  for (const row of rows) {
    const id = text(row.Id);
    index.byId.set(id, row);
    if (row.IsOwnedByProfile === true) {
      index.kind.set(id, 'profile');
      index.byProfile.set(text((row.Profile as SfRecord | null)?.Name), row);
    } else index.kind.set(id, U.isGroupAggregate(row) ? 'group' : 'set');
  }
  return index;
}

function addPermissions(held: Set<Permission>, set: SfRecord, canApprove: LiveRecords['canApprove'], ownedByProfile: boolean): void {
  for (const p of fieldPermissions) if (set[`Permissions${p}`] === true) held.add(p);
  const approves = ownedByProfile ? canApprove.profiles.has(text((set.Profile as SfRecord | null)?.Name)) : canApprove.permissionSets.has(text(set.Name));
  if (approves) held.add('CanApproveUninstalledApps');
}

function policies(permittedUsers: PermittedUsers, assigned: { profiles: string[]; permissionSets: string[] } | undefined, ipRelaxation: IpRelaxation, refreshTokenPolicy: string): ObservedPolicies {
  return { ipRelaxation, permissionSets: unique(assigned?.permissionSets ?? []), permittedUsers, profiles: unique(assigned?.profiles ?? []), refreshTokenPolicy };
}

function decoded<V>(result: { value?: V; problem?: string }, fallback: V, app: string, warnings: string[]): V {
  if (result.problem) warnings.push(`app "${app}": ${result.problem}; shown as ${String(fallback)}`);
  return result.value ?? fallback;
}

/** A record the API answered that cannot be mapped (the reader reports it as a malformed response). */
export class UnmappableRecord extends Error {}

/** A dateTime already in UTC (`Z`, `+0000`, `+00:00`), seconds or milliseconds: year, month, day, hour, minute, second, `.ms`. */
const utcShape = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{3})?(?:Z|\+0000|\+00:00)$/;
const monthDays = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * An instant as the store writes it: UTC, `Z`, milliseconds only when there are some. A UTC
 * dateTime whose every part is in range (the common case: a million tokens' dates) is rewritten as
 * text, the same string the Date round trip below gives it; anything else takes that round trip.
 */
export function instant(value: unknown): string {
  if (typeof value === 'string' && value.length === 28) {
    const fast = salesforceUtcInstant(value);
    if (fast !== undefined) return fast;
  }
  const m = typeof value === 'string' ? utcShape.exec(value) : null;
  if (m !== null) {
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = Number(m[3]);
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const dayOk = day >= 1 && (day <= 28 || (month >= 1 && month <= 12 && day <= monthDays[month - 1]! && (month !== 2 || day <= 28 || leap)));
    if (year >= 1970 && month >= 1 && month <= 12 && dayOk && Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59) {
      const text = m[0];
      // Already as the store writes it (a session taken from the store): that very string, no copy.
      if (text.endsWith('Z') && m[7] !== '.000') return text;
      return m[7] === undefined || m[7] === '.000' ? `${text.slice(0, 19)}Z` : `${text.slice(0, 23)}Z`;
    }
  }
  const date = new Date(typeof value === 'string' ? value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2') : NaN);
  if (Number.isNaN(date.getTime())) throw new UnmappableRecord(`"${String(value)}" is not a dateTime`);
  return date.toISOString().replace('.000Z', 'Z');
}

/** The digit at a position of a text, or NaN. */
function digitAt(text: string, at: number): number {
  const code = text.charCodeAt(at) - 48;
  return code >= 0 && code <= 9 ? code : NaN;
}

/**
 * The form every token's dates take (`2026-06-03T04:57:19.120+0000`, 28 characters), read digit by
 * digit rather than by utcShape: what instant() makes of it, or undefined for anything else (then
 * instant() goes the general way).
 */
function salesforceUtcInstant(text: string): string | undefined {
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.' || !text.endsWith('+0000')) return undefined;
  const two = (at: number): number => digitAt(text, at) * 10 + digitAt(text, at + 1);
  const year = two(0) * 100 + two(2);
  const month = two(5);
  const day = two(8);
  const ms = digitAt(text, 20) * 100 + two(21);
  // NaN (a character that is no digit) fails every comparison.
  if (!(year >= 1970 && month >= 1 && month <= 12 && day >= 1 && two(11) <= 23 && two(14) <= 59 && two(17) <= 59 && ms >= 0)) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > 28 && (day > monthDays[month - 1]! || (month === 2 && !leap))) return undefined;
  return ms === 0 ? `${text.slice(0, 19)}Z` : `${text.slice(0, 23)}Z`;
}

function flag(value: unknown): boolean {
  return value === true || value === 'true';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
