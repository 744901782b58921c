// The fake org's data, built from a store snapshot (org-state/<org>/ as the file store reads it):
// the sObject tables capctl queries and the metadata components it reads, shaped as Salesforce
// keeps them. What the store says and Salesforce keeps elsewhere is spread out here the way a real
// org holds it:
// - a user's permissions come from their profile (what every user of the profile holds) plus
//   permission set groups made up for the rest (a group's aggregate permission set is not one of
//   the org's permission sets), so that the store's permissionSets stay exactly the org's;
// - CanApproveUninstalledApps, which is no PermissionSet field, lives only in the profile's and
//   permission sets' metadata (userPermissions);
// - ids are made up in seed order (prefix + a 15-digit counter), so ORDER BY Id is seed order;
// - an uninstalled app exists only as its tokens (OauthToken.AppName, no AppMenuItem) and, when
//   blocked, as its BlacklistedConsumer; the flow and denied attempts are nowhere (no API has them).
import { createHash } from 'node:crypto';
import type { ObservedApp, OrgSnapshot, Permission } from '../model/index.js';
import { connectedAppRefreshCodec, externalClientAppRefreshCodec } from '../metadata/field-map.js';
import type { Row } from './soql.js';

/** A metadata component as readMetadata returns it: fields, nested objects, repeated elements as arrays. */
export type Component = Record<string, unknown>;

/** The fake org's state. Tables by sObject name; metadata by type, then fullName. */
export interface FakeOrgData {
  orgId: string;
  tables: Record<string, Row[]>;
  /** The fields (and relationship paths) each table answers. */
  fields: Record<string, Set<string>>;
  /** Per table, the fields a query finds rows by through an index (soql.ts evaluate): never edit them in place. */
  indexed: Record<string, string[]>;
  /** Per table, the dateTime fields a `>=` / `>` finds rows by through a sorted index (soql.ts evaluate; these may be edited in place). */
  ranged: Record<string, string[]>;
  /** Tooling API tables (Profile with its Metadata). */
  tooling: Record<string, Row[]>;
  toolingFields: Record<string, Set<string>>;
  metadata: Map<string, Map<string, Component & { __lastModified: string }>>;
  /** The PermissionSet fields the describe lists. */
  permissionSetFields: string[];
  usernames: Set<string>;
}

/** The permissions that are PermissionSet fields (`Permissions<Name>`); UseAnyApiClient only with API Access Control. */
const fieldPermissions: Permission[] = ['ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ModifyAllData', 'ManageRemoteAccess', 'InstallPackaging', 'UseAnyApiClient'];

const seedModified = '2026-01-01T00:00:00.000+0000';

function idMaker(): (prefix: string) => string {
  const counters = new Map<string, number>();
  return (prefix) => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    return `${prefix}${String(n).padStart(15, '0')}`;
  };
}

/** The API name a label gets (what Setup proposes): letters, digits and underscores. */
export function apiName(label: string): string {
  const name = label.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Za-z]/.test(name) ? name : `X${name}`;
}

/** The consumer key the fake gives an app: deterministic, shaped like one (3MVG9…), obviously not real. */
export function fakeConsumerKey(appName: string): string {
  return `3MVG9FAKE${createHash('sha256').update(`consumer:${appName}`).digest('hex').slice(0, 40)}`;
}

function attrs(type: string, id?: string): { type: string; url?: string } {
  return id ? { type, url: `/services/data/v62.0/sobjects/${type}/${id}` } : { type };
}

