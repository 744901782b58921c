// The planner on small, plain-data orgs: one test (or a few) per rule of SPEC §5.
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/model/index.js';
import { isInPlanOrder } from '../../src/plan/ordering.js';
import { renderReason } from '../../src/render/reason-text.js';
import { allPermissions, app, appDoc, desired, plan, revocationDoc, session, settingsDoc, snapshot, user } from './builders.js';
import { expectValidPlan } from './plan-schema.js';

const users = [
  user('admin@acme.example', { profile: 'System Administrator', permissions: allPermissions }),
  user('jdoe@acme.example', { permissionSets: ['Slack Access'] }),
  user('asmith@acme.example', { profile: 'Sales User' }),
  user('gone@acme.example', { active: false }),
];

/** The codes of the plan rules (R1–R13); the risk rules' CAPR findings have tests of their own (risk-rules.test.ts). */
function codes(p: Plan, severity?: string): string[] {
  return p.diagnostics.filter((d) => (!severity || d.severity === severity) && !d.code.startsWith('CAPR')).map((d) => d.code);
}

function kinds(p: Plan): string[] {
  return p.actions.map((a) => (a.app ? `${a.kind} ${a.app.name}` : a.kind));
}

/** The plan's first error (diagnostics are in place order, so warnings may come before it). */
function firstError(p: Plan): Plan['diagnostics'][number] {
  return p.diagnostics.find((d) => d.severity === 'error')!;
}

function checked(p: Plan): Plan {
  expectValidPlan(p);
  expect(isInPlanOrder(p.actions)).toBe(true);
  return p;
}

