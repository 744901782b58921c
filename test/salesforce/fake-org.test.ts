// The fake org speaks Salesforce's documented shapes, and agrees with nothing it does not know.
import { Connection } from '@jsforce/jsforce-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOrg, type FakeOrg } from '../../src/fake-org/server.js';
import { bundledSnapshot } from './helpers.js';

let fake: FakeOrg | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function get(route: string, token?: string): Promise<{ status: number; body: unknown; limitInfo: string | null }> {
  const response = await fetch(`${fake!.url}/services/data/v62.0${route}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: await response.json(), limitInfo: response.headers.get('sforce-limit-info') };
}

describe('the fake org', () => {
  it('answers a query it knows, with Sforce-Limit-Info', async () => {
    fake = await startFakeOrg({ snapshot: await bundledSnapshot() });
    const sessions = (await bundledSnapshot()).apps.reduce((n, a) => n + a.sessions.length, 0);
    const answer = await get(`/query?q=${encodeURIComponent('SELECT COUNT() FROM OauthToken')}`, fake.accessToken);
    expect(answer).toEqual({ status: 200, body: { totalSize: sessions, done: true, records: [] }, limitInfo: 'api-usage=1/100000' });
  });

  it('refuses what Salesforce would refuse, as an error array', async () => {
    fake = await startFakeOrg({ snapshot: await bundledSnapshot() });
    const cases: [string, number, string][] = [
      ['SELECT Id FROM Organization LIMIT 1', 400, 'MALFORMED_QUERY'],
      ['SELECT Id FROM Organization WHERE Name = 1 OR Id = 2', 400, 'MALFORMED_QUERY'],
      ['SELECT Nope FROM Organization', 400, 'INVALID_FIELD'],
      ['SELECT Id FROM Account', 400, 'MALFORMED_QUERY'],
    ];
    for (const [soql, status, errorCode] of cases) {
      const answer = await get(`/query?q=${encodeURIComponent(soql)}`, fake.accessToken);
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual([{ message: expect.any(String), errorCode }]);
    }
    expect(await get('/limits')).toMatchObject({ status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] });
    expect(await get('/limits', 'made-up')).toMatchObject({ status: 401 });
  });

  it('its token looks like no Salesforce token', async () => {
    fake = await startFakeOrg({ snapshot: await bundledSnapshot() });
    expect(fake.accessToken).toMatch(/^fake-org-token-[0-9a-f]{24}$/);
    expect(fake.accessToken).not.toMatch(/^00D/);
  });

  it('carries out the metadata CRUD calls on its components', async () => {
    fake = await startFakeOrg({ snapshot: await bundledSnapshot() });
    const conn = new Connection({ instanceUrl: fake.url, accessToken: fake.accessToken, version: '62.0' });
    const upserted = await conn.metadata.upsert('BlacklistedConsumer', { fullName: 'capctl_Zapier', consumerName: 'Zapier', consumerKey: 'k', masterLabel: 'Zapier', blockedByApiWhitelisting: false } as never);
    expect(upserted).toMatchObject({ fullName: 'capctl_Zapier', success: true, created: true });
    expect(fake.data.metadata.get('BlacklistedConsumer')!.get('capctl_Zapier')).toMatchObject({ consumerName: 'Zapier' });
    const deleted = await conn.metadata.delete('BlacklistedConsumer', ['capctl_Zapier', 'capctl_None']);
    expect(deleted).toMatchObject([
      { fullName: 'capctl_Zapier', success: true },
      { fullName: 'capctl_None', success: false, errors: [{ message: 'no such component', statusCode: 'INVALID_CROSS_REFERENCE_KEY' }] },
    ]);
    expect(fake.requests.map((r) => r.soap)).toEqual([
      { call: 'upsertMetadata', type: 'BlacklistedConsumer', fullNames: ['capctl_Zapier'] },
      { call: 'deleteMetadata', type: 'BlacklistedConsumer', fullNames: ['capctl_Zapier', 'capctl_None'] },
    ]);
  });

  it('refuses more than 10 names per readMetadata', async () => {
    fake = await startFakeOrg({ snapshot: await bundledSnapshot() });
    const conn = new Connection({ instanceUrl: fake.url, accessToken: fake.accessToken, version: '62.0' });
    await expect(conn.metadata.read('ConnectedApp', Array.from({ length: 11 }, (_, i) => `A${i}`))).rejects.toThrow('at most 10 names');
  });
});
