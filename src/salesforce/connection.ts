// Connecting to an org (SPEC §13): `env` (an access token from the environment), `jwt` (the OAuth
// JWT bearer flow, signed here with node:crypto) or `sf:ALIAS` (an org the Salesforce CLI has
// logged in, through @salesforce/core, loaded only when it is installed). The result is a session
// for createClient; no token is ever put in a message.
import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError, SalesforceError } from '../model/index.js';
import type { SfSession } from './client.js';

/** How an org is reached: the spelling of capctl.yaml's `connection` and of `--connection`. */
export type ConnectionSpec = { kind: 'env' } | { kind: 'jwt' } | { kind: 'sf'; alias: string };

/** The login URL of the JWT flow when SF_LOGIN_URL is not set. */
export const defaultLoginUrl = 'https://login.salesforce.com';

/** The environment variables each connection reads (SPEC §13, as the Salesforce CLI names them). */
export const connectionVariables = {
  env: ['SF_ACCESS_TOKEN', 'SF_INSTANCE_URL'],
  jwt: ['SF_CLIENT_ID', 'SF_USERNAME', 'SF_JWT_KEY_FILE', 'SF_LOGIN_URL'],
} as const;

/** Parses `env`, `jwt` or `sf:ALIAS`. */
export function parseConnection(text: string): ConnectionSpec {
  if (text === 'env') return { kind: 'env' };
  if (text === 'jwt') return { kind: 'jwt' };
  const sf = /^sf:(\S+)$/.exec(text);
  if (sf) return { kind: 'sf', alias: sf[1]! };
  throw new InputError(`unknown connection "${text}": use env, jwt or sf:ALIAS`);
}

/** The connection's name for messages. */
export function connectionName(spec: ConnectionSpec): string {
  return spec.kind === 'sf' ? `sf:${spec.alias}` : spec.kind;
}

/** What opening a connection may use: the environment (never process.env implicitly) and how long a login may take. */
export interface OpenOptions {
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
  /** Counts each login request (the client counts the rest). */
  onLoginCall?: () => void;
}

/** Opens a session for a connection; throws SalesforceError (or InputError for missing settings). */
export async function openSession(spec: ConnectionSpec, options: OpenOptions): Promise<SfSession> {
  switch (spec.kind) {
    case 'env':
      return envSession(options.env);
    case 'jwt':
      return jwtSession(options);
    case 'sf':
      return sfSession(spec.alias);
  }
}

function envSession(env: OpenOptions['env']): SfSession {
  const missing = connectionVariables.env.filter((name) => !env[name]);
  if (missing.length > 0) throw new InputError(`connection env needs ${missing.join(' and ')} (an access token and the org's instance URL)`);
  const instanceUrl = assertUrl(env.SF_INSTANCE_URL!, 'SF_INSTANCE_URL', 'env');
  return { connection: `env (${instanceUrl})`, instanceUrl, accessToken: env.SF_ACCESS_TOKEN! };
}

async function jwtSession(options: OpenOptions): Promise<SfSession> {
  const env = options.env;
  const missing = ['SF_CLIENT_ID', 'SF_USERNAME', 'SF_JWT_KEY_FILE'].filter((name) => !env[name]);
  if (missing.length > 0) throw new InputError(`connection jwt needs ${missing.join(', ')} (SF_LOGIN_URL defaults to ${defaultLoginUrl})`);
  const loginUrl = assertUrl(env.SF_LOGIN_URL || defaultLoginUrl, 'SF_LOGIN_URL', 'jwt');
  const name = `jwt (${env.SF_USERNAME} at ${loginUrl})`;
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(env.SF_JWT_KEY_FILE!));
  } catch (err) {
    // Never echo the file's content: only its path and what went wrong.
    const code = (err as NodeJS.ErrnoException).code;
    throw new SalesforceError(`${name}: cannot use the private key in SF_JWT_KEY_FILE (${env.SF_JWT_KEY_FILE}): ${code ?? 'not a PEM private key'}`, 'setup', name);
  }
  const login = (): Promise<{ accessToken: string; instanceUrl: string }> =>
    jwtLogin({ loginUrl, clientId: env.SF_CLIENT_ID!, username: env.SF_USERNAME!, key, name, timeoutMs: options.timeoutMs ?? 120_000, onCall: options.onLoginCall });
  const first = await login();
  return {
    connection: name,
    instanceUrl: first.instanceUrl,
    accessToken: first.accessToken,
    relogin: async () => (await login()).accessToken,
  };
}

