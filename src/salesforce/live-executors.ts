// One executor per action kind on a live org (salesforce-api.md §2), filling the registry's slot
// (plan/action-kinds.ts BackendExecutors): `carryOut` makes the action's calls, `readBack` reads
// what it changed and maps it, through the one mapping module (map-snapshot.ts), to the store's
// model, so that what is recorded is what the org shows. A new kind is a registry row and one
// executor here.
//   set-org-settings  readMetadata + upsertMetadata ConnectedAppSettings / OauthOidcSettings
//   set-policies      readMetadata, capctl's fields changed, updateMetadata (never a consumerSecret)
//   set-assignments   SetupEntityAccess: created by sObject Collections (≤200 per call), deleted by Id
//   block / unblock   upsertMetadata / deleteMetadata BlacklistedConsumer
//   revoke            each matching token's DeleteToken to POST /services/oauth2/revoke (a token
//                     already gone counts as done); external client apps: the usage resources
//   install / uninstall  no API: refused (a manual step)
// An error the org gave for an item (a refused component or record) is ActionRefused: trying the
// same action again cannot help. A SalesforceError is the client's (limit, session, timeout…).
import type { Action, ObservedApp, ObservedOrg, Values } from '../model/index.js';
import { connectedAppRefreshCodec, externalClientAppRefreshCodec } from '../metadata/field-map.js';
import type { BackendExecutors } from '../plan/action-kinds.js';
import { count } from '../plan/count.js';
import type { OrgData } from '../plan/transition.js';
import { collectionBatch, metadataWriteBatch, type SfClient, type SfRecord, type WriteResult } from './client.js';
import { mapSnapshot, type LiveRecords } from './map-snapshot.js';
import type { AppMetadataCache } from './read-live-snapshot.js';
import { readOauthTokens } from './oauth-tokens.js';
import * as U from './unconfirmed.js';

/** What an executor works from: the org as last read (mapped and raw), and the client. */
export interface LiveContext {
  client: SfClient;
  slug: string;
  data: OrgData;
  records: LiveRecords;
  appMetadata: AppMetadataCache;
  /** Called as a revocation ends tokens: how many so far, of how many. */
  onRevokeProgress?(done: number, total: number, app: string): void;
}

/** The parts of the org an action touched, as the org shows them after it (the app gone: in `removedApps`). */
export interface ReadBack {
  org?: ObservedOrg;
  apps: ObservedApp[];
}

/** How one kind is carried out on a live org. */
export interface LiveExecutor {
  /** Makes the action's calls. Throws ActionRefused (the org refused it) or the client's SalesforceError. */
  carryOut(context: LiveContext, action: Action): Promise<void>;
  /** Reads back what the action changes (updating `context.records`) and maps it. */
  readBack(context: LiveContext, action: Action): Promise<ReadBack>;
}

/** The org refused an action (an item's error, or no API for it): trying the same action again cannot help. */
export class ActionRefused extends Error {
  override name = 'ActionRefused';
}

/** Every kind's executor on a live org. */
export const liveExecutors: BackendExecutors<LiveExecutor> = {
  'set-org-settings': { carryOut: setOrgSettings, readBack: readBackSettings },
  install: { carryOut: noApi('installing'), readBack: readBackApp() },
  uninstall: { carryOut: noApi('uninstalling'), readBack: readBackApp() },
  'set-policies': { carryOut: setPolicies, readBack: readBackApp(readPolicies) },
  'set-assignments': { carryOut: setAssignments, readBack: readBackApp(readAssignments) },
  block: { carryOut: block, readBack: readBackApp(readBlocks, readTokens) },
  unblock: { carryOut: unblock, readBack: readBackApp(readBlocks) },
  revoke: { carryOut: revoke, readBack: readBackApp(readTokens) },
};

function noApi(what: string): LiveExecutor['carryOut'] {
  return (_context, action) =>
    Promise.reject(new ActionRefused(`${what} ${action.app?.name ?? 'an app'} has no API: it is a manual step in Setup (the plan says where); nothing was changed`));
}

// --- set-org-settings ---------------------------------------------------------------------------

