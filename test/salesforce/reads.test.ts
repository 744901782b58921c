// One test per read of salesforce-api.md §1 (through the real jsforce client against the fake
// org): change what the org holds for that read, and the snapshot follows. Plus the exact calls
// one read of the bundled example makes.
import { afterEach, describe, expect, it } from 'vitest';
import type { OrgSnapshot } from '../../src/model/index.js';
import { readLiveSnapshot, type LiveRead } from '../../src/salesforce/read-live-snapshot.js';
import type { FakeOrg } from '../../src/fake-org/server.js';
import type { FakeOrgData } from '../../src/fake-org/seed.js';
import { fakeWithClient } from './helpers.js';

let fake: FakeOrg | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Reads the bundled example through the fake, after changing the fake's data. */
async function readWith(change: (data: FakeOrgData) => void = () => {}): Promise<LiveRead> {
  const setup = await fakeWithClient();
  fake = setup.fake;
  change(fake.data);
  return readLiveSnapshot(setup.client, 'acme-prod');
}

const byName = (s: OrgSnapshot, name: string) => s.apps.find((a) => a.name === name)!;
const table = (data: FakeOrgData, name: string) => data.tables[name]!;
const component = (data: FakeOrgData, type: string, fullName: string) => data.metadata.get(type)!.get(fullName)!;

