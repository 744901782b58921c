// A read given the last one (its snapshot and sessions cache) reads only the tokens issued or used
// since, and takes the others from the store — but only when that is provably what a full read
// gives: each case here is checked against a full read of the same fake org.
import { afterEach, describe, expect, it } from 'vitest';
import type { ObservedApp, OrgSnapshot, OrgUser, Session } from '../../src/model/index.js';
import { readLiveSnapshot, type LiveRead } from '../../src/salesforce/read-live-snapshot.js';
import type { FakeOrg } from '../../src/fake-org/server.js';
import type { SfClient } from '../../src/salesforce/client.js';
import { app, snapshot, user } from '../plan/builders.js';
import { fakeWithClient } from './helpers.js';

let fake: FakeOrg | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const minute = 60_000;
const base = Date.parse('2026-05-01T00:00:00Z');
const at = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const sfAt = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/** 60 users, 3 apps, 10 sessions each per app (1,800 tokens: more than the two queries cost), each created a minute apart. */
async function setUp() {
  const people: OrgUser[] = Array.from({ length: 60 }, (_, i) => user(`u${String(i).padStart(3, '0')}@acme.example`));
  let n = 0;
  const sessions = (): Session[] =>
    people.flatMap((p) => Array.from({ length: 10 }, () => {
      const created = base + n++ * minute;
      return { user: p.username, created: at(created), lastUsed: at(created + 30 * minute), useCount: 3, flow: 'unknown' as const };
    }));
  const apps: ObservedApp[] = ['Alpha', 'Beta', 'Gamma'].map((name) => app(name, { sessions: sessions() }));
  const setup = await fakeWithClient({ snapshot: snapshot({ users: people, apps }) });
  fake = setup.fake;
  return setup;
}

