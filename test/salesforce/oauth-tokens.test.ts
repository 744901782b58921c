// OauthToken past its cap of 2,500 rows per query (salesforce-api.md §1): counted, then read in
// chunks of users, a chunk still over the cap halved; a shortfall is reported, never dropped.
import { afterEach, describe, expect, it } from 'vitest';
import type { ObservedApp, OrgUser, Session } from '../../src/model/index.js';
import { createClient } from '../../src/salesforce/client.js';
import { readOauthTokens } from '../../src/salesforce/oauth-tokens.js';
import { readLiveSnapshot } from '../../src/salesforce/read-live-snapshot.js';
import { startFakeOrg, type FakeOrg } from '../../src/fake-org/server.js';
import { app, snapshot, user } from '../plan/builders.js';

let fake: FakeOrg | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** An org of `users` users, each with 5 sessions on each of `apps` apps (R11's most). */
async function orgWithTokens(users: number, apps: number) {
  const people: OrgUser[] = Array.from({ length: users }, (_, i) => user(`u${String(i).padStart(4, '0')}@acme.example`));
  const sessions = (): Session[] =>
    people.flatMap((p) => Array.from({ length: 5 }, (_, k) => ({ user: p.username, created: `2026-06-0${k + 1}T00:00:00Z`, lastUsed: `2026-06-0${k + 1}T00:00:00Z`, useCount: 1, flow: 'web-server' as const })));
  const list: ObservedApp[] = Array.from({ length: apps }, (_, i) => app(`App ${String(i).padStart(3, '0')}`, { sessions: sessions() }));
  fake = await startFakeOrg({ snapshot: snapshot({ users: people, apps: list }) });
  const client = createClient({ connection: `env (${fake.url})`, instanceUrl: fake.url, accessToken: fake.accessToken });
  const ids = fake.data.tables.User!.map((u) => String(u.Id));
  return { client, ids };
}

const tokenQueries = (f: FakeOrg) => f.requests.filter((r) => r.soql?.includes('FROM OauthToken')).map((r) => r.soql!.replace(/\('005[^)]*\)/, (list) => `(${list.split(',').length} users)`));

describe('readOauthTokens', () => {
  it('at exactly the cap (2,500): one count, one query of five pages', async () => {
    const { client, ids } = await orgWithTokens(100, 5);
    const read = await readOauthTokens(client, ids);
    expect(read).toMatchObject({ counted: 2500, missing: 0, warnings: [] });
    expect(read.tokens).toHaveLength(2500);
    expect(tokenQueries(fake!)).toEqual(['SELECT COUNT() FROM OauthToken', 'SELECT AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken']);
    expect(fake!.requests).toHaveLength(6);
  });

  it('one over the cap: chunks of users sized from the count (about 2,000 tokens each), each read once, every token read', async () => {
    const { client, ids } = await orgWithTokens(101, 5);
    const read = await readOauthTokens(client, ids);
    expect(read).toMatchObject({ counted: 2525, missing: 0, warnings: [] });
    expect(read.tokens).toHaveLength(2525);
    expect(new Set(read.tokens.map((t) => `${String(t.UserId)} ${String(t.AppName)} ${String(t.CreatedDate)}`)).size).toBe(2525);
    expect(tokenQueries(fake!).sort()).toEqual(
      [
        'SELECT COUNT() FROM OauthToken',
        'SELECT AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken WHERE UserId IN (80 users)',
        'SELECT AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken WHERE UserId IN (21 users)',
      ].sort(),
    );
  });

  it('a chunk that reaches the cap is counted and halved while over it', async () => {
    // 100 users; the first 20 hold 130 tokens each (2,600), the others none: the first chunk holds them all.
    const people: OrgUser[] = Array.from({ length: 100 }, (_, i) => user(`u${String(i).padStart(4, '0')}@acme.example`));
    const sessions = (): Session[] => people.slice(0, 20).flatMap((p) => Array.from({ length: 5 }, (_, k) => ({ user: p.username, created: `2026-06-0${k + 1}T00:00:00Z`, lastUsed: `2026-06-0${k + 1}T00:00:00Z`, useCount: 1, flow: 'web-server' as const })));
    fake = await startFakeOrg({ snapshot: snapshot({ users: people, apps: Array.from({ length: 26 }, (_, i) => app(`App ${String(i).padStart(3, '0')}`, { sessions: sessions() })) }) });
    const client = createClient({ connection: `env (${fake.url})`, instanceUrl: fake.url, accessToken: fake.accessToken });
    const read = await readOauthTokens(client, fake.data.tables.User!.map((u) => String(u.Id)));
    expect(read).toMatchObject({ counted: 2600, missing: 0, warnings: [] });
    expect(read.tokens).toHaveLength(2600);
    const select = 'SELECT AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken WHERE UserId IN';
    expect(tokenQueries(fake).sort()).toEqual(
      [
        'SELECT COUNT() FROM OauthToken',
        `${select} (76 users)`,
        'SELECT COUNT() FROM OauthToken WHERE UserId IN (76 users)',
        `${select} (38 users)`,
        'SELECT COUNT() FROM OauthToken WHERE UserId IN (38 users)',
        `${select} (19 users)`,
        `${select} (19 users)`,
        `${select} (38 users)`,
        `${select} (24 users)`,
      ].sort(),
    );
  });

  it('chunks of users of at most the given size', async () => {
    const { client, ids } = await orgWithTokens(101, 5);
    const read = await readOauthTokens(client, ids, { userChunk: 40 });
    expect(read.tokens).toHaveLength(2525);
    expect(tokenQueries(fake!).filter((q) => q.includes('WHERE UserId IN'))).toEqual([expect.stringContaining('(40 users)'), expect.stringContaining('(40 users)'), expect.stringContaining('(21 users)')]);
  });

  it('one user over the cap cannot be halved: the shortfall is reported', async () => {
    const { client, ids } = await orgWithTokens(1, 501);
    const read = await readOauthTokens(client, ids);
    expect(read.counted).toBe(2505);
    expect(read.tokens).toHaveLength(2500);
    expect(read.missing).toBe(5);
    expect(read.warnings).toEqual([expect.stringContaining('holds 2505 tokens, more than the 2500 one query returns; 5 were not read')]);
  });

  it('a live read carries the shortfall on', async () => {
    const { client } = await orgWithTokens(1, 501);
    const read = await readLiveSnapshot(client, 'acme-prod');
    expect(read.tokensMissing).toBe(5);
    expect(read.warnings.some((w) => w.includes('5 were not read'))).toBe(true);
    expect(read.snapshot.apps.reduce((n, a) => n + a.sessions.length, 0)).toBe(2500);
  });
});
