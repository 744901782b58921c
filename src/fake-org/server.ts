// A fake Salesforce org on 127.0.0.1 for tests and newcomers: node:http speaking the documented
// REST and SOAP shapes capctl's client uses (salesforce-api.md §5, §7), seeded from a store
// snapshot. It records every request it gets (tests assert the exact calls), and faults can be
// injected: REQUEST_LIMIT_EXCEEDED, an expired session, a hang, malformed JSON, a server error, an
// error message that repeats the token.
//
// Endpoints (under /services/data/vNN.N unless absolute):
//   GET  /query?q=  and /query/{locator}    pages of 2,000 rows (OauthToken: 500, capped at 2,500), COUNT()
//   GET  /tooling/query?q=                  Profile with Metadata (one row per query)
//   GET  /sobjects/PermissionSet/describe   the field list
//   GET  /limits                            DailyApiRequests
//   POST /services/Soap/m/NN.N              listMetadata, readMetadata; createMetadata, updateMetadata,
//                                           upsertMetadata, deleteMetadata (writes.ts)
//   POST /composite/sobjects                SetupEntityAccess records, ≤200 per call (writes.ts)
//   DELETE /composite/sobjects?ids=…       SetupEntityAccess records by id, ≤200 per call (writes.ts)
//   DELETE /sobjects/SetupEntityAccess/{id}
//   GET, DELETE /apps/oauth/usage/…         external client apps' users and tokens (writes.ts)
//   POST /services/oauth2/revoke            form body token=<DeleteToken> (writes.ts)
//   POST /services/oauth2/token             the JWT bearer grant, checked against the public key given
//   GET  /services/oauth2/userinfo          who the token is logged in as (OpenID Connect UserInfo)
// Every answer carries Sforce-Limit-Info: api-usage=N/LIMIT.
import { createHash, randomBytes, createVerify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import type { OrgSnapshot } from '../model/index.js';
import { connectedAppComponent, seedFakeOrg, type Component, type FakeOrgData } from './seed.js';
import { buildIndexes, evaluate, parseSoql, SoqlError, type Row } from './soql.js';
import { CallRefused, fakeWrites, type MetadataResult, type RestAnswer } from './writes.js';

/** A fault the next matching requests get instead of their answer. */
export interface Fault {
  /**
   * `refuse-item`: a write's item at `item` (default the first) fails (per-item result), the rest go through.
   * `apply-then-hang`: a write is carried out, but its answer never comes (the client times out).
   */
  kind: 'limit-exceeded' | 'expire-session' | 'hang' | 'malformed-json' | 'server-error' | 'echo-token' | 'refuse-item' | 'apply-then-hang';
  /** Only requests whose path (or SOAP call) contains this; every request when absent. */
  match?: string;
  /** How many requests get it (default 1). */
  times?: number;
  /** How many matching requests go through untouched first (default 0). */
  skip?: number;
  /** `refuse-item`: the index of the item refused (default 0). */
  item?: number;
}

/** One request the fake got, as tests assert it: never the token. */
export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The SOQL of a query. */
  soql?: string;
  /** A query's next page (`/query/{locator}`): the sObject that query reads. */
  pageOf?: string;
  /** The query string of a usage resource's request (`page=0&pageSize=100`), when it has one. */
  query?: string;
  /** A SOAP call: its name, the metadata type and the names it carries. */
  soap?: { call: string; type?: string; fullNames?: string[] };
  /** The OAuth grant type of a token request. */
  grant?: string;
  /** A write: how many items (components, records) it carried. */
  items?: number;
  /** A write: what it did (`revoked <app>/<user>/<created>`, `invalid_token`, `deleted`, `created 2 of 2`…), never a token. */
  outcome?: string;
  /** How many requests were in flight when it arrived, itself included (answered ones not: an answer counts as sent when it is). */
  inFlight: number;
}

/** How the fake is started. */
export interface FakeOrgOptions {
  snapshot: OrgSnapshot;
  /** Port to listen on (default 0: any free one). */
  port?: number;
  /** The JWT bearer grant: the client id and the public key its assertions are checked with. */
  jwt?: { clientId: string; publicKey: KeyObject };
  /** The daily API allowance reported (default 100,000). */
  dailyLimit?: number;
  /** API usage already spent before the first request (default 0). */
  usedBefore?: number;
  /** Milliseconds every answer waits before it is sent, as a real org's latency (default 0). */
  latencyMs?: number;
  /** The username the start token is logged in as (default: the first active user holding ModifyAllData, else the first active user). */
  connectedUser?: string;
}