describe('each read of a live org', () => {
  it('Organization: id and edition (the " Edition" suffix dropped)', async () => {
    const read = await readWith((d) => {
      table(d, 'Organization')[0]!.OrganizationType = 'Unlimited Edition';
    });
    expect(read.snapshot.org).toMatchObject({ id: '00D5e0000001AcmEAA', edition: 'Unlimited', name: 'acme-prod' });
  });

  it('PermissionSet: the profiles (profile-owned sets) and the permission sets by label; group aggregates are neither', async () => {
    const read = await readWith((d) => {
      table(d, 'PermissionSet').find((s) => s.Label === 'Box Users')!.Label = 'Box Everyone';
    });
    expect(read.snapshot.org.permissionSets).toContain('Box Everyone');
    expect(read.snapshot.org.permissionSets).not.toContain('Box Users');
    expect(read.snapshot.org.permissionSets.some((n) => n.includes('FakeExtra'))).toBe(false);
    expect(read.snapshot.org.profiles).toContain('System Administrator');
  });

  it('PermissionSet fields: a permission granted by a set reaches its users', async () => {
    const read = await readWith((d) => {
      table(d, 'PermissionSet').find((s) => s.Label === 'Zoom Users')!.PermissionsViewSetup = true;
    });
    const zoomUsers = read.snapshot.users.filter((u) => u.permissionSets.includes('Zoom Users'));
    expect(zoomUsers.length).toBeGreaterThan(0);
    for (const u of zoomUsers) expect(u.permissions).toContain('ViewSetup');
  });

  it('PermissionSet describe: UseAnyApiClient is read only when the describe lists the field', async () => {
    const read = await readWith((d) => {
      d.permissionSetFields = d.permissionSetFields.filter((f) => f !== 'PermissionsUseAnyApiClient');
      d.fields.PermissionSet!.delete('PermissionsUseAnyApiClient');
    });
    expect(read.snapshot.users.some((u) => u.permissions.includes('UseAnyApiClient'))).toBe(false);
    expect(fake!.requests.find((r) => r.soql?.includes('FROM PermissionSet'))!.soql).not.toContain('UseAnyApiClient');
  });

  it('User: username, profile and active', async () => {
    const read = await readWith((d) => {
      table(d, 'User').find((u) => u.Username === 'auditor@acme.example')!.IsActive = false;
    });
    expect(read.snapshot.users.find((u) => u.username === 'auditor@acme.example')).toMatchObject({ active: false, profile: 'Read Only' });
  });

  it('PermissionSetAssignment: a user loses a permission set with its assignment', async () => {
    const read = await readWith((d) => {
      const user = table(d, 'User').find((u) => u.Username === 'asmith@acme.example')!;
      const slack = table(d, 'PermissionSet').find((s) => s.Label === 'Slack Access')!;
      d.tables.PermissionSetAssignment = table(d, 'PermissionSetAssignment').filter((a) => !(a.AssigneeId === user.Id && a.PermissionSetId === slack.Id));
    });
    expect(read.snapshot.users.find((u) => u.username === 'asmith@acme.example')!.permissionSets).toEqual(['Jira Sync']);
  });

  it('Profile metadata (Tooling): CanApproveUninstalledApps held by a profile reaches its users', async () => {
    const read = await readWith((d) => {
      d.tooling.Profile!.find((p) => p.Name === 'Read Only')!.Metadata = { userPermissions: [{ enabled: true, name: 'CanApproveUninstalledApps' }] };
    });
    expect(read.snapshot.users.find((u) => u.username === 'auditor@acme.example')!.permissions).toEqual(['ViewSetup', 'CanApproveUninstalledApps']);
  });

  it('PermissionSet metadata: CanApproveUninstalledApps held by a permission set reaches its users', async () => {
    const read = await readWith((d) => {
      component(d, 'PermissionSet', 'Jira_Sync').userPermissions = [{ enabled: 'true', name: 'CanApproveUninstalledApps' }];
    });
    const asmith = read.snapshot.users.find((u) => u.username === 'asmith@acme.example')!;
    expect(asmith.permissions).toContain('CanApproveUninstalledApps');
  });

  it('ConnectedApplication: an installed app and its permitted users', async () => {
    const read = await readWith((d) => {
      table(d, 'ConnectedApplication').find((a) => a.Name === 'Slack')!.OptionsAllowAdminApprovedUsersOnly = true;
    });
    expect(byName(read.snapshot, 'Slack')).toMatchObject({ id: '0H4Hp000000TN1xKAG', installed: true, policies: { permittedUsers: 'admin-approved' } });
  });

  it('AppMenuItem: packaged ⇔ a namespace prefix', async () => {
    const read = await readWith((d) => {
      table(d, 'AppMenuItem').find((m) => m.ApplicationId === '0H4Hp000000TN1xKAG')!.NamespacePrefix = 'slk';
    });
    expect(byName(read.snapshot, 'Slack').packaged).toBe(true);
    expect(byName(read.snapshot, 'Zapier').packaged).toBe(false);
  });

  it('SetupEntityAccess: profiles and permission sets assigned to an app', async () => {
    const read = await readWith((d) => {
      d.tables.SetupEntityAccess = table(d, 'SetupEntityAccess').filter((s) => s.SetupEntityId !== '0H4Vx28m9dumUijK4d' || s.ParentId !== table(d, 'PermissionSet').find((p) => p.Label === 'DocuSign Senders')!.Id);
    });
    expect(byName(read.snapshot, 'Conga Composer').policies).toMatchObject({ profiles: ['Contract Manager'], permissionSets: [] });
  });

  it('ConnectedApp metadata: ipRelaxation and refreshTokenPolicy (oauthPolicy)', async () => {
    const read = await readWith((d) => {
      component(d, 'ConnectedApp', 'Slack').oauthPolicy = { ipRelaxation: 'BYPASS', refreshTokenPolicy: 'specific_lifetime', refreshTokenValidityPeriod: '90', refreshTokenValidityUnit: 'Days' };
    });
    expect(byName(read.snapshot, 'Slack').policies).toMatchObject({ ipRelaxation: 'BYPASS', refreshTokenPolicy: 'specific_lifetime:90:DAYS' });
  });

  it('ConnectedApp metadata that cannot be read: a warning, never a silent default', async () => {
    const read = await readWith((d) => {
      d.metadata.get('ConnectedApp')!.delete('Slack');
    });
    expect(read.warnings).toEqual([expect.stringContaining('connected app "Slack": its ConnectedApp metadata could not be read')]);
  });

  it('ExternalClientApplication and its OAuth policies (ExtlClntAppOauthConfigurablePolicies)', async () => {
    const read = await readWith((d) => {
      Object.assign(component(d, 'ExtlClntAppOauthConfigurablePolicies', 'Datadog_Monitoring_oauthPlcy'), { permittedUsersPolicyType: 'AllSelfAuthorized', ipRelaxationPolicyType: 'Bypass', refreshTokenPolicyType: 'Zero' });
    });
    expect(byName(read.snapshot, 'Datadog Monitoring')).toMatchObject({ id: '0xIH2uZeeM3L3IAq3M', type: 'ExternalClientApp', installed: true, policies: { permittedUsers: 'all-users', ipRelaxation: 'BYPASS', refreshTokenPolicy: 'zero' } });
  });

  it('BlacklistedConsumer: blocked by consumer key; a block of allowlisting itself is not the app\'s', async () => {
    const read = await readWith((d) => {
      const blocks = d.metadata.get('BlacklistedConsumer')!;
      const hubspot = blocks.get('capctl_HubSpot')!;
      blocks.set('capctl_HubSpot', { ...hubspot, consumerName: 'renamed in the block' });
      blocks.get('capctl_Workbench')!.blockedByApiWhitelisting = 'true';
    });
    expect(byName(read.snapshot, 'HubSpot').blocked).toBe(true);
    expect(byName(read.snapshot, 'Workbench').blocked).toBe(false);
  });

  it('BlacklistedConsumer of no installed app: an uninstalled, blocked app with a derived id', async () => {
    const read = await readWith();
    expect(byName(read.snapshot, 'Copado')).toEqual({ id: expect.stringMatching(/^cap[0-9a-f]{15}$/), name: 'Copado', type: 'ConnectedApp', packaged: false, installed: false, blocked: true, deniedAttempts: null, derivedId: true, sessions: [] });
  });

  it('ConnectedAppSettings: allowlisting, and the feature only when the element exists', async () => {
    const on = await readWith((d) => {
      component(d, 'ConnectedAppSettings', 'ConnectedApp').enableAdminApprovedAppsOnly = 'true';
    });
    expect(on.snapshot.org.features.apiAccessControl).toBe(true);
    expect(on.snapshot.org.settings.adminApprovedAppsOnly).toBe(true);
    await fake!.close();
    const off = await readWith((d) => {
      delete component(d, 'ConnectedAppSettings', 'ConnectedApp').enableAdminApprovedAppsOnly;
    });
    expect(off.snapshot.org.features.apiAccessControl).toBe(false);
    expect(off.snapshot.org.settings.adminApprovedAppsOnly).toBe(false);
  });

  it('OauthOidcSettings: the three flow settings', async () => {
    const read = await readWith((d) => {
      Object.assign(component(d, 'OauthOidcSettings', 'OauthOidc'), { blockOAuthUnPwFlow: 'true', blockOAuthUsrAgtFlow: 'false', oAuthCdCrdtFlowEnable: 'true' });
    });
    expect(read.snapshot.org.settings.oauthFlows).toEqual({ blockUsernamePassword: true, blockUserAgent: false, allowAuthorizationCodeAndCredentials: true });
  });

  it('OauthToken: sessions by app id (installed) or by name (uninstalled), flow unknown, no DeleteToken read', async () => {
    const read = await readWith((d) => {
      const token = table(d, 'OauthToken').find((t) => t.AppName === 'Slack')!;
      token.UseCount = 99_999;
      token.LastUsedDate = null;
    });
    const slack = byName(read.snapshot, 'Slack');
    const changed = slack.sessions.find((s) => s.useCount === 99_999)!;
    expect(changed.lastUsed).toBe(changed.created);
    expect(slack.sessions.every((s) => s.flow === 'unknown')).toBe(true);
    expect(read.warnings).toEqual(['1 OauthToken row has no LastUsedDate: last use shown as creation']);
    expect(byName(read.snapshot, 'Postman')).toMatchObject({ installed: false, derivedId: true });
    expect(byName(read.snapshot, 'Postman').sessions.map((s) => [s.user, s.flow])).toEqual([['ci-bot@acme.example', 'unknown'], ['sysadmin@acme.example', 'unknown']]);
    for (const r of fake!.requests) expect(r.soql ?? '').not.toContain('DeleteToken');
  });

  it('OauthToken with a date that is no dateTime: a malformed response, never a made-up instant', async () => {
    const err = await readWith((d) => {
      table(d, 'OauthToken')[0]!.CreatedDate = 'yesterday';
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: 'malformed', message: expect.stringContaining('"yesterday" is not a dateTime') });
  });

  it('makes exactly these calls on the bundled example, each counted', async () => {
    const read = await readWith();
    const calls = fake!.requests.map((r) => (r.soql ? `query ${r.soql}` : r.soap ? `${r.soap.call} ${r.soap.type}${r.soap.fullNames ? ` ${r.soap.fullNames.length}` : ''}` : `${r.method} ${r.path.replace(/01gFAKE\d+-/, '01gFAKE…-')}`));
    expect([...calls].sort()).toMatchSnapshot();
    expect(read.calls).toBe(calls.length);
    expect(read.limitInfo).toEqual({ used: expect.any(Number), limit: 100_000 });
  });
});
