// What a live org does not show (SPEC §13): a session's flow is `unknown`, denied attempts are
// null. The planner and the usage page say so, and never count them as zero.
import { describe, expect, it } from 'vitest';
import type { ObservedApp } from '../../src/model/index.js';
import { UsageTotalsCounter, usageAccess, usageAppRow, usageContext } from '../../src/render/usage-rows.js';
import { renderAppUsageFooter, renderAppUsageHeading, renderUsageFooter, renderUsageRows, usageTableLayout, userTableLayout } from '../../src/render/usage-text.js';
import { JsonArrayPieces, renderAppUsageJsonEnd } from '../../src/render/usage-json.js';
import { app, appDoc, desired, plan, session, settingsDoc, snapshot, user } from '../plan/builders.js';
import { expectValidPlan } from '../plan/plan-schema.js';

const users = [user('admin@acme.example', { profile: 'System Administrator' }), user('jdoe@acme.example')];

describe('the planner on what a live org does not show', () => {
  it('R4: an undeclared uninstalled app with unobserved denied attempts is noted as not judgeable, never as 0 attempts', () => {
    const observed = snapshot({ users, apps: [app('Postman', { installed: false, deniedAttempts: null, derivedId: true, sessions: [session('admin@acme.example', '2026-06-01T00:00:00Z', { flow: 'unknown' })] })] });
    const p = plan(desired({ settings: settingsDoc({ unmanagedApps: 'report' }) }), observed);
    expectValidPlan(p);
    const note = p.diagnostics.find((d) => d.code === 'CAP314');
    expect(note?.message).toContain('cannot be judged');
    expect(note?.message).not.toMatch(/denied \d+/);
  });

  it('R4: an app whose denied attempts are known to be 0 is still not noted', () => {
    const observed = snapshot({ users, apps: [app('Postman', { installed: false, deniedAttempts: 0 })] });
    expect(plan(desired({ settings: settingsDoc({ unmanagedApps: 'report' }) }), observed).diagnostics.map((d) => d.code)).not.toContain('CAP314');
  });

  it('R10: sessions of unknown flow make the warning say the username-password flow cannot be judged', () => {
    const sessions = [session('jdoe@acme.example', '2026-06-01T00:00:00Z', { flow: 'unknown' }), session('jdoe@acme.example', '2026-06-02T00:00:00Z', { flow: 'unknown' })];
    const observed = snapshot({ users, blockUsernamePassword: false, apps: [app('Slack', { sessions })] });
    const p = plan(desired({ settings: settingsDoc({ unmanagedApps: 'ignore' }), apps: [appDoc('Slack', { installed: true })] }), observed);
    const warning = p.diagnostics.find((d) => d.code === 'CAP317');
    expect(warning?.message).toContain("Whether any of acme-prod's 2 sessions of unknown flow are username-password sessions cannot be judged");
  });

  it('an install of an app with unobserved denied attempts does not claim any were denied', () => {
    const observed = snapshot({ users, apps: [app('Postman', { installed: false, deniedAttempts: null, derivedId: true })] });
    const p = plan(desired({ settings: settingsDoc({ unmanagedApps: 'ignore' }), apps: [appDoc('Postman', { installed: true })] }), observed);
    expect(p.actions[0]?.kind).toBe('install');
    expect(p.actions[0]?.reason).not.toContain('denied');
  });
});

describe('the usage page on what a live org does not show', () => {
  const postman: ObservedApp = app('Postman', { installed: false, deniedAttempts: null, derivedId: true, sessions: [session('jdoe@acme.example', '2026-06-01T00:00:00Z', { flow: 'unknown' })] });
  const observed = snapshot({ users, apps: [postman] });

  it('shows ? for denied attempts not observed, and counts sessions of unknown flow apart', () => {
    const context = usageContext(observed);
    const access = usageAccess(postman, context);
    const row = usageAppRow(postman, access);
    expect(row.deniedAttempts).toBeNull();
    expect(row.sessions).toBe(1);
    const layout = usageTableLayout([postman], [access]);
    expect(renderUsageRows([row], layout, { color: false }).trimEnd()).toMatch(/ 1 +\?$/);
    const totals = new UsageTotalsCounter();
    totals.add(postman, row);
    expect(totals.result().unknownFlowSessions).toBe(1);
    expect(renderUsageFooter(totals.result())).toContain('Flow unknown: 1 session');
    expect(renderAppUsageHeading({ name: 'acme-prod', id: observed.org.id }, row, userTableLayout([]))).toContain('denied attempts: not observed');
    expect(renderAppUsageFooter(1, 0, 1)).toContain('cannot be judged (R10)');
    expect(JSON.parse(`{"users": [${renderAppUsageJsonEnd(new JsonArrayPieces(), 0, 1)}`)).toMatchObject({ unknownFlowSessions: 1 });
  });

  it('says nothing of unknown flows when every flow is known (the file store)', () => {
    const known = app('Slack', { sessions: [session('jdoe@acme.example', '2026-06-01T00:00:00Z')] });
    const totals = new UsageTotalsCounter();
    totals.add(known, usageAppRow(known, usageAccess(known, usageContext(observed))));
    expect(totals.result()).not.toHaveProperty('unknownFlowSessions');
    expect(renderUsageFooter(totals.result())).not.toContain('Flow unknown');
  });
});
