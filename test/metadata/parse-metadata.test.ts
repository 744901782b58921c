// Import edge cases, on small hand-written files: each problem is one diagnostic naming the file,
// and the rest still imports.
import { describe, expect, it } from 'vitest';
import { parseMetadataTree, type MetadataFile } from '../../src/metadata/parse-metadata.js';
import { planMetadataExport } from '../../src/metadata/plan-export.js';

const app = (label: string, inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">\n    <label>${label}</label>\n${inner}</ConnectedApp>\n`;

function parse(files: MetadataFile[]) {
  return parseMetadataTree(files, 'acme-prod');
}

describe('parseMetadataTree', () => {
  it('reads a refresh policy split over period and unit elements, in any letter case', () => {
    const { declarations, diagnostics } = parse([
      {
        path: 'connectedApps/A.connectedApp-meta.xml',
        text: app('A', '    <oauthPolicy>\n        <refreshTokenPolicy>SPECIFIC_LIFETIME</refreshTokenPolicy>\n        <refreshTokenValidityPeriod>720</refreshTokenValidityPeriod>\n        <refreshTokenValidityUnits>HOURS</refreshTokenValidityUnits>\n    </oauthPolicy>\n'),
      },
      { path: 'connectedApps/B.connectedApp-meta.xml', text: app('B', '    <oauthPolicy>\n        <refreshTokenPolicy>specific_inactivity:7:DAYS</refreshTokenPolicy>\n    </oauthPolicy>\n') },
    ]);
    expect(diagnostics).toEqual([]);
    expect(declarations.apps.map((a) => a.policies?.refreshTokenPolicy)).toEqual(['specific_lifetime:720:HOURS', 'specific_inactivity:7:DAYS']);
  });

  it('reads assignments under oauthConfig (older API versions), and export writes them back there', () => {
    const text = app('Old', '    <oauthConfig>\n        <isAdminApproved>true</isAdminApproved>\n        <profileName>Sales User</profileName>\n    </oauthConfig>\n');
    const { declarations } = parse([{ path: 'connectedApps/Old.connectedApp-meta.xml', text }]);
    expect(declarations.apps[0]!.policies).toEqual({ permittedUsers: 'admin-approved', profiles: ['Sales User'], permissionSets: [] });
    const plan = planMetadataExport({ ...declarations, apps: [{ ...declarations.apps[0]!, policies: { profiles: ['Sales User', 'Support Agent'] } }] }, [{ path: 'connectedApps/Old.connectedApp-meta.xml', text }], '');
    expect(plan.writes[0]!.text).toBe(text.replace('<profileName>Sales User</profileName>\n', '<profileName>Sales User</profileName>\n        <profileName>Support Agent</profileName>\n'));
  });

  it('leaves out a value it does not know, with a warning, and keeps the rest of the file', () => {
    const { declarations, diagnostics } = parse([
      { path: 'connectedApps/A.connectedApp-meta.xml', text: app('A', '    <oauthConfig>\n        <isAdminApproved>maybe</isAdminApproved>\n    </oauthConfig>\n    <oauthPolicy>\n        <ipRelaxation>SOMETIMES</ipRelaxation>\n        <refreshTokenPolicy>zero</refreshTokenPolicy>\n    </oauthPolicy>\n') },
    ]);
    expect(declarations.apps[0]!.policies).toEqual({ refreshTokenPolicy: 'zero' });
    expect(diagnostics.map((d) => [d.severity, d.code, d.message])).toEqual([
      ['warning', 'CAP506', 'isAdminApproved "maybe" is none of true, false: policies.permittedUsers left out'],
      ['warning', 'CAP506', 'ipRelaxation "SOMETIMES" is none of ENFORCE, BYPASS_2FACTOR, BYPASS, ENFORCE_RELAXREFRESH: policies.ipRelaxation left out'],
    ]);
  });

  it('explains every file it cannot use, in one line naming it, and imports the others', () => {
    const files: MetadataFile[] = [
      { path: 'connectedApps/Broken.connectedApp-meta.xml', text: '<ConnectedApp><label>x</ConnectedApp>' },
      { path: 'connectedApps/Wrong.connectedApp-meta.xml', text: '<CustomObject><label>x</label></CustomObject>' },
      { path: 'connectedApps/NoLabel.connectedApp-meta.xml', text: '<ConnectedApp><oauthConfig></oauthConfig></ConnectedApp>' },
      { path: 'connectedApps/Good.connectedApp-meta.xml', text: app('Good', '    <oauthConfig></oauthConfig>\n') },
      { path: 'connectedApps/Twin.connectedApp-meta.xml', text: app('Good', '    <oauthConfig></oauthConfig>\n') },
      { path: 'connectedApps/Latin1.connectedApp-meta.xml', unreadable: 'not UTF-8 text' },
      { path: 'externalClientApps/Lonely.eca-meta.xml', text: '<ExternalClientApplication><label>Lonely</label></ExternalClientApplication>' },
      { path: 'extlClntAppOauthPolicies/Ghost_oauthPlcy.ecaOauthPlcy-meta.xml', text: '<ExtlClntAppOauthConfigurablePolicies><externalClientApplication>Ghost</externalClientApplication></ExtlClntAppOauthConfigurablePolicies>' },
      { path: 'blacklistedConsumers/Anon.blacklistedConsumer-meta.xml', text: '<BlacklistedConsumer><masterLabel>x</masterLabel></BlacklistedConsumer>' },
      { path: 'blacklistedConsumers/Allow.blacklistedConsumer-meta.xml', text: '<BlacklistedConsumer><blockedByApiWhitelisting>true</blockedByApiWhitelisting><consumerName>Zapier</consumerName></BlacklistedConsumer>' },
      { path: 'a/settings/ConnectedApp.settings-meta.xml', text: '<ConnectedAppSettings><enableAdminApprovedAppsOnly>true</enableAdminApprovedAppsOnly></ConnectedAppSettings>' },
      { path: 'b/settings/ConnectedApp.settings-meta.xml', text: '<ConnectedAppSettings><enableAdminApprovedAppsOnly>false</enableAdminApprovedAppsOnly></ConnectedAppSettings>' },
      { path: 'externalClientApps/X_glbloauth.ecaGlblOauth-meta.xml' },
      { path: 'objects/Account.object-meta.xml', text: '<CustomObject/>' },
    ];
    const { declarations, used, diagnostics } = parse(files);
    expect(declarations.apps.map((a) => a.name)).toEqual(['Good', 'Lonely']);
    expect(declarations.settings?.adminApprovedAppsOnly).toBe(true);
    expect(used).toEqual(['a/settings/ConnectedApp.settings-meta.xml', 'connectedApps/Good.connectedApp-meta.xml', 'externalClientApps/Lonely.eca-meta.xml']);
    const byFile = Object.fromEntries(diagnostics.map((d) => [d.file, `${d.severity} ${d.code}`]));
    expect(byFile).toEqual({
      'connectedApps/Broken.connectedApp-meta.xml': 'warning CAP502',
      'connectedApps/Wrong.connectedApp-meta.xml': 'warning CAP503',
      'connectedApps/NoLabel.connectedApp-meta.xml': 'warning CAP507',
      'connectedApps/Twin.connectedApp-meta.xml': 'warning CAP508',
      'connectedApps/Latin1.connectedApp-meta.xml': 'warning CAP501',
      'externalClientApps/Lonely.eca-meta.xml': 'info CAP511',
      'extlClntAppOauthPolicies/Ghost_oauthPlcy.ecaOauthPlcy-meta.xml': 'warning CAP512',
      'blacklistedConsumers/Anon.blacklistedConsumer-meta.xml': 'warning CAP513',
      'blacklistedConsumers/Allow.blacklistedConsumer-meta.xml': 'info CAP510',
      'b/settings/ConnectedApp.settings-meta.xml': 'warning CAP508',
      'externalClientApps/X_glbloauth.ecaGlblOauth-meta.xml': 'info CAP505',
    });
    expect(diagnostics).toHaveLength(11);
    for (const d of diagnostics) expect(d.message).not.toContain('\n');
  });

  it('drops assignments of an all-users app (R7), saying so', () => {
    const { declarations, diagnostics } = parse([
      { path: 'connectedApps/A.connectedApp-meta.xml', text: app('A', '    <oauthConfig>\n        <isAdminApproved>false</isAdminApproved>\n    </oauthConfig>\n    <profileName>Sales User</profileName>\n') },
    ]);
    expect(declarations.apps[0]!.policies).toEqual({ permittedUsers: 'all-users' });
    expect(diagnostics).toMatchObject([{ severity: 'warning', code: 'CAP509', file: 'connectedApps/A.connectedApp-meta.xml' }]);
  });

  it('maps external client app policy spellings to the SPEC', () => {
    const { declarations, diagnostics } = parse([
      { path: 'externalClientApps/Bridge.eca-meta.xml', text: '<ExternalClientApplication><label>Acme Data Bridge</label></ExternalClientApplication>' },
      {
        path: 'extlClntAppOauthPolicies/Bridge_oauthPlcy.ecaOauthPlcy-meta.xml',
        text:
          '<ExtlClntAppOauthConfigurablePolicies><commaSeparatedProfile>Integration User, Sales User</commaSeparatedProfile><externalClientApplication>Bridge</externalClientApplication>' +
          '<ipRelaxationPolicyType>Bypass_2factor</ipRelaxationPolicyType><permittedUsersPolicyType>AdminApprovedPreAuthorized</permittedUsersPolicyType>' +
          '<refreshTokenPolicyType>SpecificInactivity</refreshTokenPolicyType><refreshTokenValidityPeriod>30</refreshTokenValidityPeriod><refreshTokenValidityUnit>Days</refreshTokenValidityUnit></ExtlClntAppOauthConfigurablePolicies>',
      },
    ]);
    expect(diagnostics).toEqual([]);
    expect(declarations.apps).toEqual([
      {
        apiVersion: 'capctl/v1',
        kind: 'ExternalClientApp',
        org: 'acme-prod',
        name: 'Acme Data Bridge',
        installed: true,
        policies: { permittedUsers: 'admin-approved', profiles: ['Integration User', 'Sales User'], permissionSets: [], ipRelaxation: 'BYPASS_2FACTOR', refreshTokenPolicy: 'specific_inactivity:30:DAYS' },
      },
    ]);
  });
});
