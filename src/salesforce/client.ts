// The one way capctl talks to a Salesforce org: a small interface (SfClient) over
// @jsforce/jsforce-node, which nothing else imports. Every HTTP request goes through `call`, which
// bounds parallelism, sets a timeout, retries only idempotent reads on transient errors, logs in
// again once on an expired session (when the connection can), counts the calls, and turns every
// failure into a SalesforceError that names the connection and never holds a token.
// jsforce's index loads every API it has (bulk, streaming, analytics, …: a third of its start-up);
// capctl uses the connection and the Metadata API, loaded alone (the latter registers
// `conn.metadata` on every connection made after it is loaded).
import { Connection } from '@jsforce/jsforce-node/lib/connection.js';
import '@jsforce/jsforce-node/lib/api/metadata.js';
import { Transport } from '@jsforce/jsforce-node/lib/transport.js';
import type { HttpRequest, HttpRequestOptions } from '@jsforce/jsforce-node/lib/types/index.js';
import { CapctlError, SalesforceError, type SalesforceFailure } from '../model/index.js';

/** The REST API version capctl asks for (ExternalClientApplication and PermissionSetAssignment.IsActive need a recent one). */
export const apiVersion = '62.0';

/** One record of a SOQL result, without jsforce's `attributes`. */
export type SfRecord = Record<string, unknown>;

/** One component of `listMetadata`: the fields capctl uses. */
export interface MetadataFile {
  fullName: string;
  id?: string;
  lastModifiedDate?: string;
  namespacePrefix?: string;
}

/** The org's API usage, from the last `Sforce-Limit-Info` header seen. */
export interface LimitInfo {
  used: number;
  limit: number;
}

/** One entry of `GET /limits`. */
export interface OrgLimit {
  Max: number;
  Remaining: number;
}

/** The most names one readMetadata call takes (Metadata API). */
export const metadataReadBatch = 10;

/** The most components one metadata CRUD write takes (salesforce-api.md §6). */
export const metadataWriteBatch = 10;
/** The most records one sObject Collections call takes. */
export const collectionBatch = 200;

/** One item's result of a write (a metadata SaveResult / UpsertResult / DeleteResult, or an sObject Collections result). */
export interface WriteResult {
  /** The component's fullName, or the record's new id. */
  name: string;
  success: boolean;
  /** `statusCode: message` of each error. */
  errors: string[];
}