const previousOf = (read: LiveRead, snapshot: OrgSnapshot = read.snapshot) => ({ snapshot, appMetadata: read.appMetadata, ...(read.sessions ? { sessions: read.sessions } : {}) });
const tokenSoql = (f: FakeOrg, from: number) => f.requests.slice(from).flatMap((r) => (r.soql?.includes('FROM OauthToken') ? [r.soql.replace(/\('005[^)]*\)/, '(…)')] : []));
const sessionCount = (s: OrgSnapshot) => s.apps.reduce((sum, a) => sum + a.sessions.length, 0);

/** A read with the last one, and a full read of the same org right after: the same apps. */
async function readBoth(client: SfClient, previous: ReturnType<typeof previousOf>) {
  const from = fake!.requests.length;
  const since = await readLiveSnapshot(client, 'acme-prod', { previous });
  const queries = tokenSoql(fake!, from);
  const full = await readLiveSnapshot(client, 'acme-prod');
  expect(since.snapshot.apps).toEqual(full.snapshot.apps);
  expect(since.sessions).toEqual(full.sessions);
  return { since, queries };
}

describe('reading tokens since the last read', () => {
  it('nothing moved: one count and two queries, every other token taken from the store', async () => {
    const { client } = await setUp();
    const first = await readLiveSnapshot(client, 'acme-prod');
    expect(first.tokensReused).toBe(0);
    expect(sessionCount(first.snapshot)).toBe(1800);
    const { since, queries } = await readBoth(client, previousOf(first));
    expect(queries).toEqual([
      'SELECT COUNT() FROM OauthToken',
      'SELECT AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken WHERE CreatedDate >= 2026-05-02T05:59:00Z',
      'SELECT AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken WHERE LastUsedDate >= 2026-05-02T06:29:00Z',
    ]);
    expect(since.tokensReused).toBe(1799);
    expect(since.snapshot.digest).toBe(first.snapshot.digest);
  });

  it('the sessions taken from the store are its own, not mapped again; those read again are new', async () => {
    const { client } = await setUp();
    const first = await readLiveSnapshot(client, 'acme-prod');
    const tokens = fake!.data.tables.OauthToken!;
    tokens[5]!.LastUsedDate = sfAt(base + 3 * 24 * 60 * minute);
    const { since } = await readBoth(client, previousOf(first));
    const stored = first.snapshot.apps[0]!.sessions;
    const now = since.snapshot.apps[0]!.sessions;
    expect(now[4]).toBe(stored[4]);
    expect(now[5]).not.toBe(stored[5]);
    expect(now[5]).toMatchObject({ user: stored[5]!.user, created: stored[5]!.created, lastUsed: '2026-05-04T00:00:00Z' });
    // The newest token (issued in the second the query starts from) is read again.
    const last = since.snapshot.apps.at(-1)!.sessions;
    expect(last.at(-1)).not.toBe(first.snapshot.apps.at(-1)!.sessions.at(-1));
    expect(last.at(-1)).toEqual(first.snapshot.apps.at(-1)!.sessions.at(-1));
  });

  it('tokens used since: their new counters, still without reading them all', async () => {
    const { client } = await setUp();
    const first = await readLiveSnapshot(client, 'acme-prod');
    const tokens = fake!.data.tables.OauthToken!;
    for (const t of [tokens[5]!, tokens[700]!, tokens[1500]!]) {
      t.LastUsedDate = sfAt(base + 3 * 24 * 60 * minute);
      t.UseCount = Number(t.UseCount) + 1;
    }
    const { since, queries } = await readBoth(client, previousOf(first));
    expect(queries.some((q) => q.includes('UserId IN'))).toBe(false);
    expect(since.tokensReused).toBe(1796);
    expect(since.snapshot.apps[0]!.sessions[5]).toMatchObject({ useCount: 4, lastUsed: '2026-05-04T00:00:00Z' });
  });

  it('a token issued since: read, the others taken from the store', async () => {
    const { client } = await setUp();
    const first = await readLiveSnapshot(client, 'acme-prod');
    const tokens = fake!.data.tables.OauthToken!;
    tokens.push({ ...tokens[0]!, CreatedDate: sfAt(base + 5 * 24 * 60 * minute), LastUsedDate: sfAt(base + 5 * 24 * 60 * minute), DeleteToken: 'fake-delete-new' });
    const { since, queries } = await readBoth(client, previousOf(first));
    expect(queries.some((q) => q.includes('UserId IN'))).toBe(false);
    expect(sessionCount(since.snapshot)).toBe(1801);
    expect(since.tokensReused).toBe(1799);
  });

  it('a token revoked and another issued (the count unchanged): every token read again', async () => {
    const { client } = await setUp();
    const first = await readLiveSnapshot(client, 'acme-prod');
    const tokens = fake!.data.tables.OauthToken!;
    fake!.data.tables.OauthToken = [...tokens.slice(1), { ...tokens[0]!, CreatedDate: sfAt(base + 5 * 24 * 60 * minute), DeleteToken: 'fake-delete-new' }];
    const { since, queries } = await readBoth(client, previousOf(first));
    expect(queries.some((q) => q.includes('FROM OauthToken') && !q.includes('>='))).toBe(true);
    expect(since.tokensReused).toBe(0);
    expect(sessionCount(since.snapshot)).toBe(1800);
  });

  it('a store edited since the last read, or a user renamed: every token read again', async () => {
    const { client } = await setUp();
    const first = await readLiveSnapshot(client, 'acme-prod');
    const edited: OrgSnapshot = { ...first.snapshot, apps: first.snapshot.apps.map((a, i) => (i === 1 ? { ...a, sessions: a.sessions.map((s, k) => (k === 3 ? { ...s, useCount: 99 } : s)) } : a)) };
    const afterEdit = await readBoth(client, previousOf(first, edited));
    expect(afterEdit.since.tokensReused).toBe(0);
    expect(afterEdit.since.snapshot.apps[1]!.sessions[3]!.useCount).toBe(3);

    fake!.data.tables.User!.find((u) => u.Username === 'u007@acme.example')!.Username = 'u999@acme.example';
    const afterRename = await readBoth(client, previousOf(first));
    expect(afterRename.since.tokensReused).toBe(0);
  });
});