async function setOrgSettings(context: LiveContext, action: Action): Promise<void> {
  const after = action.after ?? {};
  const [appSettings, oidc] = U.settingsReads;
  if (typeof after.adminApprovedAppsOnly === 'boolean') {
    const component = await readOne(context.client, appSettings.type, appSettings.fullName);
    await saved(context.client, 'upsert', appSettings.type, [{ ...component, fullName: appSettings.fullName, enableAdminApprovedAppsOnly: String(after.adminApprovedAppsOnly) }]);
  }
  const flows = after.oauthFlows;
  if (flows && typeof flows === 'object' && !Array.isArray(flows)) {
    const component = await readOne(context.client, oidc.type, oidc.fullName);
    const fields: Record<string, string> = {};
    const names = { blockUsernamePassword: 'blockOAuthUnPwFlow', blockUserAgent: 'blockOAuthUsrAgtFlow', allowAuthorizationCodeAndCredentials: 'oAuthCdCrdtFlowEnable' } as const;
    for (const [key, element] of Object.entries(names)) {
      const value = (flows as Values)[key];
      if (typeof value === 'boolean') fields[element] = String(value);
    }
    await saved(context.client, 'upsert', oidc.type, [{ ...component, fullName: oidc.fullName, ...fields }]);
  }
}

async function readBackSettings(context: LiveContext): Promise<ReadBack> {
  const [connectedAppSettings, oauthOidcSettings] = await Promise.all(U.settingsReads.map(async (s) => (await context.client.metadataRead(s.type, [s.fullName]))[0]));
  context.records.connectedAppSettings = connectedAppSettings;
  context.records.oauthOidcSettings = oauthOidcSettings;
  const { org } = mapSnapshot(context.slug, { ...context.records, users: [], assignments: [], connectedApps: [], menuItems: [], externalClientApps: [], setupEntityAccess: [], blocks: [], externalClientAppPolicies: [], tokens: [] }, context.data.org.revision);
  return { org, apps: [] };
}

// --- set-policies -------------------------------------------------------------------------------

async function setPolicies(context: LiveContext, action: Action): Promise<void> {
  const app = appOf(context, action);
  const after = action.after ?? {};
  if (app.type === 'ExternalClientApp') {
    const fullName = ecaPolicyName(context, app);
    const component = await readOne(context.client, U.externalClientAppPolicyType, fullName);
    const changed: SfRecord = { ...component };
    if (after.permittedUsers === 'admin-approved' || after.permittedUsers === 'all-users') changed.permittedUsersPolicyType = after.permittedUsers === 'admin-approved' ? 'AdminApprovedPreAuthorized' : 'AllSelfAuthorized';
    if (typeof after.ipRelaxation === 'string') changed.ipRelaxationPolicyType = ecaIp[after.ipRelaxation] ?? after.ipRelaxation;
    if (typeof after.refreshTokenPolicy === 'string') setEncoded(changed, externalClientAppRefreshCodec.encode(after.refreshTokenPolicy));
    await saved(context.client, 'update', U.externalClientAppPolicyType, [changed]);
    return;
  }
  const fullName = context.appMetadata[app.id]?.fullName;
  if (fullName === undefined) throw new ActionRefused(`${app.name}: its ConnectedApp metadata was not read, so its policies cannot be changed through the Metadata API; nothing was changed`);
  const component = await readOne(context.client, 'ConnectedApp', fullName);
  const changed = U.connectedAppToSend(component);
  const config = { ...((changed.oauthConfig as SfRecord | undefined) ?? {}) };
  const policy = { ...((changed.oauthPolicy as SfRecord | undefined) ?? {}) };
  if (after.permittedUsers === 'admin-approved' || after.permittedUsers === 'all-users') config.isAdminApproved = String(after.permittedUsers === 'admin-approved');
  if (typeof after.ipRelaxation === 'string') policy.ipRelaxation = after.ipRelaxation;
  if (typeof after.refreshTokenPolicy === 'string') setEncoded(policy, connectedAppRefreshCodec.encode(after.refreshTokenPolicy));
  await saved(context.client, 'update', 'ConnectedApp', [{ ...changed, oauthConfig: config, oauthPolicy: policy }]);
}

const ecaIp: Record<string, string> = { ENFORCE: 'Enforce', BYPASS_2FACTOR: 'Bypass_2factor', BYPASS: 'Bypass', ENFORCE_RELAXREFRESH: 'Enforce_RelaxRefresh' };

/** Sets a codec's encoding on a component: a value's first text, a null element removed. */
function setEncoded(target: SfRecord, encoded: Record<string, string[] | null>): void {
  for (const [key, value] of Object.entries(encoded)) {
    if (value === null || value.length === 0) delete target[key];
    else target[key] = value[0];
  }
}

