// The calls an apply takes on a live org, by the batching of each kind (salesforce-api.md §2, §6),
// on the batch boundaries, per run, with one read-back per group of consecutive actions of a kind.
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/model/index.js';
import { estimateApplyCalls } from '../../src/salesforce/call-estimate.js';

function action(kind: Action['kind'], fields: Partial<Action> = {}): Action {
  return { seq: 1, kind, app: { name: 'A', id: '0H4000000000000AAA' }, reason: { code: 'declared-blocked', params: {} }, requires: 'ViewSetup', effects: { sessionsEnded: 0, usersAffected: 0 }, ...fields } as Action;
}

const times = (n: number, make: () => Action): Action[] => Array.from({ length: n }, make);

describe('estimateApplyCalls', () => {
  it('metadata writes go 10 per call: 10 policies are one read and one update, 11 are two of each; plus one read-back', () => {
    expect(estimateApplyCalls([times(10, () => action('set-policies'))])).toEqual({ calls: 3, byKind: { 'set-policies': 3 } });
    expect(estimateApplyCalls([times(11, () => action('set-policies'))])).toEqual({ calls: 5, byKind: { 'set-policies': 5 } });
    expect(estimateApplyCalls([times(10, () => action('block'))]).calls).toBe(2);
    expect(estimateApplyCalls([times(11, () => action('block'))]).calls).toBe(3);
    expect(estimateApplyCalls([times(10, () => action('unblock'))]).calls).toBe(3);
  });

  it('assignments go 200 per call, creates and deletes apart, after one query', () => {
    const assign = (added: number, removed: number): Action =>
      action('set-assignments', {
        reason: { code: 'assignments-differ', params: { from: 'org', changes: [{ field: 'permissionSets', added: Array.from({ length: added }, () => 'x'), removed: Array.from({ length: removed }, () => 'y') }] } },
      });
    expect(estimateApplyCalls([[assign(200, 0)]]).calls).toBe(1 + 1 + 1);
    expect(estimateApplyCalls([[assign(201, 1)]]).calls).toBe(1 + 2 + 1 + 1);
  });

  it('a revocation is one call per token after its token query (500 rows a page); settings one per type; manual steps none', () => {
    expect(estimateApplyCalls([[action('revoke', { effects: { sessionsEnded: 500, usersAffected: 3 } })]]).calls).toBe(1 + 500 + 1);
    expect(estimateApplyCalls([[action('revoke', { effects: { sessionsEnded: 501, usersAffected: 3 } })]]).calls).toBe(2 + 501 + 1);
    expect(estimateApplyCalls([[action('set-org-settings', { after: { adminApprovedAppsOnly: true, oauthFlows: { blockUserAgent: true } } })]]).calls).toBe(2 + 1);
    expect(estimateApplyCalls([[action('install', { manual: { page: 'oauth-usage', url: 'https://x/lightning/setup/ConnectedAppsUsage/home' } })]])).toEqual({ calls: 0, byKind: { install: 0 } });
  });

  it('each run is batched on its own, and each group of one kind reads back once', () => {
    const policies = times(12, () => action('set-policies'));
    // One run: 2 reads + 2 updates + 1 read-back; runs of 2 and 10: (2 + 1) + (2 + 1).
    expect(estimateApplyCalls([policies]).calls).toBe(5);
    expect(estimateApplyCalls([policies.slice(0, 2), policies.slice(2)]).calls).toBe(6);
    // Kinds interleaved make groups of their own.
    expect(estimateApplyCalls([[action('block'), action('unblock'), action('block')]])).toEqual({ calls: 2 + 3 + 2, byKind: { block: 4, unblock: 3 } });
  });
});