describe('createPlan', () => {
  it('plans nothing when the declaration matches the org', () => {
    const observed = snapshot({ users, apps: [app('Slack')] });
    const p = checked(plan(desired({ settings: settingsDoc({ unmanagedApps: 'ignore' }), apps: [appDoc('Slack', { installed: true, blocked: false })] }), observed));
    expect(p.actions).toEqual([]);
    expect(codes(p)).toEqual([]);
    expect(p.summary.sessionsEnded).toBe(0);
    expect(p.createdAt).toBe('2026-12-01T00:00:00.000Z');
    expect(p.basis).toMatchObject({ orgId: '00D5e0000001AcmEAA', storeRevision: 7 });
    expect(p.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('R1: a block ends every session and counts the distinct users', () => {
    const observed = snapshot({
      users,
      apps: [app('Dropbox', { sessions: [session('jdoe@acme.example', '2026-10-01T00:00:00Z'), session('jdoe@acme.example', '2026-10-02T00:00:00Z'), session('asmith@acme.example', '2026-10-03T00:00:00Z')] })],
    });
    const p = checked(plan(desired({ apps: [appDoc('Dropbox', { blocked: true })] }), observed));
    expect(kinds(p)).toEqual(['block Dropbox']);
    const [block] = p.actions;
    expect(block!.effects).toMatchObject({ sessionsEnded: 3, usersAffected: 2, accessBefore: 'all users may self-authorize', accessAfter: 'blocked' });
    expect(block!.effects.lost).toEqual({ count: 3, users: ['admin@acme.example', 'asmith@acme.example', 'jdoe@acme.example'] });
    expect(block!.reason).toEqual({ code: 'declared-blocked', params: {} });
    expect(renderReason(block!, p.org.name)).toContain('3 sessions of 2 users');
    expect(p.summary).toMatchObject({ block: 1, sessionsEnded: 3 });
  });

  it('R2: blocked: false for an app that allowlisting keeps blocked is an error naming the remedy', () => {
    const observed = snapshot({ users, allowlisting: true, apps: [app('Workbench', { blocked: true })] });
    const p = checked(plan(desired({ apps: [appDoc('Workbench', { blocked: false })] }), observed));
    expect(codes(p, 'error')).toEqual(['CAP310']);
    expect(firstError(p).message).toMatch(/installed: true and policies.permittedUsers: admin-approved/);
    expect(firstError(p)).toMatchObject({ file: 'apps/workbench.yaml' });
    expect(p.actions).toEqual([]);
    expect(p.summary.unblock).toBe(0);

    const fixed = checked(plan(desired({ apps: [appDoc('Workbench', { blocked: false, policies: { permittedUsers: 'admin-approved', profiles: ['System Administrator'] } })] }), observed));
    expect(kinds(fixed)).toEqual(['set-assignments Workbench', 'set-policies Workbench', 'unblock Workbench']);
  });

  it('R3: allowlisting needs the org feature', () => {
    const observed = snapshot({ users, apiAccessControl: false, apps: [app('Slack')] });
    const p = checked(plan(desired({ settings: settingsDoc({ adminApprovedAppsOnly: true }) }), observed));
    expect(codes(p, 'error')).toEqual(['CAP311']);
    expect(firstError(p).message).toContain('Salesforce Support');
    expect(p.actions).toEqual([]);
  });

  it('R3: turning allowlisting on comes last and cuts off every app not allowlisted, except for Use Any API Client users', () => {
    const observed = snapshot({
      users,
      apps: [
        app('Slack', { sessions: [session('jdoe@acme.example', '2026-10-01T00:00:00Z'), session('admin@acme.example', '2026-10-01T00:00:00Z')] }),
        app('Tableau', { policies: { permittedUsers: 'admin-approved', profiles: ['Sales User'], permissionSets: [], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' }, sessions: [session('asmith@acme.example', '2026-10-01T00:00:00Z')] }),
        app('Zoom', { installed: false }),
        app('Box', { blocked: true }),
      ],
    });
    const p = checked(
      plan(desired({ settings: settingsDoc({ adminApprovedAppsOnly: true, unmanagedApps: 'ignore' }), apps: [appDoc('Zoom', { installed: true, policies: { permittedUsers: 'admin-approved', profiles: ['Sales User'] } })] }), observed),
    );
    expect(kinds(p)).toEqual(['install Zoom', 'set-assignments Zoom', 'set-policies Zoom', 'set-org-settings']);
    const on = p.actions.at(-1)!;
    expect(on.after).toEqual({ adminApprovedAppsOnly: true });
    expect(on.effects.appsCutOff).toEqual([{ name: 'Slack', id: expect.any(String), sessionsEnded: 1 }]);
    expect(on.effects).toMatchObject({ sessionsEnded: 1, usersAffected: 1 });
    expect(on.effects.lost?.users).toEqual(['asmith@acme.example', 'jdoe@acme.example']);
    expect(codes(p, 'warning')).toContain('CAP312');
  });

  it('R3: turning allowlisting off comes first', () => {
    const observed = snapshot({ users, allowlisting: true, blockUsernamePassword: false, apps: [app('Slack')] });
    const p = checked(
      plan(desired({ settings: settingsDoc({ adminApprovedAppsOnly: false, oauthFlows: { blockUsernamePassword: true }, unmanagedApps: 'ignore', rules: { CAPR001: 'off' } }), apps: [appDoc('Slack', { policies: { ipRelaxation: 'BYPASS' } })] }), observed),
    );
    expect(p.actions.map((a) => a.after)).toEqual([{ adminApprovedAppsOnly: false }, { oauthFlows: { blockUsernamePassword: true } }, { ipRelaxation: 'BYPASS' }]);
    expect(p.actions[0]!.effects.gained?.count).toBe(2);
  });

  it('R4: undeclared apps are noted (report), left alone (ignore) or blocked (block)', () => {
    const observed = snapshot({ users, apps: [app('Scraper', { installed: false, deniedAttempts: 212 }), app('Zapier')] });
    const report = checked(plan(desired({ settings: settingsDoc({ unmanagedApps: 'report' }) }), observed));
    expect(codes(report)).toEqual(['CAP313', 'CAP313', 'CAP314']);
    expect(report.diagnostics.find((d) => d.code === 'CAP314')!.message).toContain('212 attempts');
    expect(codes(checked(plan(desired({ settings: settingsDoc({ unmanagedApps: 'ignore' }) }), observed)))).toEqual([]);
    const block = checked(plan(desired({ settings: settingsDoc({ unmanagedApps: 'block' }) }), observed));
    expect(kinds(block)).toEqual(['block Scraper', 'block Zapier']);
    expect(block.actions[0]!.source).toMatchObject({ file: 'org.yaml' });
  });

  it('R5: installs come with the approval URL, need InstallPackaging for a packaged app, and policies need an installed app', () => {
    const observed = snapshot({ users, apps: [app('DocuSign', { installed: false, packaged: true }), app('Zoom', { installed: false })] });
    const p = checked(plan(desired({ apps: [appDoc('DocuSign', { installed: true }), appDoc('Zoom', { installed: true })] }), observed));
    expect(kinds(p)).toEqual(['install DocuSign', 'install Zoom']);
    expect(JSON.stringify(p.actions[0]!.requires)).toContain('InstallPackaging');
    expect(JSON.stringify(p.actions[1]!.requires)).not.toContain('InstallPackaging');
    expect(p.actions[0]!.approvalUrl).toBe(`/identity/app/AppInstallApprovalPage.apexp?app_id=${p.actions[0]!.app!.id}&app_org_id=00D5e0000001AcmEAA`);

    const bad = checked(plan(desired({ apps: [appDoc('Zoom', { policies: { ipRelaxation: 'BYPASS' } })] }), observed));
    expect(codes(bad, 'error')).toEqual(['CAP307']);
  });

  it('R6: an uninstall says what goes with the local copy', () => {
    const observed = snapshot({
      users,
      apps: [app('Box', { policies: { permittedUsers: 'admin-approved', profiles: ['Sales User'], permissionSets: ['Slack Access', 'Slack Admins'], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' }, sessions: [session('asmith@acme.example', '2026-10-01T00:00:00Z')] })],
    });
    const p = checked(plan(desired({ apps: [appDoc('Box', { installed: false })] }), observed));
    expect(kinds(p)).toEqual(['uninstall Box']);
    expect(p.actions[0]!.effects.removed).toEqual({ policies: true, profiles: 1, permissionSets: 2, sessions: 1 });
    expect(p.actions[0]!.reason).toEqual({ code: 'declared-uninstalled', params: {} });
    expect(renderReason(p.actions[0]!, p.org.name)).toContain('1 profile assignment, 2 permission-set assignments and 1 session go');
  });

  it('R7: assignments need admin-approved and names the org has', () => {
    const observed = snapshot({ users, apps: [app('Slack')] });
    const allUsers = checked(plan(desired({ apps: [appDoc('Slack', { policies: { profiles: ['Sales User'] } })] }), observed));
    expect(codes(allUsers, 'error')).toEqual(['CAP306']);
    const unknown = checked(plan(desired({ apps: [appDoc('Slack', { policies: { permittedUsers: 'admin-approved', profiles: ['Sales Usr'], permissionSets: ['Nope'] } })] }), observed));
    expect(codes(unknown, 'error').sort()).toEqual(['CAP304', 'CAP305']);
    expect(unknown.diagnostics.find((d) => d.code === 'CAP304')!.message).toContain('did you mean "Sales User"');
  });

  it('R8: a declared app the org does not list is an error that says apps are never created', () => {
    const observed = snapshot({ users, apps: [app('Slack')] });
    const p = checked(plan(desired({ apps: [appDoc('Slak', { blocked: true }), appDoc('Slack', { blocked: true })] }), observed));
    expect(codes(p, 'error')).toEqual(['CAP301']);
    expect(firstError(p).message).toMatch(/Spring '26.*external client app must be created in the org first/);
    expect(firstError(p).message).toContain('did you mean "Slack"');
    expect(p.actions).toEqual([]);
  });

  it('R8: suggests the org\'s name for a declared app with two letters swapped (a swap is one edit)', () => {
    const observed = snapshot({ users, apps: [app('Slack'), app('Zoom')] });
    const p = checked(plan(desired({ apps: [appDoc('Slcak', { blocked: true })] }), observed));
    expect(codes(p, 'error')).toEqual(['CAP301']);
    expect(firstError(p).message).toContain('(did you mean "Slack"?)');
  });

  it('checks a declared id and kind against the org', () => {
    const slack = app('Slack');
    const observed = snapshot({ users, apps: [slack] });
    expect(codes(plan(desired({ apps: [appDoc('Slack', { id: slack.id.slice(0, 15) })] }), observed), 'error')).toEqual([]);
    expect(codes(plan(desired({ apps: [appDoc('Slack', { id: '0H4000000000000XXX' })] }), observed), 'error')).toEqual(['CAP302']);
    expect(codes(plan(desired({ apps: [appDoc('Slack', { kind: 'ExternalClientApp' })] }), observed), 'error')).toEqual(['CAP303']);
  });

  it('R9: a revocation ends only matching sessions before its cutoff; satisfied, it plans nothing', () => {
    const observed = snapshot({
      users,
      apps: [app('Jira', { sessions: [session('jdoe@acme.example', '2026-11-01T00:00:00Z'), session('jdoe@acme.example', '2026-11-26T00:00:00Z'), session('asmith@acme.example', '2026-11-01T00:00:00Z')] })],
    });
    const rev = revocationDoc('INC-2057', 'Jira', { users: ['jdoe@acme.example'], issuedBefore: '2026-11-25T12:00:00Z' });
    const p = checked(plan(desired({ apps: [appDoc('Jira')], revocations: [rev] }), observed));
    expect(kinds(p)).toEqual(['revoke Jira']);
    expect(p.actions[0]!.revocation).toEqual({ id: 'INC-2057', users: ['jdoe@acme.example'], issuedBefore: '2026-11-25T12:00:00Z', reason: 'test' });
    expect(p.actions[0]!.effects).toMatchObject({ sessionsEnded: 1, usersAffected: 1 });
    expect(codes(p, 'warning')).toEqual(['CAP316']);

    const done = snapshot({ users, apps: [app('Jira', { sessions: [session('jdoe@acme.example', '2026-11-26T00:00:00Z')] })] });
    expect(checked(plan(desired({ apps: [appDoc('Jira')], revocations: [rev] }), done)).actions).toEqual([]);
  });

  it('R9 on its boundary: a session created exactly at issuedBefore is not revoked, one a millisecond before is', () => {
    const cutoff = '2026-11-20T00:00:00Z';
    const observed = snapshot({
      users,
      apps: [app('Jira', { sessions: [session('jdoe@acme.example', '2026-11-19T23:59:59.999Z'), session('asmith@acme.example', cutoff)] })],
    });
    const rev = revocationDoc('INC-1', 'Jira', { issuedBefore: cutoff });
    const p = checked(plan(desired({ apps: [appDoc('Jira')], revocations: [rev] }), observed));
    expect(p.actions[0]!.effects).toMatchObject({ sessionsEnded: 1, usersAffected: 1 });
    // Only the session at the cutoff left: the revocation is satisfied.
    const atCutoff = snapshot({ users, apps: [app('Jira', { sessions: [session('asmith@acme.example', cutoff)] })] });
    expect(checked(plan(desired({ apps: [appDoc('Jira')], revocations: [rev] }), atCutoff)).actions).toEqual([]);
  });

  it('R9: a revocation of an app the plan blocks is covered by the block', () => {
    const observed = snapshot({ users, apps: [app('Slack', { sessions: [session('jdoe@acme.example', '2026-11-01T00:00:00Z')] })] });
    const p = checked(plan(desired({ apps: [appDoc('Slack', { blocked: true })], revocations: [revocationDoc('INC-1', 'Slack')] }), observed));
    expect(kinds(p)).toEqual(['block Slack']);
    expect(p.diagnostics.find((d) => d.code === 'CAP315')).toMatchObject({ severity: 'info' });
  });

  it('R9: revocations naming unknown apps or users are errors', () => {
    const observed = snapshot({ users, apps: [app('Slack')] });
    const p = checked(plan(desired({ revocations: [revocationDoc('INC-1', 'Slakc', { users: ['jdoe@acme.exmple'] })] }), observed));
    expect(codes(p, 'error').sort()).toEqual(['CAP308', 'CAP309']);
  });

  it('R10: warns while the username-password flow is not blocked', () => {
    const observed = snapshot({ users, blockUsernamePassword: false, apps: [app('Data Loader', { sessions: [session('jdoe@acme.example', '2026-11-01T00:00:00Z', { flow: 'username-password' })] })] });
    const p = checked(plan(desired({ settings: settingsDoc({ unmanagedApps: 'ignore' }) }), observed));
    expect(codes(p)).toEqual(['CAP317']);
    expect(p.diagnostics.find((d) => d.code === 'CAP317')!.message).toContain('1 username-password session on 1 app');
    expect(codes(plan(desired({ settings: settingsDoc({ unmanagedApps: 'ignore', oauthFlows: { blockUsernamePassword: true } }) }), observed), 'warning')).toEqual([]);
  });

  it('R12: the approval URL is the seed\'s', async () => {
    const { approvalUrl } = await import('../../src/plan/approval-url.js');
    expect(approvalUrl('0H4Hp000000TN1xKAG', '00D5e0000001AcmEAA')).toBe('/identity/app/AppInstallApprovalPage.apexp?app_id=0H4Hp000000TN1xKAG&app_org_id=00D5e0000001AcmEAA');
  });

  it('R13: a protected app is never blocked, uninstalled or narrowed', () => {
    const observed = snapshot({ users, apps: [app('Salesforce CLI'), app('Gearset', { policies: { permittedUsers: 'admin-approved', profiles: ['Sales User', 'System Administrator'], permissionSets: [], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' } })] });
    const guards = settingsDoc({ unmanagedApps: 'ignore', guards: { protectedApps: ['Salesforce CLI', 'Gearset'] } });
    const blocked = checked(plan(desired({ settings: guards, apps: [appDoc('Salesforce CLI', { blocked: true })] }), observed));
    expect(codes(blocked, 'error')).toEqual(['CAP318']);
    expect(firstError(blocked).message).toMatch(/"Salesforce CLI" is protected \(org\.yaml:\d+:\d+\), but this plan blocks it \(apps\/salesforce-cli\.yaml:\d+:\d+\)/);
    expect(blocked.actions).toEqual([]);
    const narrowed = checked(plan(desired({ settings: guards, apps: [appDoc('Salesforce CLI', { policies: { permittedUsers: 'admin-approved', profiles: ['Sales User'] } })] }), observed));
    expect(codes(narrowed, 'error')).toEqual(['CAP318']);
    const removed = checked(plan(desired({ settings: guards, apps: [appDoc('Gearset', { policies: { profiles: ['System Administrator'] } })] }), observed));
    expect(firstError(removed).message).toContain('removes the assignment of profile Sales User');
    const widened = checked(plan(desired({ settings: guards, apps: [appDoc('Gearset', { policies: { profiles: ['Sales User', 'System Administrator', 'Standard User'] } })] }), observed));
    expect(codes(widened, 'error')).toEqual([]);
    expect(kinds(widened)).toEqual(['set-assignments Gearset']);
  });

  it('R13: a plan may end at most maxSessionsEnded sessions', () => {
    const sessions = Array.from({ length: 6 }, (_, i) => session('jdoe@acme.example', `2026-10-0${i + 1}T00:00:00Z`));
    const observed = snapshot({ users, apps: [app('Dropbox', { sessions })] });
    const p = checked(plan(desired({ settings: settingsDoc({ guards: { maxSessionsEnded: 5 } }), apps: [appDoc('Dropbox', { blocked: true })] }), observed));
    expect(codes(p, 'error')).toEqual(['CAP319']);
    expect(firstError(p).message).toContain('end 6 sessions, more than the 5 allowed: block Dropbox (6)');
    expect(p.summary).toMatchObject({ block: 0, sessionsEnded: 0 });
  });

  it('R13 on its boundary: a plan ending exactly maxSessionsEnded sessions passes, one more fails', () => {
    const sessions = (n: number) => Array.from({ length: n }, (_, i) => session('jdoe@acme.example', `2026-10-0${i + 1}T00:00:00Z`));
    const guard = settingsDoc({ guards: { maxSessionsEnded: 5 } });
    const exactly = checked(plan(desired({ settings: guard, apps: [appDoc('Dropbox', { blocked: true })] }), snapshot({ users, apps: [app('Dropbox', { sessions: sessions(5) })] })));
    expect(codes(exactly, 'error')).toEqual([]);
    expect(exactly.summary).toMatchObject({ block: 1, sessionsEnded: 5 });
    const oneMore = checked(plan(desired({ settings: guard, apps: [appDoc('Dropbox', { blocked: true })] }), snapshot({ users, apps: [app('Dropbox', { sessions: sessions(6) })] })));
    expect(codes(oneMore, 'error')).toEqual(['CAP319']);
  });

  it('checks every action against the actor, and still plans', () => {
    const observed = snapshot({ users: [...users, user('ops@acme.example', { permissions: ['ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ManageRemoteAccess'] })], apps: [app('Slack'), app('Dropbox')] });
    const d = desired({ apps: [appDoc('Slack', { policies: { permittedUsers: 'admin-approved', permissionSets: ['Slack Access'] } }), appDoc('Dropbox', { blocked: true })] });
    const p = checked(plan(d, observed, { actor: 'ops@acme.example' }));
    expect(p.actor).toBe('ops@acme.example');
    expect(p.actions.map((a) => [a.kind, a.allowed, a.missing])).toEqual([
      ['set-assignments', false, ['ModifyAllData']],
      ['set-policies', true, []],
      ['block', true, []],
    ]);
    expect(codes(p, 'warning')).toContain('CAP323');
    const unknown = checked(plan(d, observed, { actor: 'nobody@acme.example' }));
    expect(codes(unknown, 'warning')).toContain('CAP321');
    expect(unknown.actions.every((a) => a.allowed === false)).toBe(true);
    expect(codes(checked(plan(d, observed, { actor: 'gone@acme.example' })), 'warning')).toContain('CAP322');
  });

  it('warns when no file declares the org', () => {
    const p = checked(plan(undefined, snapshot({ users, apps: [app('Slack')] })));
    expect(codes(p)).toEqual(['CAP324', 'CAP313']);
  });

  it('changes nothing a declaration leaves out', () => {
    const observed = snapshot({ users, apps: [app('Slack', { blocked: true, policies: { permittedUsers: 'admin-approved', profiles: ['Sales User'], permissionSets: [], ipRelaxation: 'BYPASS', refreshTokenPolicy: 'zero' } })] });
    expect(plan(desired({ apps: [appDoc('Slack', { policies: { refreshTokenPolicy: 'zero' } })] }), observed).actions).toEqual([]);
  });
});
