// Connections (SPEC §13): env, jwt (signed with node:crypto, one re-login on an expired session)
// and sf:ALIAS (only with @salesforce/core installed, which it is not here).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError, SalesforceError } from '../../src/model/index.js';
import { createClient } from '../../src/salesforce/client.js';
import { openSession, parseConnection } from '../../src/salesforce/connection.js';
import { startFakeOrg, type FakeOrg } from '../../src/fake-org/server.js';
import { bundledSnapshot } from './helpers.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
let dir: string;
let keyFile: string;
let otherKeyFile: string;
let fake: FakeOrg | undefined;

beforeAll(async () => {
  // A throwaway key made for this test run, in a temporary folder removed after it.
  dir = await mkdtemp(path.join(tmpdir(), 'capctl-jwt-'));
  keyFile = path.join(dir, 'server.key');
  otherKeyFile = path.join(dir, 'other.key');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(otherKeyFile, other.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return async () => rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function jwtFake(): Promise<FakeOrg> {
  fake = await startFakeOrg({ snapshot: await bundledSnapshot(), jwt: { clientId: 'capctl-ci', publicKey } });
  return fake;
}

function jwtEnv(f: FakeOrg, extra: Record<string, string> = {}): Record<string, string> {
  return { SF_CLIENT_ID: 'capctl-ci', SF_USERNAME: 'ci-bot@acme.example', SF_JWT_KEY_FILE: keyFile, SF_LOGIN_URL: f.url, ...extra };
}

async function refusal(promise: Promise<unknown>): Promise<SalesforceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SalesforceError);
  return err as SalesforceError;
}

describe('parseConnection', () => {
  it('reads env, jwt and sf:ALIAS, and refuses anything else', () => {
    expect(parseConnection('env')).toEqual({ kind: 'env' });
    expect(parseConnection('jwt')).toEqual({ kind: 'jwt' });
    expect(parseConnection('sf:acme')).toEqual({ kind: 'sf', alias: 'acme' });
    expect(() => parseConnection('oauth')).toThrow(InputError);
    expect(() => parseConnection('sf:')).toThrow('unknown connection "sf:"');
  });
});

describe('connection env', () => {
  it('needs both variables, and names the missing ones', async () => {
    await expect(openSession({ kind: 'env' }, { env: { SF_INSTANCE_URL: 'https://acme.my.salesforce.com' } })).rejects.toThrow('connection env needs SF_ACCESS_TOKEN');
  });

  it('refuses plain http except to 127.0.0.1', async () => {
    await expect(openSession({ kind: 'env' }, { env: { SF_INSTANCE_URL: 'http://acme.example', SF_ACCESS_TOKEN: 'x' } })).rejects.toThrow('must be an https URL');
  });

  it('reaches the org with the token', async () => {
    fake = await startFakeOrg({ snapshot: await bundledSnapshot() });
    const session = await openSession({ kind: 'env' }, { env: { SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken } });
    expect(session.connection).toBe(`env (${fake.url})`);
    const limits = await createClient(session).limits();
    expect(limits.DailyApiRequests?.Max).toBe(100_000);
  });
});

describe('connection jwt', () => {
  it('logs in with a signed assertion the org verifies', async () => {
    const f = await jwtFake();
    const session = await openSession({ kind: 'jwt' }, { env: jwtEnv(f) });
    expect(session.instanceUrl).toBe(f.url);
    expect(f.requests).toEqual([{ method: 'POST', path: '/services/oauth2/token', grant: 'urn:ietf:params:oauth:grant-type:jwt-bearer', inFlight: 1 }]);
    await createClient(session).limits();
  });

  it('logs in again once on an expired session, and goes on', async () => {
    const f = await jwtFake();
    const client = createClient(await openSession({ kind: 'jwt' }, { env: jwtEnv(f) }), { retryDelayMs: 0 });
    f.inject({ kind: 'expire-session', match: '/limits' });
    await client.limits();
    expect(f.requests.map((r) => r.path)).toEqual(['/services/oauth2/token', '/services/data/v62.0/limits', '/services/oauth2/token', '/services/data/v62.0/limits']);
    expect(client.stats().calls).toBe(3);
  });

  it('logs in again only once: a second expiry ends the command', async () => {
    const f = await jwtFake();
    const client = createClient(await openSession({ kind: 'jwt' }, { env: jwtEnv(f) }), { retryDelayMs: 0 });
    f.inject({ kind: 'expire-session', match: '/limits', times: 2 });
    const e = await refusal(client.limits());
    expect(e.failure).toBe('session');
    expect(e.message).toContain('again after logging in once more');
    expect(f.requests.filter((r) => r.path === '/services/oauth2/token')).toHaveLength(2);
  });

  it('a login the org refuses (wrong key, wrong client id, unknown user) is a login error without the assertion', async () => {
    const f = await jwtFake();
    const wrong: Record<string, string>[] = [{ SF_JWT_KEY_FILE: otherKeyFile }, { SF_CLIENT_ID: 'someone-else' }, { SF_USERNAME: 'nobody@acme.example' }];
    for (const extra of wrong) {
      const e = await refusal(openSession({ kind: 'jwt' }, { env: jwtEnv(f, extra) }));
      expect(e.failure).toBe('login');
      expect(e.message).toMatch(/^jwt \(.+ at http:\/\/127\.0\.0\.1:\d+\): the org refused the JWT login \(invalid_grant: /);
      expect(e.message).not.toMatch(/eyJ/);
    }
  });

  it('a key file that is missing or not a key is named, never shown', async () => {
    const f = await jwtFake();
    const missing = await refusal(openSession({ kind: 'jwt' }, { env: jwtEnv(f, { SF_JWT_KEY_FILE: path.join(dir, 'none.key') }) }));
    expect(missing.failure).toBe('setup');
    expect(missing.message).toContain('ENOENT');
    const notKey = path.join(dir, 'not.key');
    await writeFile(notKey, 'not a key at all');
    const bad = await refusal(openSession({ kind: 'jwt' }, { env: jwtEnv(f, { SF_JWT_KEY_FILE: notKey }) }));
    expect(bad.message).not.toContain('not a key at all');
  });

  it('needs its variables, with SF_LOGIN_URL defaulting to login.salesforce.com', async () => {
    await expect(openSession({ kind: 'jwt' }, { env: { SF_CLIENT_ID: 'x' } })).rejects.toThrow('connection jwt needs SF_USERNAME, SF_JWT_KEY_FILE (SF_LOGIN_URL defaults to https://login.salesforce.com)');
  });
});

describe('connection sf:ALIAS', () => {
  it('says how to install @salesforce/core when it is not installed', async () => {
    const e = await refusal(openSession({ kind: 'sf', alias: 'acme' }, { env: {} }));
    expect(e.failure).toBe('setup');
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('npm install @salesforce/core@8.31.3');
  });
});
