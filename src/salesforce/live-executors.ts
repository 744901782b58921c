// One executor per action kind on a live org (salesforce-api.md §2), filling the registry's slot
// (plan/action-kinds.ts BackendExecutors): `carryOut` makes the action's calls, `readBack` reads
// what it changed and maps it, through the one mapping module (map-snapshot.ts), to the store's
// model, so that what is recorded is what the org shows. A new kind is a registry row and one
// executor here.
//   set-org-settings  readMetadata + upsertMetadata ConnectedAppSettings / OauthOidcSettings
//   set-policies      readMetadata, capctl's fields changed, updateMetadata (never a consumerSecret)
//   set-assignments   SetupEntityAccess: created and deleted by sObject Collections (≤200 per call)
//   block / unblock   upsertMetadata / deleteMetadata BlacklistedConsumer
// set-policies, block and unblock are batched (`liveBatching`): consecutive actions of one kind
// that write the same metadata type go in ONE call of at most 10 components (batchesOf in
// call-estimate.ts, which counts the calls the same way), read before and back after by one
// readMetadata of their names; each item's result is its action's. jsforce sends no
// AllOrNoneHeader (its SOAP envelope carries only SessionHeader and CallOptions), so the org saves
// the items it does not refuse: the caller records each action as the read-back shows it.
//   revoke            each matching token's DeleteToken to POST /services/oauth2/revoke (a token
//                     already gone counts as done); external client apps: the usage resources.
//                     The tokens (and an external client app's users' token reads) go out side by
//                     side, at most the client's parallelism at once (Slots); after a failure
//                     none more is sent, the ones under way settle, and the first failure is thrown;
//                     a connected app's next chunk of users is queried beside the revokes of the last
//   install / uninstall  no API: refused (a manual step)
// An error the org gave for an item (a refused component or record) is ActionRefused: trying the
// same action again cannot help. A SalesforceError is the client's (limit, session, timeout…).
import type { Action, ActionKind, ObservedApp, ObservedOrg, Values } from '../model/index.js';
import { connectedAppRefreshCodec, externalClientAppRefreshCodec } from '../metadata/field-map.js';
import type { BackendExecutors } from '../plan/action-kinds.js';
import { count } from '../plan/count.js';
import type { OrgData } from '../plan/transition.js';
import { metadataBatchKey, revokeChunks, tokenChunks, type BatchCall } from './call-estimate.js';
import { collectionBatch, metadataWriteBatch, type SfClient, type SfRecord, type WriteResult } from './client.js';
import type { AppTokens } from './app-tokens.js';
import { mapSnapshot, type LiveRecords } from './map-snapshot.js';
import type { AppMetadataCache } from './read-live-snapshot.js';
import { readOauthTokens } from './oauth-tokens.js';
import * as U from './unconfirmed.js';