/** Builds the fake org from a snapshot of the store. */
export function seedFakeOrg(snapshot: OrgSnapshot): FakeOrgData {
  const id = idMaker();
  const { org, users, apps } = snapshot;
  const apiAccessControl = org.features.apiAccessControl;
  const permissionFields = fieldPermissions.filter((p) => p !== 'UseAnyApiClient' || apiAccessControl);
  const permissionSetFields = ['Id', 'Name', 'Label', 'IsOwnedByProfile', 'ProfileId', 'PermissionSetGroupId', 'NamespacePrefix', ...permissionFields.map((p) => `Permissions${p}`)];

  // Profiles and their profile-owned permission sets: what every user of the profile holds.
  const profileRows: Row[] = [];
  const permissionSets: Row[] = [];
  const profileSetId = new Map<string, string>();
  const profileHeld = new Map<string, Set<Permission>>();
  for (const name of org.profiles) {
    const members = users.filter((u) => u.profile === name);
    const held = new Set<Permission>(members[0]?.permissions ?? []);
    for (const u of members) for (const p of [...held]) if (!u.permissions.includes(p)) held.delete(p);
    profileHeld.set(name, held);
    const profileId = id('00e');
    profileRows.push({ attributes: attrs('Profile', profileId), Id: profileId, Name: name });
    const setId = id('0PS');
    profileSetId.set(name, setId);
    permissionSets.push(permissionSetRow(setId, `X00e${profileId.slice(3)}`, `${name} (profile)`, true, { Id: profileId, Name: name }, null, held, permissionFields));
  }
  const setIdByName = new Map<string, string>();
  for (const name of org.permissionSets) {
    const setId = id('0PS');
    setIdByName.set(name, setId);
    permissionSets.push(permissionSetRow(setId, apiName(name), name, false, null, null, new Set(), permissionFields));
  }
  // Permission set groups for what a user holds beyond their profile: one per distinct remainder.
  const groupByExtra = new Map<string, { setId: string; name: string; extra: Permission[] }>();
  const userRows: Row[] = [];
  const assignments: Row[] = [];
  const userIdByName = new Map<string, string>();
  for (const user of users) {
    const userId = id('005');
    userIdByName.set(user.username, userId);
    const profileId = profileRows.find((p) => p.Name === user.profile)!.Id as string;
    userRows.push({ attributes: attrs('User', userId), Id: userId, Username: user.username, IsActive: user.active, ProfileId: profileId, Profile: { attributes: attrs('Profile', profileId), Name: user.profile } });
    assignments.push(assignment(id('0Pa'), userId, profileSetId.get(user.profile)!, null));
    for (const set of user.permissionSets) assignments.push(assignment(id('0Pa'), userId, setIdByName.get(set)!, null));
    const extra = user.permissions.filter((p) => !profileHeld.get(user.profile)!.has(p)).sort();
    if (extra.length === 0) continue;
    const key = extra.join(',');
    let group = groupByExtra.get(key);
    if (!group) {
      const groupId = id('0PG');
      const setId = id('0PS');
      group = { setId, name: `FakeExtraPermissions${groupByExtra.size + 1}`, extra };
      groupByExtra.set(key, group);
      permissionSets.push(permissionSetRow(setId, `${group.name}_aggregate`, `${group.name} (group)`, false, null, groupId, new Set(extra), permissionFields));
    }
    assignments.push(assignment(id('0Pa'), userId, group.setId, permissionSets.find((s) => s.Id === group!.setId)!.PermissionSetGroupId as string));
  }

  // Metadata: profiles (Tooling) and permission sets hold CanApproveUninstalledApps.
  const metadata = new Map<string, Map<string, Component & { __lastModified: string }>>();
  const put = (type: string, component: Component): void => {
    let byName = metadata.get(type);
    if (!byName) metadata.set(type, (byName = new Map()));
    byName.set(component.fullName as string, { ...component, __lastModified: seedModified });
  };
  const toolingProfiles: Row[] = profileRows.map((p) => ({
    attributes: attrs('Profile', p.Id as string),
    Id: p.Id,
    Name: p.Name,
    Metadata: { userPermissions: profileHeld.get(p.Name as string)!.has('CanApproveUninstalledApps') ? [{ enabled: true, name: 'CanApproveUninstalledApps' }] : [] },
  }));
  for (const set of permissionSets) {
    if (set.IsOwnedByProfile) continue;
    const group = [...groupByExtra.values()].find((g) => g.setId === set.Id);
    const userPermissions = group?.extra.includes('CanApproveUninstalledApps') ? [{ enabled: 'true', name: 'CanApproveUninstalledApps' }] : [];
    put('PermissionSet', { fullName: set.Name, label: set.Label, userPermissions });
  }
  put('ConnectedAppSettings', { fullName: 'ConnectedApp', ...(apiAccessControl ? { enableAdminApprovedAppsOnly: String(org.settings.adminApprovedAppsOnly) } : {}) });
  put('OauthOidcSettings', {
    fullName: 'OauthOidc',
    blockOAuthUnPwFlow: String(org.settings.oauthFlows.blockUsernamePassword),
    blockOAuthUsrAgtFlow: String(org.settings.oauthFlows.blockUserAgent),
    oAuthCdCrdtFlowEnable: String(org.settings.oauthFlows.allowAuthorizationCodeAndCredentials),
  });

  // Apps.
  const connectedApps: Row[] = [];
  const menuItems: Row[] = [];
  const ecas: Row[] = [];
  const access: Row[] = [];
  const tokens: Row[] = [];
  for (const app of apps) {
    const isEca = app.type === 'ExternalClientApp';
    if (app.installed) {
      if (isEca) {
        ecas.push({ attributes: attrs('ExternalClientApplication', app.id), Id: app.id, MasterLabel: app.name, DeveloperName: apiName(app.name), LastModifiedDate: seedModified });
        put('ExtlClntAppOauthConfigurablePolicies', ecaPolicies(app));
      } else {
        connectedApps.push({
          attributes: attrs('ConnectedApplication', app.id),
          Id: app.id,
          Name: app.name,
          LastModifiedDate: seedModified,
          OptionsAllowAdminApprovedUsersOnly: app.policies!.permittedUsers === 'admin-approved',
        });
        menuItems.push({ attributes: attrs('AppMenuItem'), ApplicationId: app.id, NamespacePrefix: app.packaged ? `pkg${apiName(app.name).slice(0, 8)}` : null, Type: 'ConnectedApplication' });
        put('ConnectedApp', connectedAppComponent(app));
      }
      for (const profile of app.policies!.profiles) access.push(seaRow(id('0J0'), profileSetId.get(profile)!, app, isEca));
      for (const set of app.policies!.permissionSets) access.push(seaRow(id('0J0'), setIdByName.get(set)!, app, isEca));
    }
    if (app.blocked) {
      put('BlacklistedConsumer', { fullName: `capctl_${apiName(app.name)}`, consumerName: app.name, consumerKey: fakeConsumerKey(app.name), masterLabel: app.name, blockedByApiWhitelisting: 'false' });
    }
    for (const session of app.sessions) {
      const userId = userIdByName.get(session.user)!;
      tokens.push({
        attributes: attrs('OauthToken'),
        Id: null,
        AppName: app.name,
        AppMenuItem: app.installed ? { attributes: attrs('AppMenuItem'), ApplicationId: app.id } : null,
        UserId: userId,
        User: { attributes: attrs('User', userId), Username: session.user },
        CreatedDate: sfDateTime(session.created),
        LastUsedDate: sfDateTime(session.lastUsed),
        UseCount: session.useCount,
        DeleteToken: `fake-delete-${createHash('sha256').update(`${app.id}/${session.user}/${session.created}`).digest('hex').slice(0, 24)}`,
      });
    }
  }

  const tables: Record<string, Row[]> = {
    Organization: [{ attributes: attrs('Organization', org.id), Id: org.id, Name: org.name, OrganizationType: `${org.edition} Edition`, IsSandbox: false }],
    Profile: profileRows,
    PermissionSet: permissionSets,
    User: userRows,
    PermissionSetAssignment: assignments,
    ConnectedApplication: connectedApps,
    AppMenuItem: menuItems,
    ExternalClientApplication: ecas,
    SetupEntityAccess: access,
    OauthToken: tokens,
  };
  const fields: Record<string, Set<string>> = {
    Organization: new Set(['Id', 'Name', 'OrganizationType', 'IsSandbox']),
    Profile: new Set(['Id', 'Name']),
    PermissionSet: new Set([...permissionSetFields, 'Profile.Name']),
    User: new Set(['Id', 'Username', 'IsActive', 'ProfileId', 'Profile.Name']),
    PermissionSetAssignment: new Set(['Id', 'AssigneeId', 'PermissionSetId', 'PermissionSetGroupId', 'IsActive']),
    ConnectedApplication: new Set(['Id', 'Name', 'LastModifiedDate', 'OptionsAllowAdminApprovedUsersOnly']),
    AppMenuItem: new Set(['ApplicationId', 'NamespacePrefix', 'Type']),
    ExternalClientApplication: new Set(['Id', 'MasterLabel', 'DeveloperName', 'LastModifiedDate']),
    SetupEntityAccess: new Set(['Id', 'ParentId', 'SetupEntityId', 'SetupEntityType']),
    OauthToken: new Set(['Id', 'AppName', 'AppMenuItem.ApplicationId', 'UserId', 'User.Username', 'CreatedDate', 'LastUsedDate', 'UseCount', 'DeleteToken']),
  };
  for (const a of assignments) a.IsActive = true;
  return {
    orgId: org.id,
    tables,
    fields,
    indexed: { OauthToken: ['UserId', 'AppName'] },
    ranged: { OauthToken: ['CreatedDate', 'LastUsedDate'] },
    tooling: { Profile: toolingProfiles },
    toolingFields: { Profile: new Set(['Id', 'Name', 'Metadata']) },
    metadata,
    permissionSetFields,
    usernames: new Set(users.filter((u) => u.active).map((u) => u.username)),
  };
}

