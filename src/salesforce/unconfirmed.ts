// Every read that salesforce-api.md marks U (unconfirmed: inferred, or seen only in third-party
// code), in ONE place, so that each can be corrected once tried on a real org. Each entry says
// what is assumed and where the assumption comes from. Nothing else in src/salesforce/ may encode
// one of these assumptions: it calls the function here.
import type { SfRecord } from './client.js';

// --- Org settings (salesforce-api.md §1: U for the CRUD read) -----------------------------------

/** The two settings components, read with readMetadata (CRUD), not retrieve. */
export const settingsReads = [
  { type: 'ConnectedAppSettings', fullName: 'ConnectedApp' },
  { type: 'OauthOidcSettings', fullName: 'OauthOidc' },
] as const;

/**
 * `features.apiAccessControl`: assumed on exactly when ConnectedAppSettings has the element
 * `enableAdminApprovedAppsOnly` at all (absent when Support has not provisioned the feature; seen
 * in a tool's real-org mock, [S21]).
 */
export function apiAccessControlFrom(connectedAppSettings: SfRecord | undefined): boolean {
  return connectedAppSettings !== undefined && connectedAppSettings.enableAdminApprovedAppsOnly !== undefined && connectedAppSettings.enableAdminApprovedAppsOnly !== null;
}

// --- Permissions (salesforce-api.md §1: U for groups) --------------------------------------------

/**
 * A PermissionSet row that is a permission set group's aggregate (PermissionSetGroupId set): its
 * permissions count for the users assigned the group, but it is not one of the org's permission
 * sets (the store's `permissionSets`). Assumed from the PermissionSet field list.
 */
export function isGroupAggregate(row: SfRecord): boolean {
  return typeof row.PermissionSetGroupId === 'string' && row.PermissionSetGroupId !== '';
}

/**
 * CanApproveUninstalledApps is no PermissionSet field: for permission sets (group aggregates too,
 * assumed to answer readMetadata by their Name) it is read from readMetadata('PermissionSet')
 * `userPermissions`; for profiles from the Tooling API's Profile.Metadata (one profile per query,
 * as a tool does, [S21]).
 */
export function holdsCanApprove(metadata: SfRecord | undefined): boolean {
  const perms = metadata?.userPermissions;
  const list = Array.isArray(perms) ? perms : perms ? [perms] : [];
  return list.some((p) => (p as SfRecord)?.name === 'CanApproveUninstalledApps' && String((p as SfRecord).enabled) === 'true');
}

/** The Tooling query for one profile's metadata (Metadata needs a one-row query). */
export function profileMetadataSoql(profileName: string): string {
  return `SELECT Name, Metadata FROM Profile WHERE Name = ${soqlString(profileName)}`;
}

// --- Apps (salesforce-api.md §1, §7 unknowns (1), (2)) -------------------------------------------

/** Which package an installed connected app came from: AppMenuItem.NamespacePrefix (U). */
export const appMenuItemSoql = "SELECT ApplicationId, NamespacePrefix FROM AppMenuItem WHERE Type = 'ConnectedApplication'";

/** `packaged` ⇔ its AppMenuItem has a namespace prefix (U). */
export function packagedFrom(menuItem: SfRecord | undefined): boolean {
  return typeof menuItem?.NamespacePrefix === 'string' && menuItem.NamespacePrefix !== '';
}

/**
 * ConnectedApp metadata joins ConnectedApplication by label = Name: whether FileProperties.id
 * equals ConnectedApplication.Id is unknown (§7 (2)), the label is what both show.
 */
export function connectedAppKey(metadata: SfRecord): string | undefined {
  return typeof metadata.label === 'string' && metadata.label !== '' ? metadata.label : undefined;
}

/** External client apps: no official doc for these objects; the queries ship in a tool [S21]. */
export const externalClientAppSoql = 'SELECT Id, MasterLabel, DeveloperName, LastModifiedDate FROM ExternalClientApplication ORDER BY Id';