/** The calls capctl makes to an org: reads, and the writes of apply (salesforce-api.md §2). */
export interface SfClient {
  /** The connection's name for messages (`env`, `jwt`, `sf:ALIAS`) and the instance it reached; never a token. */
  readonly connection: string;
  /** Requests in flight at once, at most (the pool's size). */
  readonly parallelism: number;
  /** Every row of a SOQL query, following nextRecordsUrl page by page (each page one call); refuses more than maxRows. */
  query(soql: string, options?: { maxRows?: number }): Promise<SfRecord[]>;
  /**
   * Every row of a SOQL query ending `ORDER BY <unique field>`, as `query` gives them, read from
   * both ends at once when it takes more than a page: the same query `… DESC` is followed beside
   * it until the two have read the rows the first page counted (totalSize), and the two are joined
   * where they meet. Rows read by both are checked to be the same; when they are not (the org
   * changed between the two reads), or the two counts differ, the query is read again from one end.
   */
  queryFromBothEnds(soql: string): Promise<SfRecord[]>;
  /** `SELECT COUNT() …`: the totalSize, in one call. */
  count(soql: string): Promise<number>;
  /** Every row of a Tooling API query. */
  toolingQuery(soql: string, options?: { maxRows?: number }): Promise<SfRecord[]>;
  /** The describe of one sObject type (its field names). */
  describe(sobject: string): Promise<{ name: string; fields: { name: string }[] }>;
  /** listMetadata for one type. */
  metadataList(type: string): Promise<MetadataFile[]>;
  /** readMetadata of at most 10 names; a name the org does not have is left out (the API answers an empty record). */
  metadataRead(type: string, fullNames: readonly string[]): Promise<SfRecord[]>;
  /** `GET /limits`. */
  limits(): Promise<Record<string, OrgLimit>>;
  /** `GET /services/oauth2/userinfo`: who the connection is logged in as. */
  userInfo(): Promise<{ username: string; userId: string; orgId: string }>;
  /** updateMetadata / upsertMetadata of at most 10 components: one result per component, in order (no AllOrNone: each saved or not on its own). Never retried. */
  metadataSave(call: 'update' | 'upsert', type: string, components: readonly SfRecord[]): Promise<WriteResult[]>;
  /** deleteMetadata of at most 10 names: one result per name. Never retried. */
  metadataDelete(type: string, fullNames: readonly string[]): Promise<WriteResult[]>;
  /** sObject Collections create (`POST /composite/sobjects`, allOrNone false) of at most 200 records: one result per record. Never retried. */
  createRecords(type: string, records: readonly SfRecord[]): Promise<WriteResult[]>;
  /** sObject Collections delete (`DELETE /composite/sobjects?ids=…`, allOrNone false) of at most 200 ids: one result per id (a record already gone: ENTITY_IS_DELETED). Never retried. */
  deleteRecords(type: string, ids: readonly string[]): Promise<WriteResult[]>;
  /** `DELETE /sobjects/{type}/{id}`: `gone` when the org no longer has it. */
  deleteRecord(type: string, id: string): Promise<'deleted' | 'gone'>;
  /** `POST /services/oauth2/revoke` with a token's DeleteToken: `gone` when the org answers invalid_token (already revoked). The token never reaches a message. */
  revokeToken(deleteToken: string): Promise<'revoked' | 'gone'>;
  /** A Connect REST resource under /services/data/vNN.N (the usage resources): GET its JSON, or DELETE it (`gone`: NOT_FOUND). */
  restGet(path: string): Promise<unknown>;
  restDelete(path: string): Promise<'deleted' | 'gone'>;
  /** Calls made so far (logins included) and the last API usage the org reported. */
  stats(): { calls: number; limitInfo?: LimitInfo };
}

/** How the client behaves; the defaults suit a real org. */
export interface ClientOptions {
  /** Requests in flight at once (default 8). */
  parallelism?: number;
  /** Milliseconds one request may take before it is abandoned (default 120,000). */
  timeoutMs?: number;
  /** Extra tries of an idempotent read after a transient failure (default 2). */
  retries?: number;
  /** Milliseconds before the first retry, doubled each time (default 500). */
  retryDelayMs?: number;
  /** Stops every call not yet answered. */
  signal?: AbortSignal;
}

/** A session: where the org is and the token to reach it, with how to get a new one when it expires. */
export interface SfSession {
  /** For messages: the connection's name (never a token). */
  connection: string;
  instanceUrl: string;
  accessToken: string;
  /** Logs in again and returns the new token (JWT); absent when the connection cannot (env). */
  relogin?: () => Promise<string>;
}

/** jsforce's transport with its own retries off (capctl decides what is safe to retry) and our timeout. */
class BoundedTransport extends Transport {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}) {
    return super.httpRequest(req, { ...options, retry: { maxRetries: 0 }, timeout: this.timeoutMs } as HttpRequestOptions);
  }
}

/** An error jsforce raises for an API answer: the errorCode of `[{message, errorCode}]` or of a SOAP fault. */
interface ApiErrorLike {
  name?: string;
  errorCode?: string;
  message?: string;
  code?: string;
}

const transientCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'ERROR_HTTP_502', 'ERROR_HTTP_503', 'ERROR_HTTP_504', 'SERVER_UNAVAILABLE']);

/** Is this token in the JWT format (three base64url segments, the first a JSON header), which the Metadata API refuses? */
export function isJwtFormatToken(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null;
  } catch {
    return false;
  }
}

/** Opens a client on a session. Refuses a JWT-format token at once: the Metadata API needs an opaque session id. */
export function createClient(session: SfSession, options: ClientOptions = {}): SfClient {
  if (isJwtFormatToken(session.accessToken)) {
    throw new SalesforceError(
      `${session.connection}: the access token is a JWT-format token, which the Metadata API refuses. Turn off "Issue JSON Web ` +
        `Token (JWT)-based access tokens" in the connected app (or external client app) capctl logs in with.`,
      'setup',
      session.connection,
    );
  }
  return new JsforceClient(session, options);
}

