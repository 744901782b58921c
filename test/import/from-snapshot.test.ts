import { describe, expect, it } from 'vitest';
import { declarationsFromSnapshot } from '../../src/import/from-snapshot.js';
import type { ObservedApp, OrgSnapshot } from '../../src/model/index.js';

const policies = { permittedUsers: 'all-users' as const, profiles: [], permissionSets: [], ipRelaxation: 'ENFORCE' as const, refreshTokenPolicy: 'infinite' };
function appFile(name: string, id: string, extra: Partial<ObservedApp> = {}): ObservedApp {
  return { id, name, type: 'ConnectedApp', packaged: false, installed: true, blocked: false, deniedAttempts: 0, policies, sessions: [], ...extra };
}
function snapshot(allowlisting: boolean, apps: ObservedApp[]): OrgSnapshot {
  return {
    slug: 'acme-prod',
    org: {
      id: '00D5e0000001AcmEAA',
      name: 'acme-prod',
      edition: 'Enterprise',
      features: { apiAccessControl: true },
      settings: { adminApprovedAppsOnly: allowlisting, oauthFlows: { blockUsernamePassword: false, blockUserAgent: true, allowAuthorizationCodeAndCredentials: false } },
      profiles: ['Integration User'],
      permissionSets: ['Slack Access'],
      revision: 7,
    },
    users: [],
    apps,
    digest: 'sha256:x',
  };
}

describe('declarationsFromSnapshot', () => {
  it('declares the settings, and every app as it is, sorted by name', () => {
    const { declarations, diagnostics } = declarationsFromSnapshot(
      snapshot(false, [
        appFile('Zoom', '0H4000000000000ZOM', { installed: false, policies: undefined, deniedAttempts: 3 }),
        appFile('Slack', '0H4000000000000SLK', { policies: { ...policies, permittedUsers: 'admin-approved', permissionSets: ['Slack Access'] } }),
        appFile('Bridge', '0xI000000000000BRG', { type: 'ExternalClientApp', blocked: true }),
      ]),
    );
    expect(diagnostics).toEqual([]);
    expect(declarations.settings).toEqual({
      apiVersion: 'capctl/v1',
      kind: 'OrgSettings',
      org: 'acme-prod',
      adminApprovedAppsOnly: false,
      unmanagedApps: 'report',
      oauthFlows: { blockUsernamePassword: false, blockUserAgent: true, allowAuthorizationCodeAndCredentials: false },
    });
    expect(declarations.apps).toEqual([
      { apiVersion: 'capctl/v1', kind: 'ExternalClientApp', org: 'acme-prod', name: 'Bridge', id: '0xI000000000000BRG', installed: true, blocked: true, policies: { permittedUsers: 'all-users', ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' } },
      {
        apiVersion: 'capctl/v1',
        kind: 'ConnectedApp',
        org: 'acme-prod',
        name: 'Slack',
        id: '0H4000000000000SLK',
        installed: true,
        blocked: false,
        policies: { permittedUsers: 'admin-approved', profiles: [], permissionSets: ['Slack Access'], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' },
      },
      { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org: 'acme-prod', name: 'Zoom', id: '0H4000000000000ZOM', installed: false, blocked: false },
    ]);
    expect(declarations.revocations).toEqual([]);
    expect(declarations.settings).not.toHaveProperty('guards');
  });

  it('leaves out what would be a plan error, saying why', () => {
    const { declarations, diagnostics } = declarationsFromSnapshot(
      snapshot(true, [
        appFile('Postman', '0H4000000000000PST', { installed: false, policies: undefined }),
        appFile('Odd', '0H4000000000000ODD', { policies: { ...policies, profiles: ['Integration User'] } }),
      ]),
    );
    // Under allowlisting, neither app is allowlisted: blocked org-wide, so `blocked` is left out (R2).
    expect(declarations.apps.map((a) => 'blocked' in a)).toEqual([false, false]);
    // An all-users app's assignments cannot be declared (R7).
    expect(declarations.apps[0]!.policies).toEqual({ permittedUsers: 'all-users', ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' });
    expect(diagnostics.map((d) => [d.severity, d.code])).toEqual([
      ['info', 'CAP530'],
      ['info', 'CAP530'],
      ['info', 'CAP530'],
    ]);
    expect(diagnostics.map((d) => d.message.split(':')[0])).toEqual(['Odd', 'Odd', 'Postman']);
  });
});