/** The JWT bearer assertion: RS256 over `{iss, sub, aud, exp}`, valid three minutes. */
export function signJwtAssertion(claims: { clientId: string; username: string; audience: string; nowSeconds: number }, key: KeyObject): string {
  const header = base64url(JSON.stringify({ alg: 'RS256' }));
  const body = base64url(JSON.stringify({ iss: claims.clientId, sub: claims.username, aud: claims.audience, exp: claims.nowSeconds + 180 }));
  const signature = createSign('RSA-SHA256').update(`${header}.${body}`).sign(key).toString('base64url');
  return `${header}.${body}.${signature}`;
}

async function jwtLogin(input: {
  loginUrl: string;
  clientId: string;
  username: string;
  key: KeyObject;
  name: string;
  timeoutMs: number;
  onCall: (() => void) | undefined;
}): Promise<{ accessToken: string; instanceUrl: string }> {
  const assertion = signJwtAssertion({ clientId: input.clientId, username: input.username, audience: input.loginUrl, nowSeconds: Math.floor(Date.now() / 1000) }, input.key);
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
  input.onCall?.();
  let response: Response;
  try {
    response = await fetch(`${input.loginUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(input.timeoutMs),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new SalesforceError(
      `${input.name}: ${timedOut ? `no answer within ${input.timeoutMs} ms to the login` : `cannot reach the login URL (${(err as Error).message})`}`,
      timedOut ? 'timeout' : 'login',
      input.name,
      { cause: err },
    );
  }
  const text = await response.text();
  let json: { access_token?: unknown; instance_url?: unknown; error?: unknown; error_description?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new SalesforceError(`${input.name}: malformed response: the login answered HTTP ${response.status} with no JSON`, 'malformed', input.name);
  }
  if (!response.ok || typeof json.error === 'string') {
    const error = typeof json.error === 'string' ? json.error : `HTTP ${response.status}`;
    const description = typeof json.error_description === 'string' ? `: ${json.error_description}` : '';
    throw new SalesforceError(`${input.name}: the org refused the JWT login (${error}${description})`, 'login', input.name);
  }
  if (typeof json.access_token !== 'string' || typeof json.instance_url !== 'string') {
    throw new SalesforceError(`${input.name}: malformed response: the login answer has no access_token or instance_url`, 'malformed', input.name);
  }
  return { accessToken: json.access_token, instanceUrl: assertUrl(json.instance_url, 'instance_url', input.name) };
}

/** What @salesforce/core offers that capctl uses. */
interface SalesforceCore {
  Org: { create(options: { aliasOrUsername: string }): Promise<{ getConnection(): { accessToken?: string; instanceUrl: string } }> };
}

/** The package name, kept in a variable so that nothing bundles or type-checks it: it is optional. */
const sfCorePackage = '@salesforce/core';

async function sfSession(alias: string): Promise<SfSession> {
  const name = `sf:${alias}`;
  let core: SalesforceCore;
  try {
    core = (await import(sfCorePackage)) as SalesforceCore;
  } catch {
    throw new SalesforceError(
      `${name}: this connection reuses the Salesforce CLI's login through @salesforce/core, which is not installed. Install it ` +
        `beside capctl (npm install @salesforce/core@8.31.3, with "overrides": {"@jsforce/jsforce-node": "3.10.16"} in package.json ` +
        `on Node 20), or use connection env or jwt.`,
      'setup',
      name,
    );
  }
  let conn: { accessToken?: string; instanceUrl: string };
  try {
    conn = (await core.Org.create({ aliasOrUsername: alias })).getConnection();
  } catch (err) {
    throw new SalesforceError(`${name}: the Salesforce CLI has no usable login for "${alias}" (${(err as Error).name})`, 'login', name);
  }
  if (!conn.accessToken) throw new SalesforceError(`${name}: the Salesforce CLI's login for "${alias}" has no access token`, 'login', name);
  return { connection: name, instanceUrl: conn.instanceUrl, accessToken: conn.accessToken };
}

function assertUrl(text: string, what: string, connection: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`connection ${connection}: ${what} is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost'))) {
    throw new InputError(`connection ${connection}: ${what} must be an https URL (plain http only for 127.0.0.1, the fake org)`);
  }
  return url.origin;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