/** A running fake org. */
export interface FakeOrg {
  /** http://127.0.0.1:PORT: the instance URL and the login URL. */
  url: string;
  /** A token the fake accepts, issued at start (for connection env). */
  accessToken: string;
  /** Every request so far, in order of arrival. */
  requests: RecordedRequest[];
  /** The most requests that were in flight at once. */
  readonly maxInFlight: number;
  /** The org's data; tests change it between reads. */
  data: FakeOrgData;
  /** Queues a fault. */
  inject(fault: Fault): void;
  /** What `/limits` reports as DailyApiRequests.Remaining; undefined: the daily allowance less the calls so far. */
  dailyRemaining: number | undefined;
  /** Moves an app's LastModifiedDate (and its metadata's) on, as an edit in Setup would. */
  touchApp(id: string, at: string): void;
  /**
   * Installs an uninstalled connected app known by its tokens, as a person does in Setup (there is
   * no API for it): it gets an id, its local copy with default policies, and its tokens point at it.
   * Returns the new id.
   */
  installApp(name: string): string;
  close(): Promise<void>;
}

const soapNs = 'http://soap.sforce.com/2006/04/metadata';
const pageSize = 2000;
const tokenPageSize = 500;
/** OauthToken answers at most this many rows per query, whatever its totalSize (salesforce-api.md §1). */
export const oauthTokenCap = 2500;