/** What an executor works from: the org as last read (mapped and raw, its tokens by app), and the client. */
export interface LiveContext {
  client: SfClient;
  slug: string;
  data: OrgData;
  records: Omit<LiveRecords, 'tokens' | 'kept'>;
  tokens: AppTokens;
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

/**
 * A kind whose consecutive actions share one metadata call (set-policies, block, unblock). The
 * actions handed to it are one batch (batchesOf: the same call, at most 10 items).
 */
export interface LiveBatching {
  /** The call the action's write goes in, and how many items it sends; undefined: it is carried out alone (its executor). */
  callOf(context: LiveContext, action: Action): BatchCall | undefined;
  /**
   * Makes the batch's calls: per action in order, undefined when its item was saved, or the org's
   * refusal. An action that cannot be sent (the org lacks what it changes) is refused before the
   * call, and the actions after it are not sent: the list then ends with that refusal.
   * Throws the client's SalesforceError when the whole call failed.
   */
  carryOut(context: LiveContext, actions: readonly Action[]): Promise<(ActionRefused | undefined)[]>;
  /** Reads back what the actions change (one read of their names), updating `context.records`; one ReadBack per action. */
  readBack(context: LiveContext, actions: readonly Action[]): Promise<ReadBack[]>;
}

/** Every kind's executor on a live org. */
export const liveExecutors: BackendExecutors<LiveExecutor> = {
  'set-org-settings': { carryOut: setOrgSettings, readBack: readBackSettings },
  install: { carryOut: noApi('installing'), readBack: readBackApp() },
  uninstall: { carryOut: noApi('uninstalling'), readBack: readBackApp() },
  'set-policies': { carryOut: setPolicies, readBack: readBackApp((context, app) => readPolicies(context, [app])) },
  'set-assignments': { carryOut: setAssignments, readBack: readBackApp(readAssignments) },
  block: { carryOut: block, readBack: (context, action) => readBackBlockBatch(context, [action]).then((shown) => shown[0]!) },
  unblock: { carryOut: unblock, readBack: (context, action) => readBackUnblockBatch(context, [action]).then((shown) => shown[0]!) },
  revoke: { carryOut: revoke, readBack: readBackApp(readTokens) },
};

/** The kinds batched by metadata call. */
export const liveBatching: Partial<Record<ActionKind, LiveBatching>> = {
  'set-policies': { callOf: (context, action) => batchCallOf(context, action), carryOut: setPoliciesBatch, readBack: readBackPoliciesBatch },
  block: { callOf: (context, action) => batchCallOf(context, action), carryOut: blockBatch, readBack: readBackBlockBatch },
  unblock: { callOf: (context, action) => batchCallOf(context, action), carryOut: unblockBatch, readBack: readBackUnblockBatch },
};

/** The call of a batched action: by the app's type; an unblock's items are the blocks it deletes. */
function batchCallOf(context: LiveContext, action: Action): BatchCall | undefined {
  const app = context.data.apps.find((a) => a.id === action.app?.id);
  if (!app) return undefined;
  const call = metadataBatchKey(action, app.type);
  if (!call) return undefined;
  return action.kind === 'unblock' ? { ...call, items: blockNamesOf(context, app).length } : call;
}

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
  refuseFirst(await setPoliciesBatch(context, [action]));
}

/** The metadata type of an app's OAuth policies. */
function policyTypeOf(app: ObservedApp): string {
  return app.type === 'ExternalClientApp' ? U.externalClientAppPolicyType : 'ConnectedApp';
}

/** The fullName of an app's policies component; ActionRefused when it was not read. */
function policyNameOf(context: LiveContext, app: ObservedApp): string {
  if (app.type === 'ExternalClientApp') return ecaPolicyName(context, app);
  const fullName = context.appMetadata[app.id]?.fullName;
  if (fullName === undefined) throw new ActionRefused(`${app.name}: its ConnectedApp metadata was not read, so its policies cannot be changed through the Metadata API; nothing was changed`);
  return fullName;
}

/** The component as read, with capctl's fields changed to the action's `after` (never a consumerSecret). */
function policiesChanged(app: ObservedApp, action: Action, component: SfRecord): SfRecord {
  const after = action.after ?? {};
  if (app.type === 'ExternalClientApp') {
    const changed: SfRecord = { ...component };
    if (after.permittedUsers === 'admin-approved' || after.permittedUsers === 'all-users') changed.permittedUsersPolicyType = after.permittedUsers === 'admin-approved' ? 'AdminApprovedPreAuthorized' : 'AllSelfAuthorized';
    if (typeof after.ipRelaxation === 'string') changed.ipRelaxationPolicyType = ecaIp[after.ipRelaxation] ?? after.ipRelaxation;
    if (typeof after.refreshTokenPolicy === 'string') setEncoded(changed, externalClientAppRefreshCodec.encode(after.refreshTokenPolicy));
    return changed;
  }
  const changed = U.connectedAppToSend(component);
  const config = { ...((changed.oauthConfig as SfRecord | undefined) ?? {}) };
  const policy = { ...((changed.oauthPolicy as SfRecord | undefined) ?? {}) };
  if (after.permittedUsers === 'admin-approved' || after.permittedUsers === 'all-users') config.isAdminApproved = String(after.permittedUsers === 'admin-approved');
  if (typeof after.ipRelaxation === 'string') policy.ipRelaxation = after.ipRelaxation;
  if (typeof after.refreshTokenPolicy === 'string') setEncoded(policy, connectedAppRefreshCodec.encode(after.refreshTokenPolicy));
  return { ...changed, oauthConfig: config, oauthPolicy: policy };
}

