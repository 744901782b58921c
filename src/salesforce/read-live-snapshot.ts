// One read of a live org into the store's snapshot model, in the order salesforce-api.md §7
// lays out: the org and its permission set fields; permission sets, users, assignments; apps and
// their assignments; metadata (ConnectedApp only for apps whose LastModifiedDate moved since the
// last read; external client app policies, blocks and permission sets only for components whose
// listMetadata lastModifiedDate moved; 10 names per call); the settings; tokens past their cap. Independent reads run
// together; the client bounds how many are in flight. Every call goes through the SfClient.
import { SalesforceError, type OrgSnapshot } from '../model/index.js';
import { sortAppsByName } from '../store/app-order.js';
import { isPlainObject } from '../store/json-format.js';
import { digestOfData } from '../store/store-digest.js';
import { metadataReadBatch, type LimitInfo, type MetadataFile, type SfClient, type SfRecord } from './client.js';
import { mapSnapshot, UnmappableRecord, type LiveRecords, type MappedSnapshot } from './map-snapshot.js';
import { askTokensSinceLastRead, countAllSoql, readOauthTokens, sessionsDigest, usersDigest, worthReadingSince, type SessionsCache } from './oauth-tokens.js';
import * as U from './unconfirmed.js';

/** What the last read remembered of each installed connected app, to skip its metadata while it has not moved. */
export interface AppMetadataCacheEntry {
  /** ConnectedApplication.LastModifiedDate when it was read. */
  lastModified: string;
  /** Its ConnectedApp metadata fullName. */
  fullName: string;
  /** The metadata fields the snapshot uses: oauthPolicy and oauthConfig.consumerKey (never a secret). */
  metadata: SfRecord;
}

/** The cache of one org: by app id. Plain JSON, so it can be kept beside the store. */
export type AppMetadataCache = Record<string, AppMetadataCacheEntry>;

/** What the last read kept of one metadata component, to skip it while listMetadata shows it unmoved. */
export interface ComponentCacheEntry {
  /** Its FileProperties.lastModifiedDate when it was read (U.componentLastModified). */
  lastModified: string;
  /** What the snapshot and apply's executors use of it (`keptOf`): never a secret. */
  record: SfRecord;
}

/** The components of the types U.reusedByLastModifiedDate names: by type, then fullName. Plain JSON. */
export type ComponentCache = Record<string, Record<string, ComponentCacheEntry>>;

/** The metadata cache file (`.live-metadata.json`) as written since the components were kept: format 2. */
export interface MetadataCacheFile {
  format: 2;
  connectedApps: AppMetadataCache;
  components: ComponentCache;
}

/** The file's content for a read's caches. */
export function metadataCacheFile(appMetadata: AppMetadataCache, components: ComponentCache): MetadataCacheFile {
  return { format: 2, connectedApps: appMetadata, components };
}

/**
 * The caches a metadata cache file holds. A file of before format 2 (the connected apps' cache
 * alone, by app id) gives no components: they are then all read. An entry of the wrong shape is
 * dropped (read again), never used.
 */
export function parseMetadataCache(value: unknown): { appMetadata: AppMetadataCache; components: ComponentCache } {
  if (!isPlainObject(value)) return { appMetadata: {}, components: {} };
  if (value.format !== 2) return { appMetadata: value as AppMetadataCache, components: {} };
  const appMetadata = isPlainObject(value.connectedApps) ? (value.connectedApps as AppMetadataCache) : {};
  const components: ComponentCache = {};
  const byType = isPlainObject(value.components) ? value.components : {};
  for (const [type, entries] of Object.entries(byType)) {
    if (!isPlainObject(entries)) continue;
    const kept: Record<string, ComponentCacheEntry> = {};
    for (const [fullName, entry] of Object.entries(entries)) {
      if (isPlainObject(entry) && typeof entry.lastModified === 'string' && isPlainObject(entry.record) && entry.record.fullName === fullName) kept[fullName] = { lastModified: entry.lastModified, record: entry.record };
    }
    components[type] = kept;
  }
  return { appMetadata, components };
}

