// The calls an apply takes on a live org, by the batching of each kind (salesforce-api.md §2, §6),
// on the batch boundaries (10/11 components, 200/201 rows), per run, read-backs included.
import { describe, expect, it } from 'vitest';
import type { Action, ObservedApp } from '../../src/model/index.js';
import { batchesOf, estimateApplyCalls, revokeChunks, tokenChunks } from '../../src/salesforce/call-estimate.js';

function action(kind: Action['kind'], fields: Partial<Action> = {}): Action {
  return { seq: 1, kind, app: { name: 'A', id: '0H4000000000000AAA' }, reason: { code: 'declared-blocked', params: {} }, requires: 'ViewSetup', effects: { sessionsEnded: 0, usersAffected: 0 }, ...fields } as Action;
}

const times = (n: number, make: () => Action): Action[] => Array.from({ length: n }, make);

describe('estimateApplyCalls', () => {
  it('metadata writes go 10 per call: 10 policies are one batch (read, update, and read back by one readMetadata and one query), 11 are two', () => {
    expect(estimateApplyCalls([times(10, () => action('set-policies'))])).toEqual({ calls: 4, byKind: { 'set-policies': 4 } });
    expect(estimateApplyCalls([times(11, () => action('set-policies'))])).toEqual({ calls: 8, byKind: { 'set-policies': 8 } });
    // An external client app's policies are read back without the ConnectedApplication query.
    const eca = { id: '0H4000000000000AAA', name: 'A', type: 'ExternalClientApp', sessions: [] } as unknown as ObservedApp;
    expect(estimateApplyCalls([times(10, () => action('set-policies'))], [eca]).calls).toBe(3);
    // A block: one upsert, one readMetadata back, one COUNT() of each app's tokens.
    expect(estimateApplyCalls([times(10, () => action('block'))]).calls).toBe(1 + 1 + 10);
    expect(estimateApplyCalls([times(11, () => action('block'))]).calls).toBe(1 + 1 + 10 + (1 + 1 + 1));
    expect(estimateApplyCalls([times(10, () => action('unblock'))]).calls).toBe(2);
    expect(estimateApplyCalls([times(11, () => action('unblock'))]).calls).toBe(4);
  });

  it('batches follow the store: consecutive items of one call, at most 10 items, a new batch at another call', () => {
    const call = (key: string, items = 1) => ({ key, items });
    expect(batchesOf([1, 2, 3], () => call('a')).map((b) => b.length)).toEqual([3]);
    expect(batchesOf(Array.from({ length: 21 }, (_, i) => i), () => call('a')).map((b) => b.length)).toEqual([10, 10, 1]);
    expect(batchesOf([1, 2, 3, 4], (i) => (i === 3 ? undefined : call(i < 3 ? 'a' : 'b'))).map((b) => b.length)).toEqual([2, 1, 1]);
    // Items, not actions, fill a call: 4 + 4 + 2 fit, a third of 4 does not.
    expect(batchesOf([4, 4, 2, 4], (n) => call('a', n)).map((b) => b.length)).toEqual([3, 1]);
  });

  it('assignments go 200 per call, creates and deletes apart, after one query and before one read-back', () => {
    const assign = (added: number, removed: number): Action =>
      action('set-assignments', {
        reason: { code: 'assignments-differ', params: { from: 'org', changes: [{ field: 'permissionSets', added: Array.from({ length: added }, () => 'x'), removed: Array.from({ length: removed }, () => 'y') }] } },
      });
    expect(estimateApplyCalls([[assign(200, 0)]]).calls).toBe(1 + 1 + 1);
    expect(estimateApplyCalls([[assign(201, 200)]]).calls).toBe(1 + 2 + 1 + 1);
    expect(estimateApplyCalls([[assign(0, 201)]]).calls).toBe(1 + 2 + 1);
    // One per action: assignments are not batched across actions.
    expect(estimateApplyCalls([[assign(1, 0), assign(1, 0)]]).calls).toBe(2 * 3);
  });

  it("a revocation: the app's token query (500 rows a page, again past the 2,500 cap), one call per token, then a COUNT() and the tokens left", () => {
    expect(estimateApplyCalls([[action('revoke', { effects: { sessionsEnded: 500, usersAffected: 3 } })]]).calls).toBe(1 + 500 + 1);
    expect(estimateApplyCalls([[action('revoke', { effects: { sessionsEnded: 501, usersAffected: 3 } })]]).calls).toBe(2 + 501 + 1);
    // 2,500: the query answers the cap, so it is made again (answering none).
    expect(estimateApplyCalls([[action('revoke', { effects: { sessionsEnded: 2500, usersAffected: 3 } })]]).calls).toBe(5 + 2500 + 1 + 1);
    // The app holds more tokens than end: the query asks only for those that end (one page), and the read-back reads the pages of the rest.
    const held = { id: '0H4000000000000AAA', name: 'A', type: 'ConnectedApp', sessions: Array.from({ length: 600 }, (_, i) => ({ user: `u${i}` })) } as unknown as ObservedApp;
    expect(estimateApplyCalls([[action('revoke', { effects: { sessionsEnded: 2, usersAffected: 1 } })]], [held]).calls).toBe(1 + 2 + 1 + 2);
  });

  it('a revocation naming users queries them 200 at a time (sorted), each chunk its own query of what it ends: 200 users one query, 201 two', () => {
    const sessions = (n: number) => Array.from({ length: n }, (_, i) => ({ user: `u${String(i).padStart(3, '0')}`, created: '2026-01-01T00:00:00Z' }));
    const app = (n: number) => ({ id: '0H4000000000000AAA', name: 'A', type: 'ConnectedApp', sessions: sessions(n) }) as unknown as ObservedApp;
    const revoking = (n: number) =>
      action('revoke', { effects: { sessionsEnded: n, usersAffected: n }, revocation: { id: 'INC-1', users: sessions(n).map((s) => s.user), issuedBefore: '2026-06-01T00:00:00Z', reason: 'test' } } as Partial<Action>);
    expect(revokeChunks(sessions(201).map((s) => s.user).reverse()).map((c) => [c[0], c.length])).toEqual([['u000', 200], ['u200', 1]]);
    // Every session ends: no read-back query after the COUNT().
    expect(estimateApplyCalls([[revoking(200)]], [app(200)]).calls).toBe(1 + 200 + 1);
    expect(estimateApplyCalls([[revoking(201)]], [app(201)]).calls).toBe(1 + 200 + 1 + 1 + 1);
  });

  it("an external client app's revocation: its users 100 a page (one more page when they fill theirs), each named user's tokens, one DELETE per token, the read-back", () => {
    const eca = (users: number): ObservedApp =>
      ({ id: '0H4000000000000AAA', name: 'A', type: 'ExternalClientApp', sessions: Array.from({ length: users }, (_, i) => ({ user: `u${i}` })) }) as unknown as ObservedApp;
    const all = action('revoke', { revocation: { users: 'all', issuedBefore: '2026-01-01T00:00:00Z' }, effects: { sessionsEnded: 1, usersAffected: 1 } } as Partial<Action>);
    // Pages of users, then a tokens GET per user, the DELETE, the read-back (COUNT() and the tokens left).
    expect(estimateApplyCalls([[all]], [eca(99)]).calls).toBe(1 + 99 + 1 + 2);
    expect(estimateApplyCalls([[all]], [eca(100)]).calls).toBe(2 + 100 + 1 + 2);
    expect(estimateApplyCalls([[all]], [eca(101)]).calls).toBe(2 + 101 + 1 + 2);
    expect(estimateApplyCalls([[all]], [eca(200)]).calls).toBe(3 + 200 + 1 + 2);
    // Users named: every page is still read, but only their tokens.
    const named = action('revoke', { revocation: { users: ['u1', 'u149'], issuedBefore: '2026-01-01T00:00:00Z' }, effects: { sessionsEnded: 1, usersAffected: 1 } } as Partial<Action>);
    expect(estimateApplyCalls([[named]], [eca(150)]).calls).toBe(2 + 2 + 1 + 2);
  });

  it("past the cap, a revocation's read-back queries chunks of the app's holders: at most 2,000 tokens held and 256 users a chunk, in username order", () => {
    const holders = (n: number, held: number, from = 0) => Array.from({ length: n }, (_, i) => ({ user: `u${String(from + i).padStart(4, '0')}`, held }));
    const sizes = (chunks: { held: number }[][]) => chunks.map((c) => c.reduce((n, h) => n + h.held, 0));
    expect(sizes(tokenChunks(holders(200, 10)))).toEqual([2000]);
    expect(sizes(tokenChunks([...holders(200, 10), { user: 'u9999', held: 1 }]))).toEqual([2000, 1]);
    expect(tokenChunks(holders(256, 1)).map((c) => c.length)).toEqual([256]);
    expect(tokenChunks(holders(257, 1)).map((c) => c.length)).toEqual([256, 1]);
    // A holder of more than 2,000 is a chunk alone; the order is the usernames', whatever the order given.
    expect(tokenChunks([{ user: 'b', held: 1 }, { user: 'c', held: 3000 }, { user: 'a', held: 1 }]).map((c) => c.map((h) => h.user))).toEqual([['a', 'b'], ['c']]);

    // 3,000 tokens of 300 users (10 each); the 300 issued first (of u0000–u0029) end: COUNT(), then per chunk the pages of what it has left.
    const sessions = holders(300, 10).flatMap((h, u) => Array.from({ length: 10 }, (_, t) => ({ user: h.user, created: new Date(Date.UTC(2026, 5, 1) + (u * 10 + t) * 60_000).toISOString() })));
    const app = { id: '0H4000000000000AAA', name: 'A', type: 'ExternalClientApp', sessions } as unknown as ObservedApp;
    const revoke = action('revoke', { revocation: { users: 'all', issuedBefore: '2026-06-01T05:00:00Z' }, effects: { sessionsEnded: 300, usersAffected: 30 } } as Partial<Action>);
    // Pages of users (4), a tokens GET per user, a DELETE per token; read back: COUNT(), chunk u0000–u0199 (1,700 left: 4 pages), chunk u0200–u0299 (1,000: 2 pages).
    expect(estimateApplyCalls([[revoke]], [app]).calls).toBe(4 + 300 + 300 + 1 + 4 + 2);
  });

  it('settings: a read and an upsert per type, two reads back; manual steps none', () => {
    expect(estimateApplyCalls([[action('set-org-settings', { after: { adminApprovedAppsOnly: true, oauthFlows: { blockUserAgent: true } } })]]).calls).toBe(4 + 2);
    expect(estimateApplyCalls([[action('set-org-settings', { after: { oauthFlows: { blockUserAgent: true } } })]]).calls).toBe(2 + 2);
    expect(estimateApplyCalls([[action('install', { manual: { page: 'oauth-usage', url: 'https://x/lightning/setup/ConnectedAppsUsage/home' } })]])).toEqual({ calls: 0, byKind: { install: 0 } });
  });

  it('each run is batched on its own; kinds interleaved make batches of their own', () => {
    const policies = times(12, () => action('set-policies'));
    expect(estimateApplyCalls([policies]).calls).toBe(8);
    expect(estimateApplyCalls([policies.slice(0, 2), policies.slice(2)]).calls).toBe(8);
    expect(estimateApplyCalls([policies.slice(0, 1), policies.slice(1, 3), policies.slice(3)]).calls).toBe(12);
    expect(estimateApplyCalls([[action('block'), action('unblock'), action('block')]])).toEqual({ calls: 3 + 2 + 3, byKind: { block: 6, unblock: 2 } });
  });
});