class JsforceClient implements SfClient {
  readonly connection: string;
  private readonly conn: Connection;
  readonly parallelism: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private calls = 0;
  private limitInfo: LimitInfo | undefined;
  private relogin: Promise<void> | undefined;
  private reloggedIn = false;
  private readonly secrets: string[];

  constructor(private readonly session: SfSession, options: ClientOptions) {
    this.connection = session.connection;
    this.parallelism = Math.max(1, options.parallelism ?? 8);
    this.retries = Math.max(0, options.retries ?? 2);
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.signal = options.signal;
    this.secrets = [session.accessToken];
    this.conn = new Connection({ instanceUrl: session.instanceUrl, accessToken: session.accessToken, version: apiVersion });
    // jsforce has no public way to set a transport: its own retries would resend POSTs' twins and hide pages.
    (this.conn as unknown as { _transport: Transport })._transport = new BoundedTransport(this.timeoutMs);
  }

  stats(): { calls: number; limitInfo?: LimitInfo } {
    return { calls: this.calls, ...(this.limitInfo ? { limitInfo: { ...this.limitInfo } } : {}) };
  }

  async query(soql: string, options: { maxRows?: number } = {}): Promise<SfRecord[]> {
    return this.pagedQuery(`/services/data/v${apiVersion}/query?q=${encodeURIComponent(soql)}`, soql, options.maxRows);
  }

  async queryFromBothEnds(soql: string): Promise<SfRecord[]> {
    if (!/ ORDER BY [A-Za-z.]+$/.test(soql)) throw new Error(`queryFromBothEnds needs a query ending ORDER BY one field: ${soql}`);
    const urlOf = (text: string): string => `/services/data/v${apiVersion}/query?q=${encodeURIComponent(text)}`;
    // Rows read from the start and from the end; they have met once together they hold `total`
    // (both ends counting the same rows: else the first end reads on to the last row alone).
    let total: number | undefined;
    let fromStart = 0;
    let fromEnd = 0;
    let endTotal: number | undefined;
    let descending: Promise<SfRecord[]> | undefined;
    let failed = false;
    const met = (): boolean => total !== undefined && endTotal === total && fromStart + fromEnd >= total;
    const ascending = this.pagedQuery(urlOf(soql), soql, undefined, (page) => {
      total ??= page.totalSize;
      fromStart += page.records.length;
      if (!page.done && descending === undefined) {
        const reversed = `${soql} DESC`;
        // The other end's chain goes ahead of the queue from its first page: it exists only to shorten this one.
        descending = this.pagedQuery(urlOf(reversed), reversed, undefined, (other) => {
          endTotal ??= other.totalSize;
          fromEnd += other.records.length;
          return !failed && endTotal === total && !met();
        }, true);
        // Awaited below; a failure of the first end's chain meanwhile must not leave it unhandled.
        descending.catch(() => undefined);
      }
      return !met();
    });
    let head: SfRecord[];
    try {
      head = await ascending;
    } catch (error) {
      // The other end stops at its next page: the read has failed.
      failed = true;
      throw error;
    }
    if (descending === undefined) return head;
    if (head.length === total) {
      // Every row read from the start: the other end's page in flight is not needed (nor its failure).
      await descending.catch(() => undefined);
      return head;
    }
    const tail = await descending;
    // head is the list's first rows, tail its last ones from the end: they overlap by `overlap` rows.
    const overlap = head.length + tail.length - total!;
    const joined = endTotal === total && overlap >= 0 && overlap <= Math.min(head.length, tail.length) && sameRows(head, tail, overlap);
    if (!joined) return this.query(soql);
    for (let i = tail.length - 1 - overlap; i >= 0; i--) head.push(tail[i]!);
    return head;
  }

  async toolingQuery(soql: string, options: { maxRows?: number } = {}): Promise<SfRecord[]> {
    return this.pagedQuery(`/services/data/v${apiVersion}/tooling/query?q=${encodeURIComponent(soql)}`, soql, options.maxRows);
  }