function permissionSetRow(
  id: string,
  name: string,
  label: string,
  ownedByProfile: boolean,
  profile: { Id: string; Name: string } | null,
  groupId: string | null,
  held: ReadonlySet<Permission>,
  permissionFields: readonly Permission[],
): Row {
  const row: Row = {
    attributes: attrs('PermissionSet', id),
    Id: id,
    Name: name,
    Label: label,
    IsOwnedByProfile: ownedByProfile,
    ProfileId: profile?.Id ?? null,
    Profile: profile ? { attributes: attrs('Profile', profile.Id), Name: profile.Name } : null,
    PermissionSetGroupId: groupId,
    NamespacePrefix: null,
  };
  for (const p of permissionFields) row[`Permissions${p}`] = held.has(p);
  return row;
}

function assignment(id: string, userId: string, setId: string, groupId: string | null): Row {
  return { attributes: attrs('PermissionSetAssignment', id), Id: id, AssigneeId: userId, PermissionSetId: setId, PermissionSetGroupId: groupId };
}

function seaRow(id: string, parentId: string, app: ObservedApp, isEca: boolean): Row {
  return { attributes: attrs('SetupEntityAccess', id), Id: id, ParentId: parentId, SetupEntityId: app.id, SetupEntityType: isEca ? 'ExternalClientApplication' : 'ConnectedApplication' };
}

