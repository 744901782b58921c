// R9: a revocation that another action of the plan carries out has no action of its own, but the
// action that covers it names it, so that the apply commit still gets its Capctl-Revocation trailer.
import { describe, expect, it } from 'vitest';
import { app, appDoc, desired, plan, revocationDoc, session, snapshot, user } from './builders.js';
import { expectValidPlan } from './plan-schema.js';

const users = [user('jdoe@acme.example'), user('asmith@acme.example')];
const sessions = [session('jdoe@acme.example', '2026-11-01T00:00:00Z'), session('asmith@acme.example', '2026-11-02T00:00:00Z')];

describe('revocations covered by another action', () => {
  it('a block or an uninstall names the revocations of its app that it covers', () => {
    const observed = snapshot({ users, apps: [app('Slack', { sessions }), app('Zoom', { sessions })] });
    const p = plan(
      desired({
        apps: [appDoc('Slack', { blocked: true }), appDoc('Zoom', { installed: false })],
        revocations: [revocationDoc('INC-1', 'Slack'), revocationDoc('INC-2', 'Slack', { users: ['jdoe@acme.example'] }), revocationDoc('INC-3', 'Zoom')],
      }),
      observed,
    );
    expectValidPlan(p);
    expect(p.actions.map((a) => [a.kind, a.app?.name, a.covers])).toEqual([
      ['block', 'Slack', ['INC-1', 'INC-2']],
      ['uninstall', 'Zoom', ['INC-3']],
    ]);
  });

  it('a revocation names a later one whose sessions it already ends', () => {
    const observed = snapshot({ users, apps: [app('Slack', { sessions })] });
    const p = plan(desired({ apps: [appDoc('Slack')], revocations: [revocationDoc('INC-1', 'Slack'), revocationDoc('INC-2', 'Slack', { users: ['jdoe@acme.example'] })] }), observed);
    expectValidPlan(p);
    expect(p.actions.map((a) => [a.kind, a.revocation?.id, a.covers])).toEqual([['revoke', 'INC-1', ['INC-2']]]);
  });

  it('an action that covers nothing has no covers field', () => {
    const observed = snapshot({ users, apps: [app('Slack', { sessions })] });
    const p = plan(desired({ apps: [appDoc('Slack', { blocked: true })] }), observed);
    expect(p.actions).toHaveLength(1);
    expect(p.actions[0]).not.toHaveProperty('covers');
  });
});
