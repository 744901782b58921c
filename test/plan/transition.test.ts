// transitionOf: what one action does to an org, and which store files it changes.
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/model/index.js';
import { transitionOf } from '../../src/plan/action-kinds.js';
import { TransitionError, type OrgData } from '../../src/plan/transition.js';
import { allPermissions, app, session, snapshot, user } from './builders.js';

function data(): OrgData {
  const s = snapshot({
    users: [user('a@x', { permissions: ['UseAnyApiClient'] }), user('b@x')],
    apps: [
      app('Slack', { sessions: [session('a@x', '2026-11-01T00:00:00Z'), session('b@x', '2026-11-01T00:00:00Z'), session('b@x', '2026-11-25T00:00:00Z')] }),
      app('Zoom', { installed: false, sessions: [session('a@x', '2026-11-01T00:00:00Z')] }),
      app('Box', { blocked: true }),
    ],
  });
  return { org: s.org, users: s.users, apps: s.apps };
}

function action(kind: Action['kind'], appName: string | undefined, fields: Partial<Action> = {}): Action {
  const d = data();
  const target = d.apps.find((a) => a.name === appName);
  return { seq: 1, kind, ...(target ? { app: { name: target.name, id: target.id } } : {}), reason: 'test', requires: 'ViewSetup', effects: { sessionsEnded: 0, usersAffected: 0 }, ...fields };
}

const slackOf = (d: OrgData) => d.apps.find((a) => a.name === 'Slack')!;

describe('transitionOf', () => {
  it('install gives the default policies and touches only that app', () => {
    const before = data();
    const { next, result, changed } = transitionOf(before, action('install', 'Zoom'));
    expect(result).toEqual({ status: 'installed', sessionsEnded: 0, usersAffected: 0 });
    expect(next.apps.find((a) => a.name === 'Zoom')!.policies).toEqual({ permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' });
    expect(changed).toEqual({ org: false, apps: [before.apps.find((a) => a.name === 'Zoom')!.id] });
    expect(next.apps.find((a) => a.name === 'Slack')).toBe(before.apps.find((a) => a.name === 'Slack'));
    expect(before.apps.find((a) => a.name === 'Zoom')!.installed).toBe(false);
  });

  it('finds the app where indexOf says, and by a search when indexOf is wrong or silent', () => {
    const before = data();
    const block = action('block', 'Slack');
    const expected = transitionOf(before, block);
    const at = before.apps.findIndex((a) => a.name === 'Slack');
    for (const indexOf of [() => at, () => (at + 1) % before.apps.length, () => 99, () => undefined]) {
      const { next, changed } = transitionOf(before, block, indexOf);
      expect(next).toEqual(expected.next);
      expect(changed).toEqual(expected.changed);
    }
  });

  it('uninstall removes policies, assignments and every session', () => {
    const { next, result } = transitionOf(data(), action('uninstall', 'Slack'));
    expect(result).toEqual({ status: 'uninstalled', sessionsEnded: 3, usersAffected: 2 });
    expect(slackOf(next)).toMatchObject({ installed: false, sessions: [] });
    expect(slackOf(next).policies).toBeUndefined();
  });

  it('block ends all sessions; unblock ends none', () => {
    const blocked = transitionOf(data(), action('block', 'Slack'));
    expect(blocked.result).toEqual({ status: 'blocked', sessionsEnded: 3, usersAffected: 2 });
    expect(slackOf(blocked.next)).toMatchObject({ blocked: true, sessions: [] });
    const unblocked = transitionOf(data(), action('unblock', 'Box'));
    expect(unblocked.result.status).toBe('unblocked');
  });

  it('revoke ends only the named users\' sessions created before the cutoff', () => {
    const revocation = { id: 'INC-1', users: ['b@x'], issuedBefore: '2026-11-20T00:00:00Z', reason: 'r' };
    const { next, result } = transitionOf(data(), action('revoke', 'Slack', { revocation }));
    expect(result).toEqual({ status: 'revoked', sessionsEnded: 1, usersAffected: 1 });
    expect(slackOf(next).sessions.map((s) => [s.user, s.created])).toEqual([
      ['a@x', '2026-11-01T00:00:00Z'],
      ['b@x', '2026-11-25T00:00:00Z'],
    ]);
    const again = transitionOf(next, action('revoke', 'Slack', { revocation }));
    expect(again.result.status).toBe('skipped');
    expect(again.changed).toEqual({ org: false, apps: [] });
    expect(again.next).toBe(next);
  });

  it('set-policies and set-assignments change only the values named, keeping name lists sorted', () => {
    const policies = transitionOf(data(), action('set-policies', 'Slack', { after: { permittedUsers: 'admin-approved', ipRelaxation: 'BYPASS' } }));
    expect(slackOf(policies.next).policies).toMatchObject({ permittedUsers: 'admin-approved', ipRelaxation: 'BYPASS', refreshTokenPolicy: 'infinite' });
    const assignments = transitionOf(policies.next, action('set-assignments', 'Slack', { after: { permissionSets: ['Zeta', 'Alpha'] } }));
    expect(slackOf(assignments.next).policies!.permissionSets).toEqual(['Alpha', 'Zeta']);
    expect(assignments.result).toEqual({ status: 'updated', sessionsEnded: 0, usersAffected: 0 });
  });

  it('turning allowlisting on ends sessions on apps off the allowlist, except for Use Any API Client users', () => {
    const before = data();
    const { next, result, changed } = transitionOf(before, action('set-org-settings', undefined, { after: { adminApprovedAppsOnly: true } }));
    expect(next.org.settings.adminApprovedAppsOnly).toBe(true);
    expect(result).toEqual({ status: 'updated', sessionsEnded: 2, usersAffected: 1 });
    expect(slackOf(next).sessions.map((s) => s.user)).toEqual(['a@x']);
    expect(changed.org).toBe(true);
    expect(changed.apps).toEqual([slackOf(before).id]);
  });

  it('org OAuth settings change org.json only', () => {
    const { next, changed } = transitionOf(data(), action('set-org-settings', undefined, { after: { oauthFlows: { blockUsernamePassword: false } } }));
    expect(next.org.settings.oauthFlows.blockUsernamePassword).toBe(false);
    expect(changed).toEqual({ org: true, apps: [] });
  });

  it('refuses actions that do not fit the data', () => {
    expect(() => transitionOf(data(), action('set-policies', 'Zoom', { after: { ipRelaxation: 'BYPASS' } }))).toThrow(TransitionError);
    expect(() => transitionOf(data(), { ...action('block', 'Slack'), app: { name: 'Gone', id: '0H4000000000000000' } })).toThrow(/no app with id/);
    expect(allPermissions).toHaveLength(8);
  });
});