/** How a read goes. */
export interface ReadLiveOptions {
  /**
   * The last read: its snapshot (for the store revision) and its metadata cache. May be a promise
   * (the state folder still being read): the reads that do not need it start meanwhile.
   */
  previous?: PreviousRead | Promise<PreviousRead | undefined>;
  signal?: AbortSignal;
  /** Called as each step starts, for a progress line. */
  onProgress?: (step: string) => void;
  /** Users per OauthToken chunk (default 256). */
  userChunk?: number;
}

/** What the last read left: the state folder's snapshot and the caches beside it. */
export interface PreviousRead {
  snapshot: OrgSnapshot;
  appMetadata: AppMetadataCache;
  /** The components kept by the last read (absent: an older cache, every component is read). */
  components?: ComponentCache;
  sessions?: SessionsCache;
}

/** A read's result: the snapshot, how many calls it took, the org's API usage, and what could not be read. */
export interface LiveRead {
  snapshot: OrgSnapshot;
  calls: number;
  limitInfo?: LimitInfo;
  warnings: string[];
  /** The metadata cache for the next read. */
  appMetadata: AppMetadataCache;
  /** The components cache for the next read (kept in the same file). */
  components: ComponentCache;
  /** What the next read needs to take unmoved tokens from the store (absent when some could not be read; worked out when first asked for). */
  sessions?: SessionsCache;
  /** Tokens taken from the store, proved unmoved (oauth-tokens.ts finishTokensSinceLastRead), rather than read again. */
  tokensReused: number;
  /** Tokens the org counted but that could not be read (OauthToken's cap). */
  tokensMissing: number;
  /** The records as the API answered them (never a DeleteToken): what apply's read-backs map again. */
  records: LiveRecords;
}

const permissionFieldNames = ['PermissionsViewSetup', 'PermissionsManageUsers', 'PermissionsCustomizeApplication', 'PermissionsModifyAllData', 'PermissionsManageRemoteAccess', 'PermissionsInstallPackaging'];