function ecaPolicyName(context: LiveContext, app: ObservedApp): string {
  const row = context.records.externalClientApps.find((r) => r.Id === app.id);
  const component = context.records.externalClientAppPolicies.find((p) => U.externalClientAppPolicyKey(p) === row?.DeveloperName);
  if (!component || typeof component.fullName !== 'string') throw new ActionRefused(`${app.name}: its OAuth policies (${U.externalClientAppPolicyType}) were not read; nothing was changed`);
  return component.fullName;
}

async function readPolicies(context: LiveContext, app: ObservedApp): Promise<void> {
  const { client, records } = context;
  if (app.type === 'ExternalClientApp') {
    const fullName = ecaPolicyName(context, app);
    const [component] = await client.metadataRead(U.externalClientAppPolicyType, [fullName]);
    records.externalClientAppPolicies = [...records.externalClientAppPolicies.filter((p) => p.fullName !== fullName), ...(component ? [component] : [])];
    return;
  }
  const fullName = context.appMetadata[app.id]?.fullName;
  const [rows, components] = await Promise.all([
    client.query(`SELECT Id, Name, LastModifiedDate, OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication WHERE Id = '${soqlId(app.id)}'`),
    fullName === undefined ? Promise.resolve([]) : client.metadataRead('ConnectedApp', [fullName]),
  ]);
  records.connectedApps = [...records.connectedApps.filter((r) => r.Id !== app.id), ...rows];
  const component = components[0];
  if (component) {
    const metadata: SfRecord = { oauthPolicy: component.oauthPolicy ?? null, oauthConfig: { consumerKey: (component.oauthConfig as SfRecord | undefined)?.consumerKey ?? null } };
    records.connectedAppMetadata.set(app.id, metadata);
    const row = rows[0];
    if (row && fullName !== undefined) context.appMetadata[app.id] = { lastModified: String(row.LastModifiedDate), fullName, metadata };
  }
}

// --- set-assignments ----------------------------------------------------------------------------

async function setAssignments(context: LiveContext, action: Action): Promise<void> {
  const app = appOf(context, action);
  const after = action.after ?? {};
  const sets = context.records.permissionSets;
  const kindOf = (row: SfRecord): 'profile' | 'set' | 'group' => (row.IsOwnedByProfile === true ? 'profile' : U.isGroupAggregate(row) ? 'group' : 'set');
  const idsOf = (names: unknown, kind: 'profile' | 'set'): Set<string> | undefined => {
    if (!Array.isArray(names)) return undefined;
    return new Set(
      names.map((name) => {
        const row = sets.find((s) => kindOf(s) === kind && (kind === 'profile' ? (s.Profile as SfRecord | null)?.Name : s.Label) === name);
        if (!row) throw new ActionRefused(`${app.name}: the org has no ${kind === 'profile' ? 'profile' : 'permission set'} "${String(name)}"; nothing was changed`);
        return String(row.Id);
      }),
    );
  };
  const wanted = { profile: idsOf(after.profiles, 'profile'), set: idsOf(after.permissionSets, 'set') };
  const current = await context.client.query(`SELECT Id, ParentId FROM SetupEntityAccess WHERE SetupEntityId = '${soqlId(app.id)}'`);
  const kindById = new Map(sets.map((s) => [String(s.Id), kindOf(s)]));
  const have = new Set(current.map((r) => String(r.ParentId)));
  const create = [...(wanted.profile ?? []), ...(wanted.set ?? [])].filter((id) => !have.has(id));
  const remove = current.filter((r) => {
    const kind = kindById.get(String(r.ParentId));
    const keep = kind === 'profile' ? wanted.profile : kind === 'set' ? wanted.set : undefined;
    return keep !== undefined && !keep.has(String(r.ParentId));
  });
  // SetupEntityType is not sent: it is set by the org (a tool reports it as not writeable, U).
  for (let i = 0; i < create.length; i += collectionBatch) {
    const results = await context.client.createRecords(
      'SetupEntityAccess',
      create.slice(i, i + collectionBatch).map((parentId) => ({ ParentId: parentId, SetupEntityId: app.id })),
    );
    refuseFailures(app.name, 'SetupEntityAccess create', results);
  }
  for (const row of remove) await context.client.deleteRecord('SetupEntityAccess', String(row.Id));
}

