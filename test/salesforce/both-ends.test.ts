// A chain of query pages read from both ends at once (SfClient.queryFromBothEnds): the same rows in
// the same order as the query read from its start, for every size around the fake's 2,000-row
// page; the other end only when there is more than one page; at most one page more than the
// plain read; and a read again from one end when the org changed between the two ends' reads.
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeOrg } from '../../src/fake-org/server.js';
import type { SfClient } from '../../src/salesforce/client.js';
import { readLiveSnapshot } from '../../src/salesforce/read-live-snapshot.js';
import { fakeWithClient } from './helpers.js';

let fake: FakeOrg | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const soql = 'SELECT Id, Username, IsActive FROM User ORDER BY Id';

/** A fake org whose User table holds `count` users (ids in table order, as the fake seeds them), with a client on it. */
async function orgWithUsers(count: number, latencyMs = 0, parallelism?: number): Promise<SfClient> {
  const setup = await fakeWithClient({ latencyMs }, parallelism === undefined ? {} : { parallelism });
  fake = setup.fake;
  fake.data.tables.User = Array.from({ length: count }, (_, i) => {
    const id = `005FAKE${String(i).padStart(11, '0')}`;
    return { attributes: { type: 'User', url: `/services/data/v62.0/sobjects/User/${id}` }, Id: id, Username: `user${i}@bench.example`, IsActive: i % 3 !== 0 };
  });
  return setup.client;
}

const pageCalls = (f: FakeOrg): number => f.requests.filter((r) => r.soql?.startsWith('SELECT Id, Username, IsActive FROM User') || r.path.startsWith('/services/data/v62.0/query/')).length;

describe('a query read from both ends', () => {
  it.each([0, 1, 1999, 2000, 2001, 3999, 4000, 4001, 5000, 6001, 10_000])('%i rows: the same rows, in the same order, as read from the start', async (count) => {
    const client = await orgWithUsers(count);
    const plain = await client.query(soql);
    const plainCalls = pageCalls(fake!);
    const before = fake!.requests.length;
    const both = await client.queryFromBothEnds(soql);
    expect(both).toEqual(plain);
    expect(both.map((r) => r.Id)).toEqual(fake!.data.tables.User!.map((r) => r.Id));
    const requests = fake!.requests.slice(before);
    const descending = requests.filter((r) => r.soql === `${soql} DESC`).length;
    // The other end only for more than a page; never more than one page beyond the plain read.
    expect(descending).toBe(count > 2000 ? 1 : 0);
    expect(pageCalls(fake!) - plainCalls).toBeLessThanOrEqual(plainCalls + 1);
    expect(pageCalls(fake!) - plainCalls).toBeGreaterThanOrEqual(plainCalls);
  });

  it('the other end is asked as soon as the first page says there are more, and the two go on side by side', async () => {
    const client = await orgWithUsers(10_000);
    await client.queryFromBothEnds(soql);
    const arrivals = fake!.requests.filter((r) => r.soql !== undefined || r.path.startsWith('/services/data/v62.0/query/'));
    expect(arrivals[0]!.soql).toBe(soql);
    // Right after the first answer: the other end's query and the first end's next page, not one page after another.
    expect(arrivals.slice(1, 3).map((r) => r.soql ?? 'next page').sort()).toEqual([`${soql} DESC`, 'next page']);
    expect(arrivals.length).toBeLessThanOrEqual(6);
  });

  it('the org changes between the two ends: read again from the start, as it was when read', async () => {
    // One call at a time (the ends take turns), so that which rows both read is always the same.
    const client = await orgWithUsers(5000, 40, 1);
    const original = fake!.data.tables.User!.map((r) => ({ Id: r.Id, Username: r.Username, IsActive: r.IsActive }));
    // Once the first page is asked for (and before it is answered), one more user joins: the
    // other end, asked after the first answer, counts 5,001.
    const watch = setInterval(() => {
      if (fake!.requests.some((r) => r.soql === soql)) {
        clearInterval(watch);
        fake!.data.tables.User = [...fake!.data.tables.User!, { attributes: { type: 'User' }, Id: '005FAKE99999999999', Username: 'late@bench.example', IsActive: true }];
      }
    }, 1);
    const rows = await client.queryFromBothEnds(soql);
    clearInterval(watch);
    expect(fake!.requests.some((r) => r.soql === `${soql} DESC`)).toBe(true);
    expect(rows).toEqual(original);
  });

  it('a row read by both ends that differs between them: read again from the start', async () => {
    const client = await orgWithUsers(4001, 40, 1);
    const watch = setInterval(() => {
      if (fake!.requests.some((r) => r.soql === soql)) {
        clearInterval(watch);
        // Every row edited in place (the count unchanged): whichever rows both ends read differ.
        for (const row of fake!.data.tables.User!) row.Username = `renamed-${String(row.Username)}`;
      }
    }, 1);
    const rows = await client.queryFromBothEnds(soql);
    clearInterval(watch);
    const asked = fake!.requests.filter((r) => r.soql === soql).length;
    // The first read from the start, the other end, and a second read from the start.
    expect(asked).toBe(2);
    expect(rows.every((r) => String(r.Username).startsWith('renamed-'))).toBe(true);
    expect(rows.map((r) => r.Id)).toEqual(fake!.data.tables.User!.map((r) => r.Id));
  });

  it('refuses a query that does not end ORDER BY one field', async () => {
    const client = await orgWithUsers(1);
    await expect(client.queryFromBothEnds('SELECT Id FROM User')).rejects.toThrow(/ORDER BY/);
  });
});

describe('the live read', () => {
  it('reads users and assignments past a page from both ends: every user, every permission set', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const users = fake.data.tables.User!;
    const template = users[0]!;
    const set = fake.data.tables.PermissionSet!.find((s) => s.IsOwnedByProfile !== true && s.PermissionSetGroupId === null && typeof s.Label === 'string')!;
    const extra = Array.from({ length: 4500 }, (_, i) => {
      const id = `005FAKE9${String(i).padStart(10, '0')}`;
      return { ...template, attributes: { type: 'User' }, Id: id, Username: `bulk${String(i).padStart(5, '0')}@acme.example` };
    });
    fake.data.tables.User = [...users, ...extra];
    fake.data.tables.PermissionSetAssignment = [
      ...fake.data.tables.PermissionSetAssignment!,
      ...extra.map((u, i) => ({ attributes: { type: 'PermissionSetAssignment' }, Id: `0PaFAKE9${String(i).padStart(10, '0')}`, AssigneeId: u.Id, PermissionSetId: set.Id, PermissionSetGroupId: null, IsActive: true })),
    ];
    const read = await readLiveSnapshot(setup.client, 'acme-prod');
    expect(read.snapshot.users).toHaveLength(users.length + 4500);
    const bulk = read.snapshot.users.filter((u) => u.username.startsWith('bulk'));
    expect(bulk.map((u) => u.username)).toEqual(extra.map((u) => u.Username));
    for (const u of bulk) expect(u.permissionSets).toEqual([set.Label]);
    expect(fake.requests.filter((r) => r.soql?.endsWith('ORDER BY Id DESC')).map((r) => r.soql!.split(' FROM ')[1]!.split(' ')[0])).toEqual(expect.arrayContaining(['User', 'PermissionSetAssignment']));
  });
});