/** Reads a live org as a snapshot of the store model. Throws SalesforceError when the org cannot be read. */
export async function readLiveSnapshot(client: SfClient, slug: string, options: ReadLiveOptions = {}): Promise<LiveRead> {
  const step = (name: string): void => {
    if (options.signal?.aborted) throw new SalesforceError(`${client.connection}: the read was stopped before ${name}`, 'timeout', client.connection);
    options.onProgress?.(name);
  };
  const startCalls = client.stats().calls;

  // Each read starts as soon as what it needs is in: the long queries (User, PermissionSetAssignment:
  // a chain of pages each) start first and run beside everything else; the tokens need the users
  // (their ids) and the installed apps, the metadata the permission sets and the apps. One
  // Promise.all awaits them all, so a failure of any is the read's, and none goes unhandled.
  step('org');
  const describeRead = client.describe('PermissionSet');
  const organizationRead = client.query('SELECT Id, Name, OrganizationType, IsSandbox FROM Organization');
  step('users and permission sets');
  // Both chains of pages, each a query locator's pages one after the other, are read from both
  // ends at once (ORDER BY Id and ORDER BY Id DESC, joined where they meet): the same rows in
  // the same order, in about half as many pages one after the other.
  const usersRead = client.queryFromBothEnds('SELECT Id, Username, IsActive, Profile.Name FROM User ORDER BY Id');
  const assignmentsRead = client.queryFromBothEnds('SELECT AssigneeId, PermissionSetId FROM PermissionSetAssignment WHERE IsActive = TRUE ORDER BY Id');
  const permissionSetsRead = describeRead.then((describe) => {
    const fieldNames = new Set(describe.fields.map((f) => f.name));
    const permissionFields = [...permissionFieldNames, ...(fieldNames.has('PermissionsUseAnyApiClient') ? ['PermissionsUseAnyApiClient'] : [])];
    return client.query(`SELECT Id, Name, Label, IsOwnedByProfile, PermissionSetGroupId, Profile.Name, ${permissionFields.join(', ')} FROM PermissionSet ORDER BY Id`);
  });

  step('apps');
  const connectedAppsRead = client.query('SELECT Id, Name, LastModifiedDate, OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication ORDER BY Id');
  const menuItemsRead = client.query(U.appMenuItemSoql);
  const externalClientAppsRead = client.query(U.externalClientAppSoql);
  const setupEntityAccessRead = client.query("SELECT ParentId, SetupEntityId FROM SetupEntityAccess WHERE SetupEntityType IN ('ConnectedApplication', 'ExternalClientApplication') ORDER BY Id");

  const previousRead = Promise.resolve(options.previous);
  const metadataRead = Promise.all([permissionSetsRead, connectedAppsRead, previousRead]).then(async ([permissionSets, connectedApps, previous]) => {
    step('metadata');
    const profileNames = permissionSets.filter((s) => s.IsOwnedByProfile === true).map((s) => String((s.Profile as SfRecord | null)?.Name ?? ''));
    const setNames = permissionSets.filter((s) => s.IsOwnedByProfile !== true).map((s) => String(s.Name));
    const cached = previous?.components ?? {};
    const [connectedAppRead, ecaPolicies, blocks, settings, setMetadata, profileMetadata] = await Promise.all([
      readConnectedAppMetadata(client, connectedApps, previous?.appMetadata ?? {}),
      readComponents(client, U.externalClientAppPolicyType, cached),
      readComponents(client, 'BlacklistedConsumer', cached),
      Promise.all(U.settingsReads.map(async (s) => (await client.metadataRead(s.type, [s.fullName]))[0])),
      readComponents(client, 'PermissionSet', cached, setNames),
      Promise.all(profileNames.map(async (name) => (await client.toolingQuery(U.profileMetadataSoql(name)))[0])),
    ]);
    const canApprove = {
      profiles: new Set(profileMetadata.filter((p) => U.holdsCanApprove(p?.Metadata as SfRecord | undefined)).map((p) => String(p!.Name))),
      permissionSets: new Set(setMetadata.records.filter((m) => m.canApprove === true).map((m) => String(m.fullName))),
    };
    const components: ComponentCache = { [U.externalClientAppPolicyType]: ecaPolicies.cache, BlacklistedConsumer: blocks.cache, PermissionSet: setMetadata.cache };
    return { connectedAppRead, ecaPolicies: ecaPolicies.records, blocks: blocks.records, settings, canApprove, components };
  });

  // The tokens: their count at once; the queries of those that moved since the last read as soon
  // as the state folder and the installed apps are in (they need no user); the rest once the
  // users are (their ids: the chunks, and the proof that the store's holders are still those users).
  const countRead = client.count(countAllSoql);
  const sinceRead = Promise.all([countRead, previousRead, connectedAppsRead, externalClientAppsRead]).then(([counted, previous, connectedApps, externalClientApps]) =>
    previous?.sessions && worthReadingSince(counted)
      ? askTokensSinceLastRead(client, {
          apps: previous.snapshot.apps,
          cache: previous.sessions,
          installed: new Map([...connectedApps.map((a) => [String(a.Id), String(a.Name)] as const), ...externalClientApps.map((a) => [String(a.Id), String(a.MasterLabel)] as const)]),
        })
      : undefined,
  );
  const tokensRead = Promise.all([usersRead, countRead, sinceRead]).then(([users, counted, since]) => {
    step('sessions');
    return readOauthTokens(
      client,
      users.map((u) => String(u.Id)),
      { ...(options.userChunk !== undefined ? { userChunk: options.userChunk } : {}), userIdByName: new Map(users.map((u) => [String(u.Username), String(u.Id)])), counted, ...(since ? { since } : {}) },
    );
  });

  const [organizations, permissionSets, users, assignments, connectedApps, menuItems, externalClientApps, setupEntityAccess, metadata, tokenRead, previous] = await Promise.all([
    organizationRead,
    permissionSetsRead,
    usersRead,
    assignmentsRead,
    connectedAppsRead,
    menuItemsRead,
    externalClientAppsRead,
    setupEntityAccessRead,
    metadataRead,
    tokensRead,
    previousRead,
  ]);
  const organization = organizations[0];
  if (!organization) throw new SalesforceError(`${client.connection}: malformed response: the Organization query returned no row`, 'malformed', client.connection);
  const { connectedAppRead, ecaPolicies, blocks, settings, canApprove, components } = metadata;
  const userIdByName = new Map(users.map((u) => [String(u.Username), String(u.Id)]));

  step('snapshot');
  const records: LiveRecords = {
    organization,
    permissionSets,
    users,
    assignments,
    connectedApps,
    menuItems,
    externalClientApps,
    setupEntityAccess,
    connectedAppMetadata: connectedAppRead.byAppId,
    externalClientAppPolicies: ecaPolicies,
    blocks,
    connectedAppSettings: settings[0],
    oauthOidcSettings: settings[1],
    canApprove,
    tokens: tokenRead.tokens,
    ...(tokenRead.kept ? { kept: tokenRead.kept } : {}),
  };
  let mapped: MappedSnapshot;
  try {
    mapped = mapSnapshot(slug, records, previous?.snapshot.org.revision ?? 0);
  } catch (err) {
    if (err instanceof UnmappableRecord) throw new SalesforceError(`${client.connection}: malformed response: ${err.message}`, 'malformed', client.connection, { cause: err });
    throw err;
  }
  sortAppsByName(mapped.apps);
  // The digest formats every app: worked out when first asked for (a plan's basis, a refresh that
  // writes), never by a refresh where nothing moved. Values are immutable, so it is the same then.
  const data = { org: mapped.org, users: mapped.users, apps: [...mapped.apps] };
  let digest: string | undefined;
  const snapshot = { slug, org: mapped.org, users: mapped.users, apps: mapped.apps } as OrgSnapshot;
  Object.defineProperty(snapshot, 'digest', { enumerable: true, configurable: true, get: () => (digest ??= digestOfData(data)) });
  const stats = client.stats();
  const read: LiveRead = {
    snapshot,
    calls: stats.calls - startCalls,
    ...(stats.limitInfo ? { limitInfo: stats.limitInfo } : {}),
    warnings: [...connectedAppRead.warnings, ...tokenRead.warnings, ...mapped.warnings],
    appMetadata: connectedAppRead.cache,
    components,
    tokensMissing: tokenRead.missing,
    tokensReused: tokenRead.reused,
    records,
  };
  // The sessions cache digests every session: worked out only when a refresh writes it (a plan,
  // or a refresh where nothing moved, never does), from this read's snapshot.
  if (tokenRead.missing === 0) {
    let cache: SessionsCache | undefined | null = null;
    Object.defineProperty(read, 'sessions', { enumerable: true, configurable: true, get: () => (cache === null ? (cache = sessionsCacheOf(snapshot, userIdByName)) : cache) });
  }
  return read;
}