async function readAssignments(context: LiveContext, app: ObservedApp): Promise<void> {
  const rows = await context.client.query(`SELECT ParentId, SetupEntityId FROM SetupEntityAccess WHERE SetupEntityId = '${soqlId(app.id)}' ORDER BY Id`);
  context.records.setupEntityAccess = [...context.records.setupEntityAccess.filter((r) => r.SetupEntityId !== app.id), ...rows];
}

// --- block / unblock ----------------------------------------------------------------------------

async function block(context: LiveContext, action: Action): Promise<void> {
  const app = appOf(context, action);
  const consumerKey = (context.records.connectedAppMetadata.get(app.id)?.oauthConfig as SfRecord | undefined)?.consumerKey;
  if (typeof consumerKey !== 'string' || consumerKey === '') {
    throw new ActionRefused(`${app.name}: no API shows its consumer key, which a block (BlacklistedConsumer) needs: block it on the Connected Apps OAuth Usage page in Setup; nothing was changed`);
  }
  const component = { fullName: U.blockFullName(app.id), consumerKey, consumerName: app.name, masterLabel: app.name, blockedByApiWhitelisting: 'false' };
  await saved(context.client, 'upsert', 'BlacklistedConsumer', [component]);
}

async function unblock(context: LiveContext, action: Action): Promise<void> {
  const app = appOf(context, action);
  const consumerKey = (context.records.connectedAppMetadata.get(app.id)?.oauthConfig as SfRecord | undefined)?.consumerKey;
  const names = context.records.blocks
    .filter((b) => {
      const target = U.blockTarget(b);
      return target !== undefined && ((typeof consumerKey === 'string' && consumerKey !== '' && target.consumerKey === consumerKey) || target.name === app.name);
    })
    .map((b) => String(b.fullName));
  for (let i = 0; i < names.length; i += metadataWriteBatch) {
    const results = await context.client.metadataDelete('BlacklistedConsumer', names.slice(i, i + metadataWriteBatch));
    // A block already gone is what unblocking wants.
    refuseFailures(app.name, 'deleteMetadata BlacklistedConsumer', results.filter((r) => !r.errors.every((e) => e.startsWith('INVALID_CROSS_REFERENCE_KEY'))));
  }
}

async function readBlocks(context: LiveContext): Promise<void> {
  const listed = await context.client.metadataList('BlacklistedConsumer');
  const names = listed.map((f) => f.fullName);
  const blocks: SfRecord[] = [];
  for (let i = 0; i < names.length; i += metadataWriteBatch) blocks.push(...(await context.client.metadataRead('BlacklistedConsumer', names.slice(i, i + metadataWriteBatch))));
  context.records.blocks = blocks;
}

// --- revoke -------------------------------------------------------------------------------------

async function revoke(context: LiveContext, action: Action): Promise<void> {
  const app = appOf(context, action);
  const revocation = action.revocation;
  if (!revocation) throw new ActionRefused(`revoke on ${app.name}: the action names no revocation`);
  const cutoff = Date.parse(revocation.issuedBefore);
  const named = revocation.users === 'all' ? undefined : new Set(revocation.users);
  const usernames = new Map(context.records.users.map((u) => [String(u.Id), String(u.Username)]));
  const matches = (userId: string, created: unknown): boolean =>
    (named === undefined || named.has(usernames.get(userId) ?? '')) && Date.parse(String(created).replace(/([+-]\d\d)(\d\d)$/, '$1:$2')) < cutoff;
  let done = 0;
  if (app.type === 'ExternalClientApp') {
    const users = ((await context.client.restGet(U.usageUsersPath(app.id))) as { users?: SfRecord[] } | null)?.users ?? [];
    const urls: string[] = [];
    for (const user of users) {
      const userId = String(user.userIdentifier);
      if (named !== undefined && !named.has(usernames.get(userId) ?? String(user.username))) continue;
      const tokens = ((await context.client.restGet(U.usageTokensPath(app.id, userId))) as { tokens?: SfRecord[] } | null)?.tokens ?? [];
      for (const token of tokens) if (matches(userId, token.initialConnectionAt) && typeof token.revocationUrl === 'string') urls.push(token.revocationUrl);
    }
    for (const url of urls) {
      // Only the path: the bearer token never goes to a host the answer names.
      await context.client.restDelete(new URL(url, 'http://org.invalid').pathname.replace(/^\/services\/data\/v\d+\.\d+/, ''));
      context.onRevokeProgress?.(++done, urls.length, app.name);
    }
    return;
  }
  const tokens = (await context.client.query(U.revokeTokensSoql(app.name))).filter((t) => matches(String(t.UserId), t.CreatedDate));
  for (const token of tokens) {
    // A token already gone (revoked by an earlier, interrupted run, or by its user) counts as done.
    await context.client.revokeToken(String(token.DeleteToken));
    context.onRevokeProgress?.(++done, tokens.length, app.name);
  }
}