  async count(soql: string): Promise<number> {
    const page = await this.call(`query ${soql}`, true, () => this.conn.request(`/services/data/v${apiVersion}/query?q=${encodeURIComponent(soql)}`));
    const result = this.queryPage(page, soql);
    return result.totalSize;
  }

  async describe(sobject: string): Promise<{ name: string; fields: { name: string }[] }> {
    const body = await this.call(`describe ${sobject}`, true, () => this.conn.request(`/services/data/v${apiVersion}/sobjects/${encodeURIComponent(sobject)}/describe`));
    const fields = (body as { fields?: unknown } | null)?.fields;
    if (!Array.isArray(fields) || !fields.every((f) => typeof (f as { name?: unknown })?.name === 'string')) {
      throw this.malformed(`the describe of ${sobject} has no list of fields`);
    }
    return { name: sobject, fields: fields.map((f: { name: string }) => ({ name: f.name })) };
  }

  async limits(): Promise<Record<string, OrgLimit>> {
    const body = await this.call('limits', true, () => this.conn.request(`/services/data/v${apiVersion}/limits`));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw this.malformed('the /limits answer is not an object');
    return body as Record<string, OrgLimit>;
  }

  async userInfo(): Promise<{ username: string; userId: string; orgId: string }> {
    const body = await this.call('userinfo', true, () => this.conn.request('/services/oauth2/userinfo'));
    const info = (typeof body === 'object' && body !== null ? body : {}) as { preferred_username?: unknown; user_id?: unknown; organization_id?: unknown };
    if (typeof info.preferred_username !== 'string' || typeof info.user_id !== 'string' || typeof info.organization_id !== 'string') {
      throw this.malformed('the userinfo answer names no user (preferred_username, user_id, organization_id)');
    }
    return { username: info.preferred_username, userId: info.user_id, orgId: info.organization_id };
  }

  async metadataSave(call: 'update' | 'upsert', type: string, components: readonly SfRecord[]): Promise<WriteResult[]> {
    if (components.length === 0) return [];
    if (components.length > metadataWriteBatch) throw new Error(`${call}Metadata takes at most ${metadataWriteBatch} components, not ${components.length}`);
    const body: unknown = await this.call(`${call}Metadata ${type}`, false, () => {
      const sent = components.map((c) => ({ ...c })) as never[];
      return call === 'update' ? this.conn.metadata.update(type, sent) : this.conn.metadata.upsert(type, sent);
    });
    return this.writeResults(body, components.length, `${call}Metadata ${type}`);
  }

  async metadataDelete(type: string, fullNames: readonly string[]): Promise<WriteResult[]> {
    if (fullNames.length === 0) return [];
    if (fullNames.length > metadataWriteBatch) throw new Error(`deleteMetadata takes at most ${metadataWriteBatch} names, not ${fullNames.length}`);
    const body: unknown = await this.call(`deleteMetadata ${type}`, false, () => this.conn.metadata.delete(type, [...fullNames]));
    return this.writeResults(body, fullNames.length, `deleteMetadata ${type}`);
  }

  async createRecords(type: string, records: readonly SfRecord[]): Promise<WriteResult[]> {
    if (records.length === 0) return [];
    if (records.length > collectionBatch) throw new Error(`an sObject Collections create takes at most ${collectionBatch} records, not ${records.length}`);
    const body: unknown = await this.call(`create ${records.length} ${type}`, false, () => this.conn.sobject(type).create(records.map((r) => ({ ...r }))));
    return this.writeResults(body, records.length, `create ${type}`);
  }

  async deleteRecords(type: string, ids: readonly string[]): Promise<WriteResult[]> {
    if (ids.length === 0) return [];
    if (ids.length > collectionBatch) throw new Error(`an sObject Collections delete takes at most ${collectionBatch} ids, not ${ids.length}`);
    const body: unknown = await this.call(`delete ${ids.length} ${type}`, false, () => this.conn.sobject(type).destroy([...ids]));
    return this.writeResults(body, ids.length, `delete ${type}`);
  }

  async deleteRecord(type: string, id: string): Promise<'deleted' | 'gone'> {
    return this.call(`delete ${type} ${id}`, false, () => goneOn(['NOT_FOUND', 'ENTITY_IS_DELETED'], () => this.conn.sobject(type).destroy(id)));
  }