function sessionsCacheOf(snapshot: OrgSnapshot, userIdByName: ReadonlyMap<string, string>): SessionsCache | undefined {
  const users = usersDigest(snapshot.apps, userIdByName);
  return users === undefined ? undefined : { digest: sessionsDigest(snapshot.apps), users };
}

/**
 * ConnectedApp metadata: listMetadata for the fullNames, then readMetadata (10 per call) of every
 * component not held by an app whose LastModifiedDate has not moved since the cache was made.
 */
async function readConnectedAppMetadata(
  client: SfClient,
  apps: SfRecord[],
  cache: AppMetadataCache,
): Promise<{ byAppId: Map<string, SfRecord>; cache: AppMetadataCache; warnings: string[] }> {
  const byAppId = new Map<string, SfRecord>();
  const next: AppMetadataCache = {};
  const warnings: string[] = [];
  const listed: MetadataFile[] = apps.length === 0 ? [] : await client.metadataList('ConnectedApp');
  const listedNames = new Set(listed.map((f) => f.fullName));
  const kept = new Set<string>();
  const idByName = new Map<string, string>();
  for (const app of apps) {
    const id = String(app.Id);
    idByName.set(String(app.Name), id);
    const entry = cache[id];
    if (entry && entry.lastModified === String(app.LastModifiedDate) && listedNames.has(entry.fullName)) {
      byAppId.set(id, entry.metadata);
      next[id] = entry;
      kept.add(entry.fullName);
    }
  }
  const toRead = listed.map((f) => f.fullName).filter((name) => !kept.has(name));
  const read = await readInBatches(client, 'ConnectedApp', toRead);
  const lastModified = new Map(apps.map((a) => [String(a.Id), String(a.LastModifiedDate)]));
  for (const component of read) {
    const key = U.connectedAppKey(component);
    const id = key === undefined ? undefined : idByName.get(key);
    if (id === undefined) continue; // metadata of an app the org does not list as installed
    const metadata: SfRecord = { oauthPolicy: component.oauthPolicy ?? null, oauthConfig: { consumerKey: (component.oauthConfig as SfRecord | undefined)?.consumerKey ?? null } };
    byAppId.set(id, metadata);
    next[id] = { lastModified: lastModified.get(id)!, fullName: String(component.fullName), metadata };
  }
  return { byAppId, cache: next, warnings };
}