/**
 * An external client app's OAuth policies: metadata type ExtlClntAppOauthConfigurablePolicies,
 * joined to the app by its `externalClientApplication` element (the app's DeveloperName), as
 * sfdx source trees name it.
 */
export const externalClientAppPolicyType = 'ExtlClntAppOauthConfigurablePolicies';
export function externalClientAppPolicyKey(metadata: SfRecord): string | undefined {
  return typeof metadata.externalClientApplication === 'string' ? metadata.externalClientApplication : undefined;
}

/** ECAs are assumed never packaged here: DistributionState is not read yet (U). */
export const externalClientAppPackaged = false;

/**
 * A block (BlacklistedConsumer) names its app by consumer key, falling back to the name (U
 * mapping). A block made by allowlisting itself (`blockedByApiWhitelisting` true) is not the
 * app's `blocked` state.
 */
export function blockTarget(block: SfRecord): { consumerKey?: string; name?: string } | undefined {
  if (String(block.blockedByApiWhitelisting) === 'true') return undefined;
  return {
    ...(typeof block.consumerKey === 'string' && block.consumerKey !== '' ? { consumerKey: block.consumerKey } : {}),
    ...(typeof block.consumerName === 'string' && block.consumerName !== '' ? { name: block.consumerName } : {}),
  };
}

/**
 * An uninstalled app: an OauthToken.AppName that matches no installed app and has no AppMenuItem
 * ([S22] "phantom" apps), or a block that names no installed app. Only its label is known.
 */
export function isUninstalledToken(token: SfRecord): boolean {
  const item = token.AppMenuItem as SfRecord | null | undefined;
  return item === null || item === undefined || typeof item.ApplicationId !== 'string';
}

// --- Metadata reused between reads (salesforce-api.md §1 listMetadata, [S4] FileProperties) ------

/**
 * The metadata types a refresh reads again only for the components whose listMetadata
 * `FileProperties.lastModifiedDate` moved since the last read (the others are taken from
 * `.live-metadata.json`). U: that the date moves on every change of the component (a save
 * through the Metadata API or an edit in Setup; a component deleted and made again is a new
 * date), and moves by more than its resolution between a read and the next change (it is
 * compared as text, so a change in the same second as the save before it, when the org gives
 * whole seconds, would go unseen). Take a type out of this list to read it in full every time.
 * ConnectedApp is not here: it goes by ConnectedApplication.LastModifiedDate.
 */
export const reusedByLastModifiedDate: ReadonlySet<string> = new Set([externalClientAppPolicyType, 'BlacklistedConsumer', 'PermissionSet']);

/**
 * A listMetadata entry's lastModifiedDate when it can tell the component unchanged: a dateTime
 * after the epoch (U: an org answers 1970-01-01T00:00:00.000Z for components it keeps no date
 * of, as it does for standard ones). Anything else (missing, malformed, the epoch) is undefined:
 * the component is read.
 */
export function componentLastModified(file: { lastModifiedDate?: unknown }): string | undefined {
  const date = file.lastModifiedDate;
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/.test(date)) return undefined;
  const ms = Date.parse(date);
  return Number.isFinite(ms) && ms > 0 ? date : undefined;
}

// --- Sessions (salesforce-api.md §1, §7 unknown (5)) ---------------------------------------------

/**
 * The OauthToken fields read. Never DeleteToken (a secret: revokes read it, one app at a time).
 * External client apps' tokens are assumed to appear here too, with AppMenuItem.ApplicationId the
 * app's id (U (5)); the documented source is the usage resource /apps/oauth/usage.
 */
export const oauthTokenFields = 'AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount';

/**
 * Past 2,500 rows OauthToken answers nothing more (U (5): whether `done` says so). capctl counts
 * first and reads in chunks of users so no single query passes the cap.
 */
export const oauthTokenCap = 2500;