  async revokeToken(deleteToken: string): Promise<'revoked' | 'gone'> {
    this.secrets.push(deleteToken);
    try {
      return await this.call('revoke a token', false, async () => {
        try {
          await this.conn.request({ method: 'POST', url: '/services/oauth2/revoke', body: `token=${encodeURIComponent(deleteToken)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
          return 'revoked' as const;
        } catch (err) {
          // The org answers 400 {error: 'invalid_token'} for a token it no longer has (jsforce: ERROR_HTTP_400, the JSON in the message).
          const e = err as ApiErrorLike;
          if (apiCode(e) === 'ERROR_HTTP_400' && /"error"\s*:\s*"invalid_token"/.test(e.message ?? '')) return 'gone' as const;
          throw err;
        }
      });
    } finally {
      this.secrets.splice(this.secrets.lastIndexOf(deleteToken), 1);
    }
  }

  async restGet(path: string): Promise<unknown> {
    return this.call(`GET ${path}`, true, () => this.conn.request(`/services/data/v${apiVersion}${path}`));
  }

  async restDelete(path: string): Promise<'deleted' | 'gone'> {
    return this.call(`DELETE ${path}`, false, () => goneOn(['NOT_FOUND'], () => this.conn.request({ method: 'DELETE', url: `/services/data/v${apiVersion}${path}` })));
  }

  /** The per-item results of a write, checked: one per item sent. */
  private writeResults(body: unknown, count: number, what: string): WriteResult[] {
    const list = body === undefined || body === null ? [] : Array.isArray(body) ? body : [body];
    if (list.length !== count) throw this.malformed(`${what} answered ${list.length} results for ${count} items`);
    return list.map((item: unknown) => {
      const r = (item ?? {}) as { fullName?: unknown; id?: unknown; success?: unknown; errors?: unknown };
      if (typeof r.success !== 'boolean' && r.success !== 'true' && r.success !== 'false') throw this.malformed(`${what}: a result has no success flag`);
      const errors = (r.errors === undefined || r.errors === null ? [] : Array.isArray(r.errors) ? r.errors : [r.errors]) as { statusCode?: unknown; message?: unknown }[];
      return {
        name: String(r.fullName ?? r.id ?? ''),
        success: r.success === true || r.success === 'true',
        errors: errors.map((e) => this.redact(`${String(e.statusCode ?? 'ERROR')}: ${oneLine(String(e.message ?? ''))}`)),
      };
    });
  }

  async metadataList(type: string): Promise<MetadataFile[]> {
    const result: unknown = await this.call(`listMetadata ${type}`, true, () => this.conn.metadata.list([{ type }]));
    const files = result === undefined || result === null ? [] : Array.isArray(result) ? result : [result];
    for (const file of files) {
      if (typeof (file as { fullName?: unknown })?.fullName !== 'string') throw this.malformed(`a listMetadata ${type} entry has no fullName`);
    }
    return files as MetadataFile[];
  }

  async metadataRead(type: string, fullNames: readonly string[]): Promise<SfRecord[]> {
    if (fullNames.length > metadataReadBatch) throw new Error(`readMetadata takes at most ${metadataReadBatch} names (got ${fullNames.length})`);
    if (fullNames.length === 0) return [];
    const result: unknown = await this.call(`readMetadata ${type}`, true, () => (this.conn.metadata as unknown as { read(t: string, n: string[]): Promise<unknown> }).read(type, [...fullNames]));
    if (!Array.isArray(result)) throw this.malformed(`the readMetadata ${type} answer has no records`);
    // A name the org does not have comes back as a record without fullName, not as null (salesforce-api.md §1).
    return (result as SfRecord[]).filter((r) => typeof r?.fullName === 'string' && r.fullName !== '');
  }

  /**
   * Follows a query's pages; each page is one call (so it is bounded, timed, retried and counted alone).
   * `onPage` (given each page, its records stripped) says whether to go on to the next one.
   */
  private async pagedQuery(
    firstUrl: string,
    soql: string,
    maxRows: number | undefined,
    onPage?: (page: { totalSize: number; done: boolean; records: SfRecord[] }) => boolean,
    ahead = false,
  ): Promise<SfRecord[]> {
    const rows: SfRecord[] = [];
    let url: string | undefined = firstUrl;
    while (url !== undefined) {
      const pageUrl: string = url;
      // A next page goes ahead of the calls waiting for a slot: a long query is a chain of pages, one
      // at a time, and queued behind every other call its chain would set the read's wall time.
      const page = this.queryPage(await this.call(`query ${soql}`, true, () => this.conn.request(pageUrl), ahead || pageUrl !== firstUrl), soql);
      if (maxRows !== undefined && page.totalSize > maxRows) {
        throw this.malformed(`the query answered ${page.totalSize} rows, more than the ${maxRows} capctl reads at once: ${soql}`);
      }
      const from = rows.length;
      for (const record of page.records) rows.push(stripAttributes(record));
      url = page.done ? undefined : page.nextRecordsUrl;
      if (!page.done && url === undefined) throw this.malformed(`a query page is not done and has no nextRecordsUrl: ${soql}`);
      if (onPage && !onPage({ totalSize: page.totalSize, done: page.done, records: rows.slice(from) })) break;
    }
    return rows;
  }

  private queryPage(body: unknown, soql: string): { totalSize: number; done: boolean; nextRecordsUrl?: string; records: SfRecord[] } {
    const page = body as { totalSize?: unknown; done?: unknown; nextRecordsUrl?: unknown; records?: unknown } | null;
    if (
      typeof page !== 'object' ||
      page === null ||
      typeof page.totalSize !== 'number' ||
      typeof page.done !== 'boolean' ||
      !Array.isArray(page.records) ||
      (page.nextRecordsUrl !== undefined && page.nextRecordsUrl !== null && typeof page.nextRecordsUrl !== 'string')
    ) {
      throw this.malformed(`the answer to a query is not a query result: ${soql}`);
    }
    return {
      totalSize: page.totalSize,
      done: page.done,
      records: page.records as SfRecord[],
      ...(typeof page.nextRecordsUrl === 'string' ? { nextRecordsUrl: page.nextRecordsUrl } : {}),
    };
  }

  /** One request: a pool slot, a timeout, safe retries, one re-login, counted, errors typed. */
  private async call<T>(what: string, idempotent: boolean, request: () => Promise<T>, ahead = false): Promise<T> {
    let attempt = 0;
    for (;;) {
      try {
        return await this.slot(() => this.timed(what, request), ahead);
      } catch (err) {
        if (err instanceof CapctlError) throw err;
        const failure = classify(err);
        if (failure === 'session' && this.session.relogin && !this.reloggedIn) {
          await this.loginAgain();
          continue;
        }
        if (failure === 'transient' && idempotent && attempt < this.retries) {
          await delay(this.retryDelayMs * 2 ** attempt, this.signal);
          attempt++;
          continue;
        }
        throw this.typed(err, failure, what);
      }
    }
  }

  /** Logs in again once for every call that saw the session expire at the same time. */
  private async loginAgain(): Promise<void> {
    this.relogin ??= (async () => {
      this.calls++;
      const token = await this.session.relogin!();
      this.secrets.push(token);
      this.conn.accessToken = token;
      this.reloggedIn = true;
    })();
    await this.relogin;
  }

  /** Runs in one of the `parallelism` slots, waiting in line for one (`ahead`: at the head of the line). */
  private async slot<T>(run: () => Promise<T>, ahead = false): Promise<T> {
    while (this.active >= this.parallelism) await new Promise<void>((resolve) => (ahead ? this.waiting.unshift(resolve) : this.waiting.push(resolve)));
    this.active++;
    try {
      return await run();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private async timed<T>(what: string, request: () => Promise<T>): Promise<T> {
    if (this.signal?.aborted) throw new SalesforceError(`${this.connection}: stopped before ${what}`, 'timeout', this.connection);
    this.calls++;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SalesforceError(`${this.connection}: no answer within ${this.timeoutMs} ms to ${what}`, 'timeout', this.connection)), this.timeoutMs);
      onAbort = () => reject(new SalesforceError(`${this.connection}: stopped while waiting for ${what}`, 'timeout', this.connection));
      this.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([request(), stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) this.signal?.removeEventListener('abort', onAbort);
      const usage = (this.conn.limitInfo as { apiUsage?: LimitInfo } | undefined)?.apiUsage;
      if (usage) this.limitInfo = { used: usage.used, limit: usage.limit };
    }
  }

  private malformed(detail: string): SalesforceError {
    return new SalesforceError(`${this.connection}: malformed response: ${this.redact(detail)}`, 'malformed', this.connection);
  }

  private typed(err: unknown, failure: Failure, what: string): SalesforceError {
    const e = (err ?? {}) as ApiErrorLike;
    const code = apiCode(e);
    const said = this.redact(oneLine(e.message ?? String(err)));
    switch (failure) {
      case 'limit': {
        const usage = this.limitInfo ? ` (API usage ${this.limitInfo.used}/${this.limitInfo.limit})` : '';
        return new SalesforceError(`${this.connection}: the org refused ${what}: its API request limit is exceeded (REQUEST_LIMIT_EXCEEDED)${usage}. Try again once the org's allowance recovers.`, 'limit', this.connection);
      }
      case 'session':
        return new SalesforceError(
          `${this.connection}: the session expired or is invalid (INVALID_SESSION_ID)${this.reloggedIn ? ', again after logging in once more' : ''}. Log in again and retry.`,
          'session',
          this.connection,
        );
      case 'timeout':
        return new SalesforceError(`${this.connection}: no answer within ${this.timeoutMs} ms to ${what}`, 'timeout', this.connection);
      case 'malformed':
        return this.malformed(`${what}: ${said}`);
      default:
        return new SalesforceError(`${this.connection}: ${what} failed${code ? ` (${code})` : ''}: ${said}`, 'api', this.connection);
    }
  }

  /** Never let a token reach a message, whatever the org or the library put in one. */
  private redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (secret.length > 0) out = out.split(secret).join('[token]');
    return out;
  }
}

type Failure = SalesforceFailure | 'transient';

function apiCode(e: ApiErrorLike): string | undefined {
  const code = e.errorCode ?? e.code;
  return typeof code === 'string' ? code.replace(/^[a-zA-Z]+:/, '') : undefined;
}

/** What kind of failure a jsforce error is (REST error arrays and SOAP faults carry the same codes). */
function classify(err: unknown): Failure {
  const e = (err ?? {}) as ApiErrorLike;
  const code = apiCode(e);
  if (code === 'REQUEST_LIMIT_EXCEEDED') return 'limit';
  if (code === 'INVALID_SESSION_ID') return 'session';
  if (e.name === 'AbortError') return 'timeout';
  if (code !== undefined && transientCodes.has(code)) return 'transient';
  if (code !== undefined) return 'api';
  // No API error code and no network error code: jsforce could not make sense of the answer (an
  // unparsable XML body rejects from xml2js; unparsable JSON comes back as text it trips over).
  return 'malformed';
}

/** Runs a request; an API error with one of `codes` means the thing is gone already. */
async function goneOn(codes: readonly string[], request: () => Promise<unknown>): Promise<'deleted' | 'gone'> {
  try {
    await request();
    return 'deleted';
  } catch (err) {
    const code = apiCode((err ?? {}) as ApiErrorLike);
    if (code !== undefined && codes.includes(code)) return 'gone';
    throw err;
  }
}

/** Whether the last `overlap` rows of `head` are the first `overlap` rows of the list `tail` holds from its end. */
function sameRows(head: readonly SfRecord[], tail: readonly SfRecord[], overlap: number): boolean {
  for (let i = 0; i < overlap; i++) {
    if (JSON.stringify(head[head.length - overlap + i]) !== JSON.stringify(tail[tail.length - 1 - i])) return false;
  }
  return true;
}

function stripAttributes(record: SfRecord): SfRecord {
  const out: SfRecord = {};
  // for…in over a parsed JSON object (own keys only, no prototype chain to speak of): no entries array per record.
  for (const key in record) {
    if (key === 'attributes' || !Object.prototype.hasOwnProperty.call(record, key)) continue;
    const value = record[key];
    out[key] = value !== null && typeof value === 'object' && !Array.isArray(value) ? stripAttributes(value as SfRecord) : value;
  }
  return out;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