/** One readMetadata of the batch's components, one updateMetadata of them changed. */
async function setPoliciesBatch(context: LiveContext, actions: readonly Action[]): Promise<(ActionRefused | undefined)[]> {
  const { items, refused } = sendable(actions, (action) => {
    const app = appOf(context, action);
    return { action, app, fullName: policyNameOf(context, app) };
  });
  if (items.length === 0) return refused ? [refused] : [];
  const type = policyTypeOf(items[0]!.app);
  const read = new Map((await context.client.metadataRead(type, items.map((i) => i.fullName))).map((c) => [String(c.fullName), c]));
  let stop = refused;
  const components: SfRecord[] = [];
  for (const item of items) {
    const component = read.get(item.fullName);
    if (!component) {
      stop = new ActionRefused(`the org has no ${type} ${item.fullName} to change; nothing was changed`);
      break;
    }
    components.push(policiesChanged(item.app, item.action, component));
  }
  const results = components.length === 0 ? [] : await context.client.metadataSave('update', type, components);
  return [...results.map((r, i) => itemRefusal(items[i]!.app.name, `updateMetadata ${type}`, [r])), ...(stop ? [stop] : [])];
}

async function readBackPoliciesBatch(context: LiveContext, actions: readonly Action[]): Promise<ReadBack[]> {
  const apps = listedApps(context, actions);
  await readPolicies(context, apps);
  return actions.map((action) => mappedApp(context, action));
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

/** The policies of apps of one type (one batch): one readMetadata of their components; connected apps also one ConnectedApplication query. */
async function readPolicies(context: LiveContext, apps: readonly ObservedApp[]): Promise<void> {
  const { client, records } = context;
  if (apps.length === 0) return;
  const names = new Map<string, ObservedApp>();
  for (const app of apps) {
    try {
      names.set(policyNameOf(context, app), app);
    } catch (error) {
      if (!(error instanceof ActionRefused)) throw error;
    }
  }
  const fullNames = [...names.keys()];
  if (apps[0]!.type === 'ExternalClientApp') {
    const components = fullNames.length === 0 ? [] : await client.metadataRead(U.externalClientAppPolicyType, fullNames);
    records.externalClientAppPolicies = [...records.externalClientAppPolicies.filter((p) => !names.has(String(p.fullName))), ...components];
    return;
  }
  const ids = new Set(apps.map((a) => a.id));
  const [rows, components] = await Promise.all([
    client.query(`SELECT Id, Name, LastModifiedDate, OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication WHERE Id IN (${[...ids].map((id) => `'${soqlId(id)}'`).join(', ')})`),
    fullNames.length === 0 ? Promise.resolve([]) : client.metadataRead('ConnectedApp', fullNames),
  ]);
  records.connectedApps = [...records.connectedApps.filter((r) => !ids.has(String(r.Id))), ...rows];
  for (const component of components) {
    const app = names.get(String(component.fullName));
    if (!app) continue;
    const metadata: SfRecord = { oauthPolicy: component.oauthPolicy ?? null, oauthConfig: { consumerKey: (component.oauthConfig as SfRecord | undefined)?.consumerKey ?? null } };
    records.connectedAppMetadata.set(app.id, metadata);
    const row = rows.find((r) => r.Id === app.id);
    if (row) context.appMetadata[app.id] = { lastModified: String(row.LastModifiedDate), fullName: String(component.fullName), metadata };
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
  for (let i = 0; i < remove.length; i += collectionBatch) {
    const results = await context.client.deleteRecords(
      'SetupEntityAccess',
      remove.slice(i, i + collectionBatch).map((row) => String(row.Id)),
    );
    // A row already gone is what deleting it wants.
    refuseFailures(app.name, 'SetupEntityAccess delete', results.filter((r) => !r.errors.every((e) => e.startsWith('ENTITY_IS_DELETED'))));
  }
}

async function readAssignments(context: LiveContext, app: ObservedApp): Promise<void> {
  const rows = await context.client.query(`SELECT ParentId, SetupEntityId FROM SetupEntityAccess WHERE SetupEntityId = '${soqlId(app.id)}' ORDER BY Id`);
  context.records.setupEntityAccess = [...context.records.setupEntityAccess.filter((r) => r.SetupEntityId !== app.id), ...rows];
}

// --- block / unblock ----------------------------------------------------------------------------

async function block(context: LiveContext, action: Action): Promise<void> {
  refuseFirst(await blockBatch(context, [action]));
}

/** One upsertMetadata of the batch's BlacklistedConsumer components. */
async function blockBatch(context: LiveContext, actions: readonly Action[]): Promise<(ActionRefused | undefined)[]> {
  const { items, refused } = sendable(actions, (action) => {
    const app = appOf(context, action);
    const consumerKey = (context.records.connectedAppMetadata.get(app.id)?.oauthConfig as SfRecord | undefined)?.consumerKey;
    if (typeof consumerKey !== 'string' || consumerKey === '') {
      throw new ActionRefused(`${app.name}: no API shows its consumer key, which a block (BlacklistedConsumer) needs: block it on the Connected Apps OAuth Usage page in Setup; nothing was changed`);
    }
    return { app, component: { fullName: U.blockFullName(app.id), consumerKey, consumerName: app.name, masterLabel: app.name, blockedByApiWhitelisting: 'false' } };
  });
  if (items.length === 0) return refused ? [refused] : [];
  const results = await context.client.metadataSave('upsert', 'BlacklistedConsumer', items.map((i) => i.component));
  return [...results.map((r, i) => itemRefusal(items[i]!.app.name, 'upsertMetadata BlacklistedConsumer', [r])), ...(refused ? [refused] : [])];
}

async function readBackBlockBatch(context: LiveContext, actions: readonly Action[]): Promise<ReadBack[]> {
  const apps = listedApps(context, actions);
  await readBlocks(context, apps.map((a) => U.blockFullName(a.id)));
  // A block ends the app's sessions (R1): each app's tokens read again, side by side; all settle
  // before a failure is the read-back's.
  const read = await Promise.allSettled(apps.map((app) => readTokens(context, app)));
  const failed = read.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return actions.map((action) => mappedApp(context, action));
}

/** The names of the BlacklistedConsumer components that block an app (by its consumer key, or its name). */
function blockNamesOf(context: LiveContext, app: ObservedApp): string[] {
  const consumerKey = (context.records.connectedAppMetadata.get(app.id)?.oauthConfig as SfRecord | undefined)?.consumerKey;
  return context.records.blocks
    .filter((b) => {
      const target = U.blockTarget(b);
      return target !== undefined && ((typeof consumerKey === 'string' && consumerKey !== '' && target.consumerKey === consumerKey) || target.name === app.name);
    })
    .map((b) => String(b.fullName));
}

async function unblock(context: LiveContext, action: Action): Promise<void> {
  const app = appOf(context, action);
  const names = blockNamesOf(context, app);
  for (let i = 0; i < names.length; i += metadataWriteBatch) {
    refuseFirst(await deleteBlocks(context, [{ app, names: names.slice(i, i + metadataWriteBatch) }]));
  }
}

/** One deleteMetadata of the batch's blocks (at most 10 names in all). */
async function unblockBatch(context: LiveContext, actions: readonly Action[]): Promise<(ActionRefused | undefined)[]> {
  const { items, refused } = sendable(actions, (action) => {
    const app = appOf(context, action);
    return { app, names: blockNamesOf(context, app) };
  });
  return [...(await deleteBlocks(context, items)), ...(refused ? [refused] : [])];
}

async function deleteBlocks(context: LiveContext, items: readonly { app: ObservedApp; names: string[] }[]): Promise<(ActionRefused | undefined)[]> {
  const names = items.flatMap((i) => i.names);
  const results = names.length === 0 ? [] : await context.client.metadataDelete('BlacklistedConsumer', names);
  let at = 0;
  return items.map((item) => {
    const mine = results.slice(at, (at += item.names.length));
    // A block already gone is what unblocking wants.
    return itemRefusal(item.app.name, 'deleteMetadata BlacklistedConsumer', mine.filter((r) => !r.errors.every((e) => e.startsWith('INVALID_CROSS_REFERENCE_KEY'))), mine.length);
  });
}

async function readBackUnblockBatch(context: LiveContext, actions: readonly Action[]): Promise<ReadBack[]> {
  const apps = listedApps(context, actions);
  await readBlocks(context, apps.flatMap((app) => blockNamesOf(context, app)));
  return actions.map((action) => mappedApp(context, action));
}

/** The blocks named (the ones an action wrote or deleted), read again: at most 10 names per readMetadata. */
async function readBlocks(context: LiveContext, names: readonly string[]): Promise<void> {
  const read: SfRecord[] = [];
  for (let i = 0; i < names.length; i += metadataWriteBatch) read.push(...(await context.client.metadataRead('BlacklistedConsumer', names.slice(i, i + metadataWriteBatch))));
  const gone = new Set(names);
  context.records.blocks = [...context.records.blocks.filter((b) => !gone.has(String(b.fullName))), ...read];
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
  const width = context.client.parallelism;
  if (app.type === 'ExternalClientApp') {
    // The users come a page at a time: the next page until one is short (past the last: empty),
    // or brings no user not seen yet (an org that ignored the page asked for).
    const users = new Map<string, SfRecord>();
    for (let page = 0; ; page++) {
      const answered = ((await context.client.restGet(U.usageUsersPath(app.id, page))) as { users?: SfRecord[] } | null)?.users ?? [];
      const before = users.size;
      for (const user of answered) users.set(String(user.userIdentifier), user);
      if (answered.length < U.usageUsersPage || users.size === before) break;
    }
    const userIds = [...users.values()].filter((user) => named === undefined || named.has(usernames.get(String(user.userIdentifier)) ?? String(user.username))).map((user) => String(user.userIdentifier));
    // Each named user's tokens, read side by side; the URLs kept in the users' order.
    const perUser: string[][] = userIds.map(() => []);
    await eachAtMost(width, userIds.keys(), async (i) => {
      const userId = userIds[i]!;
      const tokens = ((await context.client.restGet(U.usageTokensPath(app.id, userId))) as { tokens?: SfRecord[] } | null)?.tokens ?? [];
      for (const token of tokens) if (matches(userId, token.initialConnectionAt) && typeof token.revocationUrl === 'string') perUser[i]!.push(token.revocationUrl);
    });
    const urls = perUser.flat();
    await eachAtMost(width, urls.values(), async (url) => {
      // Only the path: the bearer token never goes to a host the answer names.
      await context.client.restDelete(new URL(url, 'http://org.invalid').pathname.replace(/^\/services\/data\/v\d+\.\d+/, ''));
      context.onRevokeProgress?.(++done, urls.length, app.name);
    });
    return;
  }
  // OauthToken answers at most its cap of rows to a query. The query asks for what the revocation
  // ends (created before the cutoff; the users it names, a chunk of them at a time), so every row
  // is revoked and gone from the next answer: while a query answers the cap, query again. (Asking
  // for all the app's tokens and matching here stopped at a capped answer that held none to end,
  // with tokens to end beyond the cap.)
  // The next chunk's query goes out beside the revokes of this one's answer (its users hold none
  // of these tokens, so its answer is the same), so that no slot waits for it; an answer at the cap
  // is asked again only once each of its tokens is revoked (they leave the next answer).
  const ids = new Map(context.records.users.map((u) => [String(u.Username), String(u.Id)]));
  const chunks = (named === undefined ? [undefined] : revokeChunks([...named]).map((chunk) => chunk.flatMap((user) => ids.get(user) ?? []))).filter((chunk) => chunk === undefined || chunk.length > 0);
  const ask = (chunk: string[] | undefined): Promise<SfRecord[]> => context.client.query(U.revokeTokensSoql(app.name, new Date(cutoff), chunk));
  const slots = new Slots(width);
  let asked = chunks.length > 0 ? ask(chunks[0]) : undefined;
  try {
    for (let c = 0; c < chunks.length && !slots.stopped; c++) {
      for (;;) {
        const rows = await asked!;
        asked = undefined;
        const tokens = rows.filter((t) => matches(String(t.UserId), t.CreatedDate));
        const again = rows.length >= U.oauthTokenCap && tokens.length > 0;
        if (!again && c + 1 < chunks.length) asked = ask(chunks[c + 1]);
        const total = Math.max(action.effects.sessionsEnded, done + tokens.length);
        for (const token of tokens) {
          const started = await slots.start(async () => {
            // A token already gone (revoked by an earlier, interrupted run, or by its user) counts as done.
            await context.client.revokeToken(String(token.DeleteToken));
            context.onRevokeProgress?.(++done, total, app.name);
          });
          if (!started) break;
        }
        if (!again || slots.stopped) break;
        await slots.settled();
        asked = ask(chunks[c]);
      }
    }
  } catch (error) {
    // A query failed: the revokes under way settle before the failure is the action's.
    await slots.settled().catch(() => undefined);
    throw error;
  } finally {
    // Stopped by a failed revoke with the next query out: it settles too (a read; its answer unused).
    await asked?.catch(() => undefined);
  }
  await slots.settled();
}

/**
 * At most `width` tasks at once, started one at a time by their caller (`start` waits for a free
 * slot). After a failure none more starts (`start` answers false); the ones under way settle, and
 * `settled()`, once every task started has, throws the first failure.
 */
class Slots {
  private running = 0;
  private failed: { error: unknown } | undefined;
  private waiting: (() => void)[] = [];

  constructor(private readonly width: number) {}

  /** Whether a task has failed (none more starts). */
  get stopped(): boolean {
    return this.failed !== undefined;
  }

  /** Starts the task once a slot is free; false, not started, once a task has failed. */
  async start(task: () => Promise<void>): Promise<boolean> {
    while (this.running >= Math.max(1, this.width) && this.failed === undefined) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failed !== undefined) return false;
    this.running++;
    void task()
      .catch((error: unknown) => {
        this.failed ??= { error };
      })
      .finally(() => {
        this.running--;
        for (const wake of this.waiting.splice(0)) wake();
      });
    return true;
  }

  /** Every task started has settled; throws the first failure. */
  async settled(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failed !== undefined) throw this.failed.error;
  }
}