/**
 * What lets a refresh skip re-reading every token when none moved (oauth-tokens.ts
 * askTokensSinceLastRead), all U: OauthToken takes a dateTime filter on CreatedDate and
 * LastUsedDate ([S22] filters CreatedDate with Bulk); CreatedDate is the org's clock when the token
 * was issued, so no token appears with a CreatedDate earlier than the last one a read saw; a use
 * moves LastUsedDate to the time of the use, and UseCount only moves with it.
 */
export function tokensSinceSoql(field: 'CreatedDate' | 'LastUsedDate', fromMs: number): string {
  return `SELECT ${oauthTokenFields} FROM OauthToken WHERE ${field} >= ${new Date(fromMs).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/** A token never used has no LastUsedDate (U): its last use is taken as its creation. */
export function lastUsedOf(token: SfRecord): unknown {
  return token.LastUsedDate ?? token.CreatedDate;
}

function soqlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// --- Writes (salesforce-api.md §2) ---------------------------------------------------------------

/** A block capctl makes is the BlacklistedConsumer `capctl_<app id>` (U: CRUD support for the type). */
export function blockFullName(appId: string): string {
  return `capctl_${appId}`;
}

/**
 * What a ConnectedApp update sends back: the whole component as read (an update replaces it),
 * never its consumerSecret. The consumerKey is kept (U: whether it may be sent back).
 */
export function connectedAppToSend(component: SfRecord): SfRecord {
  const config = component.oauthConfig as SfRecord | undefined;
  if (!config || typeof config !== 'object') return { ...component };
  const { consumerSecret: _secret, ...kept } = config;
  return { ...component, oauthConfig: kept };
}

/**
 * The tokens a revocation of one connected app ends, with their DeleteToken (a secret: held in
 * memory for the revoke calls only): queried per app by AppName ([S22] way (c)), created before
 * `before` (a whole second: a cutoff with a fraction is rounded up, and the caller drops what it
 * let in), of the users `userIds` when the revocation names some. That OauthToken filters on
 * CreatedDate with `<` and on UserId with IN, and that an installed app's tokens carry its label as
 * AppName, are U. The filter is what lets a revocation get past the 2,500-row cap: every row of a
 * capped answer is revoked, so the next query answers the rest.
 */
export function revokeTokensSoql(appName: string, before: Date, userIds?: readonly string[]): string {
  const ms = before.getTime();
  const bound = new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const users = userIds === undefined ? '' : ` AND UserId IN (${userIds.map(soqlString).join(', ')})`;
  return `SELECT UserId, CreatedDate, DeleteToken FROM OauthToken WHERE AppName = ${soqlString(appName)} AND CreatedDate < ${bound}${users}`;
}

/** The tokens of one app as the reader reads them (never DeleteToken), for the read-back of an action. */
export function appTokensSoql(appName: string): string {
  return `SELECT ${oauthTokenFields} FROM OauthToken WHERE AppName = ${soqlString(appName)}`;
}

/**
 * External client apps' sessions end through the usage resources ([S12]): the users of the app
 * (`/apps/oauth/usage/{appId}/users?page=&pageSize=100` → `users[].userIdentifier`, page after page
 * until one holds fewer than 100), each user's tokens (`…/{appId}/
 * {userId}/tokens` → `tokens[].initialConnectionAt`, `revocationUrl`), and a DELETE of each token's
 * revocationUrl (U: the answers' field names beyond those the reference lists).
 */
export const usageUsersPath = (appId: string, page: number): string => `/apps/oauth/usage/${encodeURIComponent(appId)}/users?page=${page}&pageSize=${usageUsersPage}`;
/** The users resource answers a page at a time ([S12]: `page` from 0, `pageSize` 100 by default); a page past the last is empty. */
export const usageUsersPage = 100;
export const usageTokensPath = (appId: string, userId: string): string => `/apps/oauth/usage/${encodeURIComponent(appId)}/${encodeURIComponent(userId)}/tokens`;