/** Starts the fake on 127.0.0.1. */
export async function startFakeOrg(options: FakeOrgOptions): Promise<FakeOrg> {
  const data = seedFakeOrg(options.snapshot);
  for (const [from, rows] of Object.entries(data.tables)) buildIndexes(rows, data.indexed[from], data.ranged[from]);
  const writes = fakeWrites(data);
  const requests: RecordedRequest[] = [];
  const faults: Required<Fault>[] = [];
  const tokens = new Set<string>();
  /** Who each token is logged in as (username). */
  const tokenUsers = new Map<string, string>();
  let dailyRemaining: number | undefined;
  const locators = new Map<string, { rows: Row[]; size: number; from: string }>();
  const dailyLimit = options.dailyLimit ?? 100_000;
  let used = options.usedBefore ?? 0;
  let locatorCount = 0;
  const issue = (username: string): string => {
    // Obviously not a Salesforce token (those start with the org id: 00D…!).
    const token = `fake-org-token-${randomBytes(12).toString('hex')}`;
    tokens.add(token);
    tokenUsers.set(token, username);
    return token;
  };
  const active = options.snapshot.users.filter((u) => u.active);
  const accessToken = issue(options.connectedUser ?? (active.find((u) => u.permissions.includes('ModifyAllData')) ?? active[0])?.username ?? '');
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;
  let url = '';

  const server: Server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const atArrival = inFlight;
    let counted = true;
    const done = (): void => {
      if (counted) inFlight--;
      counted = false;
    };
    res.on('finish', done);
    res.on('close', done);
    void handle(req, res, atArrival).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, [{ message: `fake org: ${(err as Error).message}`, errorCode: 'UNKNOWN_EXCEPTION' }]);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, atArrival: number): Promise<void> {
    const body = await readBody(req);
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = parsed.pathname;
    const record: RecordedRequest = { method: req.method ?? 'GET', path, inFlight: atArrival };
    requests.push(record);
    used++;
    res.setHeader('Sforce-Limit-Info', `api-usage=${used}/${dailyLimit}`);

    if (path === '/services/oauth2/token' && req.method === 'POST') return tokenGrant(new URLSearchParams(body), record, res);
    if (path === '/services/oauth2/revoke' && req.method === 'POST') {
      // No session needed: the DeleteToken is the credential.
      const fault = takeFault(path);
      if (fault?.kind === 'hang') return void hang(res);
      if (fault?.kind === 'server-error') return json(res, 503, { error: 'server_error', error_description: 'Service Unavailable' });
      return answer(writes.revoke(new URLSearchParams(body)), record, fault?.kind === 'apply-then-hang' ? hang(res) : res);
    }

    const soapMatch = /^\/services\/Soap\/m\/\d+\.\d+$/.exec(path);
    const rest = /^\/services\/data\/v\d+\.\d+(\/.*)$/.exec(path);
    let soap: { call: string; args: Record<string, unknown>; token: string | undefined } | undefined;
    if (soapMatch && req.method === 'POST') {
      soap = parseSoap(body);
      record.soap = { call: soap.call, ...soapSummary(soap.call, soap.args) };
    }
    if (rest) {
      const q = parsed.searchParams.get('q');
      if (q !== null) record.soql = q;
      const locator = /^\/query\/(01gFAKE[0-9]+)-[0-9]+$/.exec(rest[1]!);
      const of = locator ? locators.get(locator[1]!)?.from : undefined;
      if (of !== undefined) record.pageOf = of;
      if (rest[1]!.startsWith('/apps/oauth/usage/') && parsed.search !== '') record.query = parsed.search.slice(1);
    }
    const fault = takeFault(soap ? `${path} ${soap.call}` : `${path}${parsed.search}`);
    if (fault?.kind === 'hang') return void hang(res);
    if (fault?.kind === 'expire-session') tokens.clear();
    const token = soap ? soap.token : /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const authorized = token !== undefined && tokens.has(token);

    if (soap) {
      if (!authorized) return soapFault(res, 'sf:INVALID_SESSION_ID', 'INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session');
      if (fault?.kind === 'limit-exceeded') return soapFault(res, 'sf:REQUEST_LIMIT_EXCEEDED', 'REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.');
      if (fault?.kind === 'server-error') return text(res, 503, 'text/html', '<html>Service Unavailable</html>');
      if (fault?.kind === 'malformed-json') return text(res, 200, 'text/xml', '<soapenv:Envelope><soapenv:Body><oops');
      return soapCall(soap.call, soap.args, record, fault, fault?.kind === 'apply-then-hang' ? hang(res) : res);
    }
    if (path === '/services/oauth2/userinfo' && req.method === 'GET') {
      if (!authorized) return json(res, 401, { error: 'invalid_token', error_description: 'Session expired or invalid' });
      return userInfo(tokenUsers.get(token!) ?? '', res);
    }
    if (!rest) return json(res, 404, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
    if (!authorized) return json(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    if (fault?.kind === 'limit-exceeded') return json(res, 403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    if (fault?.kind === 'server-error') return json(res, 503, [{ message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }]);
    if (fault?.kind === 'malformed-json') return text(res, 200, 'application/json;charset=UTF-8', '{"totalSize": 3, "done": tr');
    // A careless error that repeats the session id: the client must never pass it on.
    if (fault?.kind === 'echo-token') return json(res, 400, [{ message: `The session ${token} may not do this`, errorCode: 'INSUFFICIENT_ACCESS' }]);
    const out = fault?.kind === 'apply-then-hang' ? hang(res) : res;
    if (req.method === 'GET' && !rest[1]!.startsWith('/apps/oauth/usage/')) return restCall(req.method, rest[1]!, parsed.searchParams, out);
    return restWrite(req.method ?? 'GET', rest[1]!, parsed.searchParams, body, record, fault?.kind === 'refuse-item' ? fault.item : undefined, out);
  }

  /** A request that never gets its answer; returns a response that swallows what is written to it. */
  function hang(res: ServerResponse): ServerResponse {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
    const sink = { headersSent: false, setHeader: () => sink, writeHead: () => sink, end: () => sink };
    return sink as unknown as ServerResponse;
  }

  function answer(result: RestAnswer, record: RecordedRequest, res: ServerResponse): void {
    if (result.outcome !== undefined) record.outcome = result.outcome;
    if (result.body === undefined) return text(res, result.status, 'application/json;charset=UTF-8', '');
    return json(res, result.status, result.body);
  }

  /** The REST writes (and the usage resources' reads) of writes.ts. */
  function restWrite(method: string, route: string, search: URLSearchParams, body: string, record: RecordedRequest, refuseAt: number | undefined, res: ServerResponse): void {
    const base = `${url}/services/data/v62.0`;
    const usage = writes.usage(method, route, base, search);
    if (usage) return answer(usage, record, res);
    if (route === '/composite/sobjects' && method === 'POST') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return json(res, 400, [{ message: 'malformed JSON', errorCode: 'JSON_PARSER_ERROR' }]);
      }
      const records = (parsed as { records?: unknown } | null)?.records;
      if (Array.isArray(records)) record.items = records.length;
      return answer(writes.createRecords(parsed, refuseAt), record, res);
    }
    if (route === '/composite/sobjects' && method === 'DELETE') {
      const ids = (search.get('ids') ?? '').split(',').filter((id) => id !== '');
      record.items = ids.length;
      return answer(writes.deleteRecords(ids, refuseAt), record, res);
    }
    const one = /^\/sobjects\/([A-Za-z]+)\/([A-Za-z0-9]+)$/.exec(route);
    if (one && method === 'DELETE') {
      record.items = 1;
      return answer(writes.deleteRecord(one[1]!, one[2]!), record, res);
    }
    return json(res, 405, [{ message: `HTTP Method '${method}' not allowed`, errorCode: 'METHOD_NOT_ALLOWED' }]);
  }

  function takeFault(target: string): Required<Fault> | undefined {
    const index = faults.findIndex((f) => target.includes(f.match));
    if (index < 0) return undefined;
    const fault = faults[index]!;
    if (fault.skip > 0) {
      fault.skip--;
      return undefined;
    }
    if (--fault.times <= 0) faults.splice(index, 1);
    return fault;
  }

  function restCall(method: string, route: string, params: URLSearchParams, res: ServerResponse): void {
    if (method !== 'GET') return json(res, 405, [{ message: `HTTP Method '${method}' not allowed`, errorCode: 'METHOD_NOT_ALLOWED' }]);
    const locator = /^\/query\/(01gFAKE[0-9]+)-([0-9]+)$/.exec(route);
    if (locator) {
      if (!locators.has(locator[1]!)) return json(res, 400, [{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
      return json(res, 200, page(locator[1]!, Number(locator[2])));
    }
    if (route === '/query' || route === '/tooling/query') {
      const q = params.get('q');
      if (q === null) return json(res, 400, [{ message: 'missing q', errorCode: 'MALFORMED_QUERY' }]);
      try {
        return route === '/query' ? json(res, 200, query(q)) : json(res, 200, toolingQuery(q));
      } catch (err) {
        if (err instanceof SoqlError) return json(res, 400, [{ message: err.message, errorCode: err.message.startsWith('No such column') ? 'INVALID_FIELD' : 'MALFORMED_QUERY' }]);
        throw err;
      }
    }
    if (route === '/sobjects/PermissionSet/describe') {
      return json(res, 200, { name: 'PermissionSet', fields: data.permissionSetFields.map((name) => ({ name })) });
    }
    if (route === '/limits') {
      return json(res, 200, { DailyApiRequests: { Max: dailyLimit, Remaining: dailyRemaining ?? Math.max(0, dailyLimit - used) } });
    }
    return json(res, 404, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
  }

  function query(soql: string): unknown {
    const parsed = parseSoql(soql);
    const table = data.tables[parsed.from];
    const fields = data.fields[parsed.from];
    if (!table || !fields) throw new SoqlError(`sObject type '${parsed.from}' is not supported.`);
    const rows = evaluate(parsed, table, (f) => fields.has(f), data.indexed[parsed.from], data.ranged[parsed.from]);
    if (parsed.fields === 'count') return { totalSize: rows.length, done: true, records: [] };
    if (parsed.from === 'OauthToken') {
      // The token cap: at most 2,500 rows answered, 500 per page; totalSize is what is answered (U).
      const capped = rows.slice(0, oauthTokenCap);
      return startPages(capped, tokenPageSize, parsed.from);
    }
    return startPages(rows, pageSize, parsed.from);
  }

  function startPages(rows: Row[], size: number, from: string): unknown {
    const id = `01gFAKE${String(++locatorCount).padStart(8, '0')}`;
    locators.set(id, { rows, size, from });
    return page(id, 0);
  }

  function page(id: string, offset: number): unknown {
    const { rows, size } = locators.get(id)!;
    const records = rows.slice(offset, offset + size);
    const next = offset + size;
    const done = next >= rows.length;
    if (done) locators.delete(id);
    return { totalSize: rows.length, done, ...(done ? {} : { nextRecordsUrl: `/services/data/v62.0/query/${id}-${next}` }), records };
  }

  function toolingQuery(soql: string): unknown {
    const parsed = parseSoql(soql);
    const table = data.tooling[parsed.from];
    const fields = data.toolingFields[parsed.from];
    if (!table || !fields) throw new SoqlError(`sObject type '${parsed.from}' is not supported.`);
    const rows = evaluate(parsed, table, (f) => fields.has(f));
    if (parsed.fields !== 'count' && parsed.fields.includes('Metadata') && rows.length > 1) {
      throw new SoqlError('When retrieving results with Metadata or FullName fields, the query qualificatios must specify no more than one row for retrieval.');
    }
    return { size: rows.length, totalSize: rows.length, done: true, queryLocator: null, entityTypeName: parsed.from, records: parsed.fields === 'count' ? [] : rows };
  }

  function soapCall(call: string, args: Record<string, unknown>, record: RecordedRequest, fault: Required<Fault> | undefined, res: ServerResponse): void {
    const refuseAt = fault?.kind === 'refuse-item' ? fault.item : undefined;
    const byType = (type: string): Map<string, Component & { __lastModified: string }> => {
      let m = data.metadata.get(type);
      if (!m) data.metadata.set(type, (m = new Map()));
      return m;
    };
    switch (call) {
      case 'listMetadata': {
        const queries = list(args.queries);
        if (queries.length > 3) return soapFault(res, 'sf:INVALID_ARGUMENT', 'INVALID_ARGUMENT: at most 3 queries per listMetadata call');
        let xml = '';
        for (const q of queries) {
          const type = String((q as Record<string, unknown>).type ?? '');
          for (const [fullName, component] of byType(type)) {
            const id = fakeMetadataId(type, fullName);
            xml += `<result><createdById>005000000000000001</createdById><createdByName>Fake Admin</createdByName><createdDate>2026-01-01T00:00:00.000Z</createdDate><fileName>${esc(`${type}/${fullName}`)}</fileName><fullName>${esc(fullName)}</fullName><id>${id}</id><lastModifiedById>005000000000000001</lastModifiedById><lastModifiedByName>Fake Admin</lastModifiedByName><lastModifiedDate>${esc(component.__lastModified)}</lastModifiedDate><manageableState>unmanaged</manageableState><type>${esc(type)}</type></result>`;
          }
        }
        return soapOk(res, 'listMetadataResponse', xml);
      }
      case 'readMetadata': {
        const type = String(args.type ?? '');
        const names = list(args.fullNames).map(String);
        if (names.length > 10) return soapFault(res, 'sf:INVALID_ARGUMENT', 'INVALID_ARGUMENT: at most 10 names per readMetadata call');
        let records = '';
        for (const name of names) {
          const component = byType(type).get(name);
          records += component ? `<records xsi:type="${esc(type)}">${toXml(publicFields(component))}</records>` : `<records xsi:type="${esc(type)}"/>`;
        }
        return soapOk(res, 'readMetadataResponse', `<result>${records}</result>`);
      }
      case 'createMetadata':
      case 'updateMetadata':
      case 'upsertMetadata':
      case 'deleteMetadata': {
        const items = call === 'deleteMetadata' ? list(args.fullNames).map(String) : (list(args.metadata) as Record<string, unknown>[]);
        record.items = items.length;
        let results: MetadataResult[];
        try {
          results =
            call === 'deleteMetadata'
              ? writes.deleteMetadata(String(args.type ?? ''), items as string[], refuseAt)
              : writes.saveMetadata(call, items as Record<string, unknown>[], refuseAt);
        } catch (err) {
          if (err instanceof CallRefused) return soapFault(res, err.code, err.message);
          throw err;
        }
        record.outcome = `${results.filter((r) => r.success).length} of ${results.length} saved`;
        const xml = results
          .map((r) => `<result>${r.created !== undefined ? `<created>${r.created}</created>` : ''}${r.errors.map((e) => `<errors><message>${esc(e.message)}</message><statusCode>${e.statusCode}</statusCode></errors>`).join('')}<fullName>${esc(r.fullName)}</fullName><success>${r.success}</success></result>`)
          .join('');
        return soapOk(res, `${call}Response`, xml);
      }
      default:
        return soapFault(res, 'sf:INVALID_OPERATION', `INVALID_OPERATION: the fake org does not implement ${call}`);
    }
  }

  /** The UserInfo answer (OpenID Connect, as Salesforce gives it): the fields capctl reads and a few beside. */
  function userInfo(username: string, res: ServerResponse): void {
    const row = (data.tables.User ?? []).find((u) => u.Username === username);
    if (!row) return json(res, 403, { error: 'insufficient_scope', error_description: 'the user of this token is gone' });
    const userId = String(row.Id);
    json(res, 200, {
      sub: `${url}/id/${data.orgId}/${userId}`,
      user_id: userId,
      organization_id: data.orgId,
      preferred_username: username,
      nickname: username.split('@')[0],
      active: row.IsActive === true,
      user_type: 'STANDARD',
      urls: { rest: `${url}/services/data/v{version}/`, metadata: `${url}/services/Soap/m/{version}/${data.orgId.slice(0, 15)}` },
    });
  }

  function tokenGrant(form: URLSearchParams, record: RecordedRequest, res: ServerResponse): void {
    const grant = form.get('grant_type') ?? '';
    record.grant = grant;
    const refuse = (description: string): void => json(res, 400, { error: 'invalid_grant', error_description: description });
    if (grant !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return json(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    if (!options.jwt) return refuse('this fake org takes no JWT logins (no public key given)');
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return refuse('invalid assertion');
    let header: { alg?: unknown };
    let claims: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return refuse('invalid assertion');
    }
    if (header.alg !== 'RS256') return refuse('invalid assertion algorithm');
    const signatureOk = createVerify('RSA-SHA256').update(`${parts[0]}.${parts[1]}`).verify(options.jwt.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!signatureOk) return refuse('invalid assertion signature');
    if (claims.iss !== options.jwt.clientId) return refuse('invalid client credentials');
    if (claims.aud !== url) return refuse('audience is invalid');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return refuse('expired authorization code');
    if (typeof claims.sub !== 'string' || !data.usernames.has(claims.sub)) return refuse('user hasn\'t approved this consumer');
    json(res, 200, { access_token: issue(claims.sub), instance_url: url, id: `${url}/id/${data.orgId}/005000000000000001`, token_type: 'Bearer', scope: 'api' });
  }

  // Idle connections are kept a minute, as the load balancers in front of real servers keep them,
  // not node's 5 s: a client whose event loop was busy for longer (a million sessions parsed) would
  // otherwise send its next requests on sockets this server had closed, and retry them (each
  // attempt a counted call, which this server never received).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    accessToken,
    requests,
    data,
    get maxInFlight() {
      return maxInFlight;
    },
    get dailyRemaining() {
      return dailyRemaining;
    },
    set dailyRemaining(value) {
      dailyRemaining = value;
    },
    inject(fault) {
      faults.push({ kind: fault.kind, match: fault.match ?? '', times: fault.times ?? 1, skip: fault.skip ?? 0, item: fault.item ?? 0 });
    },
    touchApp(id, at) {
      const row = [...(data.tables.ConnectedApplication ?? []), ...(data.tables.ExternalClientApplication ?? [])].find((r) => r.Id === id);
      if (!row) throw new Error(`fake org: no installed app ${id}`);
      row.LastModifiedDate = at;
      for (const byName of data.metadata.values()) {
        for (const component of byName.values()) if (component.label === (row.Name ?? row.MasterLabel)) component.__lastModified = at;
      }
    },
    installApp(name) {
      if ((data.tables.ConnectedApplication ?? []).some((r) => r.Name === name)) throw new Error(`fake org: ${name} is installed already`);
      const id = `0H4FAKE${createHash('sha256').update(`installed:${name}`).digest('hex').slice(0, 11)}`;
      const at = new Date().toISOString();
      (data.tables.ConnectedApplication ??= []).push({ attributes: { type: 'ConnectedApplication', url: `/services/data/v62.0/sobjects/ConnectedApplication/${id}` }, Id: id, Name: name, LastModifiedDate: at, OptionsAllowAdminApprovedUsersOnly: false });
      (data.tables.AppMenuItem ??= []).push({ attributes: { type: 'AppMenuItem' }, ApplicationId: id, NamespacePrefix: null, Type: 'ConnectedApplication' });
      const component = connectedAppComponent({
        id, name, type: 'ConnectedApp', packaged: false, installed: true, blocked: false, deniedAttempts: null, sessions: [],
        policies: { permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' },
      });
      let byName = data.metadata.get('ConnectedApp');
      if (!byName) data.metadata.set('ConnectedApp', (byName = new Map()));
      byName.set(String(component.fullName), { ...component, __lastModified: at });
      for (const token of data.tables.OauthToken ?? []) if (token.AppName === name) token.AppMenuItem = { attributes: { type: 'AppMenuItem' }, ApplicationId: id };
      return id;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The id listMetadata gives a component: made up, never the app's id (whether they are equal is unconfirmed, salesforce-api.md §7 (2), so the reader must not rely on it). */
function fakeMetadataId(type: string, fullName: string): string {
  return `0Af${createHash('sha256').update(`${type}/${fullName}`).digest('hex').slice(0, 15)}`;
}

const xmlParser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false, isArray: (name) => ['fullNames', 'queries', 'metadata'].includes(name) });

function parseSoap(body: string): { call: string; args: Record<string, unknown>; token: string | undefined } {
  const doc = xmlParser.parse(body) as { Envelope?: { Header?: { SessionHeader?: { sessionId?: string } }; Body?: Record<string, unknown> } };
  const bodyEl = doc.Envelope?.Body ?? {};
  const call = Object.keys(bodyEl).find((k) => !k.startsWith('@_')) ?? '';
  const rawArgs = bodyEl[call];
  const args = (typeof rawArgs === 'object' && rawArgs !== null ? rawArgs : {}) as Record<string, unknown>;
  // Keep the xsi:type of each component sent (jsforce writes it as an attribute).
  for (const component of list(args.metadata) as Record<string, unknown>[]) {
    const type = component['@_type'];
    if (type !== undefined) {
      component['@_xsi:type'] = type;
      delete component['@_type'];
    }
  }
  return { call, args, token: doc.Envelope?.Header?.SessionHeader?.sessionId };
}

function soapSummary(call: string, args: Record<string, unknown>): { type?: string; fullNames?: string[] } {
  if (call === 'listMetadata') return { type: list(args.queries).map((q) => String((q as Record<string, unknown>).type)).join(',') };
  if (call === 'readMetadata' || call === 'deleteMetadata') return { type: String(args.type), fullNames: list(args.fullNames).map(String) };
  const components = list(args.metadata) as Record<string, unknown>[];
  return { type: String(components[0]?.['@_xsi:type'] ?? ''), fullNames: components.map((c) => String(c.fullName)) };
}

function list(value: unknown): unknown[] {
  return value === undefined || value === null || value === '' ? [] : Array.isArray(value) ? value : [value];
}

function publicFields(component: Component): Component {
  const out: Component = {};
  for (const [key, value] of Object.entries(component)) if (!key.startsWith('__')) out[key] = value;
  return out;
}

function toXml(value: unknown): string {
  let out = '';
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item === undefined || item === null) continue;
      out += typeof item === 'object' ? `<${key}>${toXml(item)}</${key}>` : `<${key}>${esc(String(item))}</${key}>`;
    }
  }
  return out;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function soapOk(res: ServerResponse, element: string, inner: string): void {
  text(
    res,
    200,
    'text/xml;charset=UTF-8',
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="${soapNs}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><${element}>${inner}</${element}></soapenv:Body></soapenv:Envelope>`,
  );
}

function soapFault(res: ServerResponse, code: string, message: string): void {
  text(
    res,
    500,
    'text/xml;charset=UTF-8',
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="${soapNs}"><soapenv:Body><soapenv:Fault><faultcode>${code}</faultcode><faultstring>${esc(message)}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
  );
}

function json(res: ServerResponse, status: number, value: unknown): void {
  text(res, status, 'application/json;charset=UTF-8', JSON.stringify(value));
}

function text(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