/**
 * Runs `work` on each item in turn, at most `width` at once (a slot taking the next item as one
 * ends: never a promise per item). After a failure no item is started; the ones under way
 * settle, and the first failure is thrown.
 */
async function eachAtMost<T>(width: number, items: Iterator<T>, work: (item: T) => Promise<void>): Promise<void> {
  const slots = new Slots(width);
  for (let next = items.next(); next.done !== true; next = items.next()) {
    const item = next.value;
    if (!(await slots.start(() => work(item)))) break;
  }
  await slots.settled();
}

async function readTokens(context: LiveContext, app: ObservedApp): Promise<void> {
  const { client, records } = context;
  const count = await client.count(`SELECT COUNT() FROM OauthToken WHERE AppName = ${soqlText(app.name)}`);
  const rows =
    count === 0
      ? []
      : count <= U.oauthTokenCap
      ? await client.query(U.appTokensSoql(app.name))
      : ((await readTokensByHolders(context, app, count)) ?? (await readOauthTokens(client, records.users.map((u) => String(u.Id)))).tokens.filter((t) => t.AppName === app.name));
  context.tokens.replace(app, rows);
}

/**
 * An app's tokens past the cap, by chunks of the users who held them as last read (tokenChunks,
 * side by side): undefined when that cannot be told complete (a chunk answered the cap, or the
 * chunks hold fewer than the org counts: a user holding none then holds some now).
 */
