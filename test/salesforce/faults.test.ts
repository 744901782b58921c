// Each way a live org can fail a read ends in a typed SalesforceError that names the connection
// and holds no token; safe reads are retried on transient errors; parallelism stays bounded.
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, SalesforceError } from '../../src/model/index.js';
import { createClient } from '../../src/salesforce/client.js';
import { readLiveSnapshot } from '../../src/salesforce/read-live-snapshot.js';
import type { FakeOrg } from '../../src/fake-org/server.js';
import { fakeWithClient } from './helpers.js';

let fake: FakeOrg | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function failure(promise: Promise<unknown>): Promise<SalesforceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SalesforceError);
  const e = err as SalesforceError;
  expect(e.exitCode).toBe(ExitCode.error);
  expect(e.message).toContain(`env (${fake!.url})`);
  expect(e.message).not.toContain(fake!.accessToken);
  expect(e.connection).toBe(`env (${fake!.url})`);
  return e;
}

describe('faults of a live org', () => {
  it('REQUEST_LIMIT_EXCEEDED on a REST query', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    fake.inject({ kind: 'limit-exceeded', match: '/query' });
    const e = await failure(setup.client.query('SELECT Id, Name, OrganizationType, IsSandbox FROM Organization'));
    expect(e.failure).toBe('limit');
    expect(e.message).toContain('REQUEST_LIMIT_EXCEEDED');
    expect(e.message).toContain('API usage 1/100000');
    expect(fake.requests).toHaveLength(1);
  });

  it('REQUEST_LIMIT_EXCEEDED as a SOAP fault stops a whole read', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    fake.inject({ kind: 'limit-exceeded', match: 'listMetadata' });
    const e = await failure(readLiveSnapshot(setup.client, 'acme-prod'));
    expect(e.failure).toBe('limit');
  });

  it('an expired session (REST), with no way to log in again (env)', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    fake.inject({ kind: 'expire-session' });
    const e = await failure(setup.client.limits());
    expect(e.failure).toBe('session');
    expect(e.message).toContain('INVALID_SESSION_ID');
  });

  it('an expired session (SOAP fault INVALID_SESSION_ID)', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    fake.inject({ kind: 'expire-session', match: 'readMetadata' });
    const e = await failure(setup.client.metadataRead('OauthOidcSettings', ['OauthOidc']));
    expect(e.failure).toBe('session');
  });

  it('malformed JSON on a query page', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    fake.inject({ kind: 'malformed-json', match: '/query' });
    const e = await failure(setup.client.query('SELECT Id, Username, IsActive, Profile.Name FROM User ORDER BY Id'));
    expect(e.failure).toBe('malformed');
  });

  it('malformed XML on a SOAP call', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    fake.inject({ kind: 'malformed-json', match: 'listMetadata' });
    const e = await failure(setup.client.metadataList('ConnectedApp'));
    expect(e.failure).toBe('malformed');
  });

  it('a hang: the call times out', async () => {
    const setup = await fakeWithClient({}, { timeoutMs: 300 });
    fake = setup.fake;
    fake.inject({ kind: 'hang', match: '/limits' });
    const e = await failure(setup.client.limits());
    expect(e.failure).toBe('timeout');
    expect(e.message).toContain('no answer within 300 ms');
  });

  it('a transient server error on a read is retried, and counted', async () => {
    const setup = await fakeWithClient({}, { retries: 2 });
    fake = setup.fake;
    fake.inject({ kind: 'server-error', match: '/limits', times: 2 });
    const limits = await setup.client.limits();
    expect(limits.DailyApiRequests?.Max).toBe(100_000);
    expect(fake.requests.map((r) => r.path)).toEqual(Array(3).fill('/services/data/v62.0/limits'));
    expect(setup.client.stats().calls).toBe(3);
  });

  it('a transient error past the retries is a typed error', async () => {
    const setup = await fakeWithClient({}, { retries: 1 });
    fake = setup.fake;
    fake.inject({ kind: 'server-error', match: 'listMetadata', times: 2 });
    const e = await failure(setup.client.metadataList('ConnectedApp'));
    expect(e.failure).toBe('api');
    expect(fake.requests).toHaveLength(2);
  });

  it('a query the org refuses (MALFORMED_QUERY) is not retried', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const e = await failure(setup.client.query('SELECT Id FROM Organization LIMIT 1'));
    expect(e.failure).toBe('api');
    expect(e.message).toContain('MALFORMED_QUERY');
    expect(fake.requests).toHaveLength(1);
  });

  it('a token an org error message repeats never reaches our message', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    fake.inject({ kind: 'echo-token', match: '/limits' });
    const e = await failure(setup.client.limits());
    expect(e.message).toContain('[token]');
  });

  it('a JWT-format access token is refused at once, before any call', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const jwtToken = `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`;
    const err = (() => {
      try {
        createClient({ connection: 'env (x)', instanceUrl: fake.url, accessToken: jwtToken });
      } catch (e) {
        return e as SalesforceError;
      }
    })();
    expect(err).toBeInstanceOf(SalesforceError);
    expect(err!.failure).toBe('setup');
    expect(err!.message).toContain('JWT-format token, which the Metadata API refuses');
    expect(err!.message).not.toContain(jwtToken);
    expect(fake.requests).toHaveLength(0);
  });

  it('keeps at most `parallelism` requests in flight', async () => {
    // Each answer waits a little, so that requests overlap when the client lets them.
    const setup = await fakeWithClient({ latencyMs: 20 }, { parallelism: 2 });
    fake = setup.fake;
    const read = await readLiveSnapshot(setup.client, 'acme-prod');
    expect(read.snapshot.apps.length).toBeGreaterThan(0);
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
  });

  it("a query's next page goes ahead of the calls waiting for a slot", async () => {
    const setup = await fakeWithClient({}, { parallelism: 1 });
    fake = setup.fake;
    // The bundled example's tokens take two pages (500 a page); three other queries wait behind the first.
    const tokens = setup.client.query('SELECT AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken');
    const others = [1, 2, 3].map(() => setup.client.query('SELECT Id, Name, OrganizationType, IsSandbox FROM Organization'));
    expect((await tokens).length).toBeGreaterThan(500);
    await Promise.all(others);
    const order = fake.requests.map((r) => (r.pageOf ? 'next page' : r.soql!.includes('FROM OauthToken') ? 'tokens' : 'org'));
    // The slot the first page frees may go to the call first in line; the next page is then ahead of the others.
    expect(order.indexOf('next page')).toBeLessThan(order.lastIndexOf('org'));
    expect(order.indexOf('next page')).toBeLessThanOrEqual(2);
    expect(order.filter((o) => o === 'org')).toHaveLength(3);
  });
});