async function readTokens(context: LiveContext, app: ObservedApp): Promise<void> {
  const { client, records } = context;
  const count = await client.count(`SELECT COUNT() FROM OauthToken WHERE AppName = ${soqlText(app.name)}`);
  const rows =
    count <= U.oauthTokenCap
      ? await client.query(U.appTokensSoql(app.name))
      : (await readOauthTokens(client, records.users.map((u) => String(u.Id)))).tokens.filter((t) => t.AppName === app.name);
  records.tokens = [...records.tokens.filter((t) => !belongsTo(t, app)), ...rows];
}

// --- helpers ------------------------------------------------------------------------------------

/** The read-back of an app action: the reads given (each updating the records), then the app mapped from them. */
function readBackApp(...reads: ((context: LiveContext, app: ObservedApp) => Promise<void>)[]): LiveExecutor['readBack'] {
  return async (context, action) => {
    const app = appOf(context, action);
    for (const read of reads) await read(context, app);
    const mapped = mapApp(context, app);
    return { apps: mapped ? [mapped] : [] };
  };
}

/** One app as the records show it, mapped by map-snapshot with only what concerns it. */
export function mapApp(context: Pick<LiveContext, 'slug' | 'records' | 'data'>, app: Pick<ObservedApp, 'id' | 'name'>): ObservedApp | undefined {
  const r = context.records;
  const tokens = r.tokens.filter((t) => belongsTo(t, app));
  const userIds = new Set(tokens.map((t) => String(t.UserId)));
  const eca = r.externalClientApps.filter((row) => row.Id === app.id);
  const metadata = r.connectedAppMetadata.get(app.id);
  const { apps } = mapSnapshot(
    context.slug,
    {
      ...r,
      users: r.users.filter((u) => userIds.has(String(u.Id))),
      assignments: [],
      connectedApps: r.connectedApps.filter((row) => row.Id === app.id),
      menuItems: r.menuItems.filter((m) => m.ApplicationId === app.id),
      externalClientApps: eca,
      setupEntityAccess: r.setupEntityAccess.filter((s) => s.SetupEntityId === app.id),
      connectedAppMetadata: new Map(metadata ? [[app.id, metadata]] : []),
      externalClientAppPolicies: r.externalClientAppPolicies.filter((p) => eca.some((row) => U.externalClientAppPolicyKey(p) === row.DeveloperName)),
      tokens,
    },
    context.data.org.revision,
  );
  return apps.find((a) => a.id === app.id);
}

function belongsTo(token: SfRecord, app: Pick<ObservedApp, 'id' | 'name'>): boolean {
  return (token.AppMenuItem as SfRecord | null | undefined)?.ApplicationId === app.id || token.AppName === app.name;
}

function appOf(context: LiveContext, action: Action): ObservedApp {
  const app = context.data.apps.find((a) => a.id === action.app?.id);
  if (!app) throw new ActionRefused(`${action.kind}: the org lists no app with id ${action.app?.id ?? '(none)'}`);
  return app;
}

async function readOne(client: SfClient, type: string, fullName: string): Promise<SfRecord> {
  const [component] = await client.metadataRead(type, [fullName]);
  if (!component) throw new ActionRefused(`the org has no ${type} ${fullName} to change; nothing was changed`);
  return component;
}

async function saved(client: SfClient, call: 'update' | 'upsert', type: string, components: SfRecord[]): Promise<void> {
  refuseFailures(String(components[0]?.fullName ?? type), `${call}Metadata ${type}`, await client.metadataSave(call, type, components));
}

function refuseFailures(subject: string, what: string, results: readonly WriteResult[]): void {
  const failed = results.filter((r) => !r.success);
  if (failed.length === 0) return;
  const errors = failed.flatMap((r) => r.errors).join('; ');
  throw new ActionRefused(`${subject}: the org refused ${failed.length} of ${count(results.length, 'item')} of ${what}: ${errors || 'no reason given'}`);
}

function soqlId(id: string): string {
  if (!/^[A-Za-z0-9]+$/.test(id)) throw new ActionRefused(`"${id}" is not an id`);
  return id;
}

function soqlText(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