async function readTokensByHolders(context: LiveContext, app: ObservedApp, count: number): Promise<SfRecord[] | undefined> {
  const { client, records } = context;
  const usernames = new Map(records.users.map((u) => [String(u.Id), String(u.Username)]));
  const holders = new Map<string, { id: string; user: string; held: number }>();
  for (const token of context.tokens.of(app)) {
    const id = String(token.UserId);
    const holder = holders.get(id) ?? { id, user: usernames.get(id) ?? id, held: 0 };
    holders.set(id, holder);
    holder.held++;
  }
  const chunks = tokenChunks([...holders.values()]);
  const parts: SfRecord[][] = chunks.map(() => []);
  await eachAtMost(client.parallelism, chunks.keys(), async (i) => {
    parts[i] = await client.query(`${U.appTokensSoql(app.name)} AND UserId IN (${chunks[i]!.map((h) => `'${soqlId(h.id)}'`).join(', ')})`);
  });
  if (parts.some((part) => part.length >= U.oauthTokenCap)) return undefined;
  const rows = parts.flat();
  return rows.length === count ? rows : undefined;
}

// --- helpers ------------------------------------------------------------------------------------

/** What a batch can send: each action's item in order, up to the first that cannot be sent (its refusal). */
function sendable<T>(actions: readonly Action[], itemOf: (action: Action) => T): { items: T[]; refused?: ActionRefused } {
  const items: T[] = [];
  for (const action of actions) {
    try {
      items.push(itemOf(action));
    } catch (error) {
      if (error instanceof ActionRefused) return { items, refused: error };
      throw error;
    }
  }
  return { items };
}