/**
 * What the read keeps of a component of these types, for the records and the cache alike (so that
 * a component taken from the cache gives the records a read gives): the fields the mapping
 * (map-snapshot.ts) and apply's executors (live-executors.ts: the fullName, the block's target)
 * use, copied as the org answered them; a permission set's `userPermissions` only as whether it
 * holds CanApproveUninstalledApps (U.holdsCanApprove). None carries a secret.
 */
const keptFields: Record<string, readonly string[]> = {
  [U.externalClientAppPolicyType]: ['fullName', 'externalClientApplication', 'permittedUsersPolicyType', 'ipRelaxationPolicyType', 'refreshTokenPolicyType', 'refreshTokenValidityPeriod', 'refreshTokenValidityUnit'],
  BlacklistedConsumer: ['fullName', 'consumerKey', 'consumerName', 'blockedByApiWhitelisting'],
};

function keptOf(type: string, component: SfRecord): SfRecord {
  if (type === 'PermissionSet') return { fullName: component.fullName, canApprove: U.holdsCanApprove(component) };
  const kept: SfRecord = {};
  for (const field of keptFields[type] ?? []) if (component[field] !== undefined) kept[field] = component[field];
  return kept;
}

/**
 * The components of one type (those of `names`, else every one listMetadata lists), as `keptOf`
 * keeps them, in the order named or listed: one listMetadata, then readMetadata (10 per call) of
 * every component that is new, has no usable lastModifiedDate, or whose lastModifiedDate differs
 * from the cache's (U.reusedByLastModifiedDate: of a type not named there, every component). The
 * cache for the next read holds the components read or reused; those gone from the list are not in it.
 */
async function readComponents(client: SfClient, type: string, cache: ComponentCache, names?: readonly string[]): Promise<{ records: SfRecord[]; cache: Record<string, ComponentCacheEntry> }> {
  const next: Record<string, ComponentCacheEntry> = {};
  if (names?.length === 0) return { records: [], cache: next };
  const listed = await client.metadataList(type);
  const dates = new Map(listed.map((f) => [f.fullName, U.componentLastModified(f)]));
  const wanted = names ?? listed.map((f) => f.fullName);
  const wantedNames = new Set(wanted);
  const previous = U.reusedByLastModifiedDate.has(type) ? (cache[type] ?? {}) : {};
  const byName = new Map<string, SfRecord>();
  const toRead: string[] = [];
  for (const name of wanted) {
    const date = dates.get(name);
    const entry = Object.hasOwn(previous, name) ? previous[name] : undefined;
    if (date !== undefined && entry !== undefined && entry.lastModified === date) {
      byName.set(name, entry.record);
      next[name] = entry;
    } else {
      toRead.push(name);
    }
  }
  // A component the org answers under a name not asked for (or twice) is kept after the others, as a full read keeps it.
  const unasked: SfRecord[] = [];
  for (const component of await readInBatches(client, type, toRead)) {
    const fullName = String(component.fullName);
    const record = keptOf(type, component);
    if (!wantedNames.has(fullName) || byName.has(fullName)) {
      unasked.push(record);
      continue;
    }
    byName.set(fullName, record);
    const date = dates.get(fullName);
    if (date !== undefined) next[fullName] = { lastModified: date, record };
  }
  const records: SfRecord[] = [];
  for (const name of wanted) {
    const record = byName.get(name);
    if (record) records.push(record);
  }
  return { records: [...records, ...unasked], cache: next };
}

async function readInBatches(client: SfClient, type: string, names: readonly string[]): Promise<SfRecord[]> {
  const batches: string[][] = [];
  for (let i = 0; i < names.length; i += metadataReadBatch) batches.push(names.slice(i, i + metadataReadBatch));
  return (await Promise.all(batches.map((batch) => client.metadataRead(type, batch)))).flat();
}