/** The ConnectedApp metadata component of an installed connected app, as the org keeps it. */
export function connectedAppComponent(app: ObservedApp): Component {
  const policy = connectedAppRefreshCodec.encode(app.policies!.refreshTokenPolicy);
  return {
    fullName: apiName(app.name),
    label: app.name,
    contactEmail: 'admin@example.invalid',
    oauthConfig: { consumerKey: fakeConsumerKey(app.name), isAdminApproved: String(app.policies!.permittedUsers === 'admin-approved'), callbackUrl: 'https://example.invalid/callback' },
    oauthPolicy: { ipRelaxation: app.policies!.ipRelaxation, refreshTokenPolicy: policy.refreshTokenPolicy![0] },
  };
}

function ecaPolicies(app: ObservedApp): Component {
  const refresh = externalClientAppRefreshCodec.encode(app.policies!.refreshTokenPolicy);
  const ip = { ENFORCE: 'Enforce', BYPASS_2FACTOR: 'Bypass_2factor', BYPASS: 'Bypass', ENFORCE_RELAXREFRESH: 'Enforce_RelaxRefresh' }[app.policies!.ipRelaxation];
  const component: Component = {
    fullName: `${apiName(app.name)}_oauthPlcy`,
    label: app.name,
    externalClientApplication: apiName(app.name),
    permittedUsersPolicyType: app.policies!.permittedUsers === 'admin-approved' ? 'AdminApprovedPreAuthorized' : 'AllSelfAuthorized',
    ipRelaxationPolicyType: ip,
  };
  for (const [key, value] of Object.entries(refresh)) if (value) component[key] = value[0];
  return component;
}

/** An instant as Salesforce writes a dateTime field (`2026-06-03T04:57:19.000+0000`). */
export function sfDateTime(instant: string): string {
  return new Date(instant).toISOString().replace('Z', '+0000');
}