/** A batch of one: its refusal thrown. */
function refuseFirst(outcomes: readonly (ActionRefused | undefined)[]): void {
  const refused = outcomes.find((o) => o !== undefined);
  if (refused) throw refused;
}

/** The refusal of one action's items of a call, or undefined when none failed. */
function itemRefusal(subject: string, what: string, results: readonly WriteResult[], sent = results.length): ActionRefused | undefined {
  try {
    refuseFailures(subject, what, results, sent);
    return undefined;
  } catch (error) {
    if (error instanceof ActionRefused) return error;
    throw error;
  }
}

/** The apps of the actions that the org lists. */
function listedApps(context: LiveContext, actions: readonly Action[]): ObservedApp[] {
  return actions.flatMap((action) => context.data.apps.filter((a) => a.id === action.app?.id));
}

/** The app of an action as the records now show it. */
function mappedApp(context: LiveContext, action: Action): ReadBack {
  const app = context.data.apps.find((a) => a.id === action.app?.id);
  const mapped = app ? mapApp(context, app) : undefined;
  return { apps: mapped ? [mapped] : [] };
}

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
export function mapApp(context: Pick<LiveContext, 'slug' | 'records' | 'tokens' | 'data'>, app: Pick<ObservedApp, 'id' | 'name'>): ObservedApp | undefined {
  const r = context.records;
  const tokens = context.tokens.of(app);
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

function refuseFailures(subject: string, what: string, results: readonly WriteResult[], sent = results.length): void {
  const failed = results.filter((r) => !r.success);
  if (failed.length === 0) return;
  const errors = failed.flatMap((r) => r.errors).join('; ');
  throw new ActionRefused(`${subject}: the org refused ${failed.length} of ${count(sent, 'item')} of ${what}: ${errors || 'no reason given'}`);
}

function soqlId(id: string): string {
  if (!/^[A-Za-z0-9]+$/.test(id)) throw new ActionRefused(`"${id}" is not an id`);
  return id;
}

function soqlText(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
