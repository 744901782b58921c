// The plan renderers: text, JSON and markdown are pure views of the same plan data.
import type { ObservedPolicies } from '../../src/model/index.js';
import { describe, expect, it } from 'vitest';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { markdownLimit, renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { summaryLine } from '../../src/render/plan-words.js';
import { app, appDoc, desired, plan, session, settingsDoc, snapshot, user } from '../plan/builders.js';

const users = [user('jdoe@acme.example', { permissionSets: ['Slack Access'] }), user('asmith@acme.example')];

function samplePlan(actor?: string) {
  const observed = snapshot({
    users,
    apps: [
      app('Slack', { sessions: [session('jdoe@acme.example', '2026-11-01T00:00:00Z')] }),
      app('Dropbox', { sessions: [session('asmith@acme.example', '2026-11-01T00:00:00Z')] }),
      app('Zoom', { installed: false }),
    ],
  });
  const d = desired({
    settings: settingsDoc({ unmanagedApps: 'ignore' }),
    apps: [appDoc('Slack', { policies: { permittedUsers: 'admin-approved', permissionSets: ['Slack Access'] } }), appDoc('Dropbox', { blocked: true }), appDoc('Zoom', { installed: true })],
  });
  return plan(d, observed, actor ? { actor } : {});
}

describe('plan text', () => {
  it('shows each action with its symbol, reason, requirement and effect, a policy diff, and the summary line', () => {
    const text = renderPlanText(samplePlan(), { color: false });
    expect(text).toContain('  + 1. install Zoom');
    expect(text).toContain('  x 4. block Dropbox');
    expect(text).toMatch(/requires {2}CustomizeApplication AND \(ModifyAllData OR ManageRemoteAccess\)/);
    expect(text).toContain('effect    ends 1 session of 1 user');
    expect(text).toContain('-  permittedUsers: all-users\n');
    expect(text).toContain('+  permittedUsers: admin-approved\n');
    expect(text).toContain('+    - Slack Access');
    expect(text).toContain('Plan: 1 to install, 2 to update, 1 to block, 1 session to revoke.');
    expect(text).not.toContain('\u001b[');
  });

  it('colours only when asked', () => {
    expect(renderPlanText(samplePlan(), { color: true })).toContain('\u001b[32m+\u001b[0m');
  });

  it('says when nothing changes', () => {
    const p = plan(desired({ settings: settingsDoc({ unmanagedApps: 'ignore' }) }), snapshot({ users, apps: [app('Slack')] }));
    expect(renderPlanText(p, { color: false })).toContain('No changes. acme-prod matches the desired state.');
  });

  it('the summary line counts updates together and the sessions all actions end', () => {
    expect(summaryLine({ 'set-org-settings': 0, install: 1, uninstall: 0, 'set-policies': 1, 'set-assignments': 1, block: 1, unblock: 0, revoke: 2, sessionsEnded: 37 })).toBe(
      'Plan: 1 to install, 2 to update, 1 to block, 37 sessions to revoke.',
    );
  });
});

describe('plan JSON', () => {
  it('is the plan itself, formatVersion 2', () => {
    const p = samplePlan('jdoe@acme.example');
    expect(JSON.parse(renderPlanJson(p))).toEqual(p);
    expect(p.formatVersion).toBe(2);
  });
});

describe('plan markdown', () => {
  it('puts the summary first and folds the details', () => {
    const md = renderPlanMarkdown(samplePlan('jdoe@acme.example'));
    const lines = md.split('\n');
    expect(lines[0]).toBe('### capctl plan: `acme-prod`');
    expect(lines[2]).toBe('**Plan: 1 to install, 2 to update, 1 to block, 1 session to revoke.**');
    expect(md).toContain('<details><summary>Details of each action</summary>');
    expect(md).toContain('```diff');
    expect(md).not.toContain('Cut to stay under');
  });

  it('stays under 60,000 characters for a change to 5,000 apps, and says what it left out', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `App ${String(i).padStart(4, '0')}`);
    const observed = snapshot({ users, apps: names.map((name) => app(name, { sessions: [session('asmith@acme.example', '2026-11-01T00:00:00Z')] })) });
    const p = plan(desired({ settings: settingsDoc({ unmanagedApps: 'block' }) }), observed, { actor: 'jdoe@acme.example' });
    expect(p.actions).toHaveLength(5000);
    const md = renderPlanMarkdown(p);
    expect(md.length).toBeLessThanOrEqual(markdownLimit);
    expect(md.length).toBeGreaterThan(markdownLimit / 2);
    expect(md.split('\n')[2]).toBe('**Plan: 5000 to block, 5000 sessions to revoke.**');
    expect(md).toMatch(/Cut to stay under 60,000 characters:\*\* \d+ table rows, the details of \d+ actions not shown/);
    expect(md).toContain('**warning** CAP323');
    expect(md).toContain('`capctl plan --format json` prints the whole plan');
    expect((md.match(/<details>/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
  });

  // Four active users and one inactive, none with Use Any API Client or the right to approve
  // uninstalled apps; only ann holds Slack Access and only dan is a Sales User. By hand: installing
  // Zoom for all users admits the four active ones (+4); blocking Dropbox (all users) shuts out the
  // same four (−4) and ends its 3 sessions of 2 users; narrowing Slack from all users to Slack
  // Access keeps ann and shuts out bob, cat and dan (−3); moving Box from Slack Access to the Sales
  // User profile lets dan in and ann out (+1, −1).
  it('counts, per action, the users who gain and lose access beside the sessions it ends', () => {
    const people = [
      user('ann@acme.example', { permissionSets: ['Slack Access'] }),
      user('bob@acme.example'),
      user('cat@acme.example'),
      user('dan@acme.example', { profile: 'Sales User' }),
      user('eve@acme.example', { active: false }),
    ];
    const at = '2026-11-01T00:00:00Z';
    const narrow: ObservedPolicies = { permittedUsers: 'admin-approved', profiles: [], permissionSets: ['Slack Access'], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' };
    const observed = snapshot({
      users: people,
      apps: [
        app('Zoom', { installed: false }),
        app('Dropbox', { sessions: [session('ann@acme.example', at), session('bob@acme.example', at), session('bob@acme.example', at)] }),
        app('Slack'),
        app('Box', { policies: narrow }),
      ],
    });
    const d = desired({
      settings: settingsDoc({ unmanagedApps: 'ignore' }),
      apps: [
        appDoc('Zoom', { installed: true }),
        appDoc('Dropbox', { blocked: true }),
        appDoc('Slack', { policies: { permittedUsers: 'admin-approved', permissionSets: ['Slack Access'] } }),
        appDoc('Box', { policies: { permittedUsers: 'admin-approved', profiles: ['Sales User'], permissionSets: [] } }),
      ],
    });
    const md = renderPlanMarkdown(plan(d, observed));
    expect(md).toContain('| # | | action | app | users gaining access | users losing access | sessions ended | users whose sessions end |\n');
    /** The cells after the app's name: gained, lost, sessions ended, users whose sessions end. */
    const row = (kind: string, name: string): string[] => {
      const line = md.split('\n').find((l) => l.includes(`| ${kind} | ${name} |`));
      expect(line, `a row for ${kind} ${name}`).toBeDefined();
      return line!.split(' | ').slice(4).map((cell) => cell.replace(/ \|$/, ''));
    };
    expect(row('install', 'Zoom')).toEqual(['+4', '0', '0', '0']);
    expect(row('block', 'Dropbox')).toEqual(['0', '−4', '3', '2']);
    // Slack's assignments are set first, while it still admits all users: nobody's access changes.
    expect(row('set-assignments', 'Slack')).toEqual(['0', '0', '0', '0']);
    expect(row('set-policies', 'Slack')).toEqual(['0', '−3', '0', '0']);
    expect(row('set-assignments', 'Box')).toEqual(['+1', '−1', '0', '0']);
  });
});
