// The fake org's writes (salesforce-api.md §2): each changes the fake's own records, so that a later
// read shows it, and each refuses what Salesforce refuses, so that the fake never agrees with a
// write a real org would turn down: a component or record with a required field missing, an id the
// org does not have, a ConnectedApp update carrying a consumerSecret, more than 10 components per
// metadata call, more than 200 records per sObject Collections call, a DeleteToken already used.
//   metadata CRUD  createMetadata / updateMetadata / upsertMetadata / deleteMetadata, per-item results
//   REST           POST /composite/sobjects (SetupEntityAccess), DELETE /composite/sobjects?ids=… (≤200),
//                  DELETE /sobjects/SetupEntityAccess/{id}
//   OAuth          POST /services/oauth2/revoke (form body token=<DeleteToken>)
//   usage          GET /apps/oauth/usage/{appId}/users?page=&pageSize= (100 a page by default),
//                  GET and DELETE …/{appId}/{userId}/tokens, DELETE /apps/oauth/usage/tokens/{tokenId}
//                  (external client apps)
// What an action does beyond its own record is done here too, as the org does it: a block ends the
// app's sessions (R1); a ConnectedApp update moves its ConnectedApplication row (permitted users,
// LastModifiedDate).
import { createHash } from 'node:crypto';
import type { Component, FakeOrgData } from './seed.js';
import { positionOf, removeRow, rowsWhere, type Row } from './soql.js';

/** The most components one metadata CRUD call takes. */
export const metadataWriteBatch = 10;
/** The most records one sObject Collections call takes. */
export const collectionBatch = 200;

/** One item's error, as SaveResult / UpsertResult / DeleteResult and sObject Collections carry it. */
export interface ItemError {
  statusCode: string;
  message: string;
}

/** One component's result of a metadata CRUD call. */
export interface MetadataResult {
  fullName: string;
  success: boolean;
  /** upsertMetadata only. */
  created?: boolean;
  errors: ItemError[];
}

/** An answer to a REST or OAuth write: the status and the JSON body (undefined: no body). */
export interface RestAnswer {
  status: number;
  body?: unknown;
  /** What the call log says it did (never a token). */
  outcome?: string;
}

/** A whole call refused (a SOAP fault, or a REST error array): the call changed nothing. */
export class CallRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Stored = Component & { __lastModified: string };

const requiredFields: Record<string, string[]> = {
  ConnectedApp: ['fullName', 'label', 'contactEmail'],
  BlacklistedConsumer: ['fullName', 'consumerKey', 'consumerName', 'masterLabel'],
  ExtlClntAppOauthConfigurablePolicies: ['fullName', 'externalClientApplication'],
  ConnectedAppSettings: ['fullName'],
  OauthOidcSettings: ['fullName'],
};

/** The fake org's write side, over its data. A write's `refuseAt` is the index of the item it fails (an injected fault; undefined: none). */
export function fakeWrites(data: FakeOrgData, now: () => Date = () => new Date()) {
  let idCount = 0;
  const newId = (prefix: string): string => `${prefix}9${String(++idCount).padStart(14, '0')}`;
  const table = (name: string): Row[] => (data.tables[name] ??= []);
  const byType = (type: string): Map<string, Stored> => {
    let m = data.metadata.get(type);
    if (!m) data.metadata.set(type, (m = new Map()));
    return m;
  };
  const sfNow = (): string => now().toISOString().replace('Z', '+0000');
  // A saved component's lastModifiedDate (what listMetadata answers) moves on every save, as the
  // org's does: never the one of the save before it, even within one millisecond.
  let lastSave = 0;
  const saveStamp = (): string => new Date((lastSave = Math.max(now().getTime(), lastSave + 1))).toISOString();
  // OauthToken found by DeleteToken and by usage id: a revocation of thousands of tokens must not
  // scan (and hash) a million rows per call.
  const byDeleteToken = rowFinder((row) => String(row.DeleteToken));
  const byUsageId = rowFinder(usageTokenId);
  // A user's tokens of an app (the usage resources' per-user read) and an app's tokens (each page of
  // its users) through the table's index, which removals keep, rather than a scan per call.
  const appTokens = (appId: string): Row[] => rowsWhere(table('OauthToken'), 'AppMenuItem.ApplicationId', appId);
  const userAppTokens = (appId: string, userId: string): Row[] => rowsWhere(table('OauthToken'), 'UserId', userId).filter((t) => (t.AppMenuItem as Row | null)?.ApplicationId === appId);
  /** Removes these tokens from the table (in place, its index kept). */
  const removeTokens = (rows: readonly Row[]): void => {
    const tokens = table('OauthToken');
    for (const row of rows) {
      const at = positionOf(tokens, row);
      if (at >= 0) removeRow(tokens, at);
    }
  };

  function checkComponent(call: string, type: string, fields: Component): ItemError | undefined {
    for (const field of requiredFields[type] ?? ['fullName']) {
      const value = fields[field];
      if (value === undefined || value === null || value === '') return { statusCode: 'REQUIRED_FIELD_MISSING', message: `Required field is missing: ${field}` };
    }
    const config = fields.oauthConfig as Component | undefined;
    if (type === 'ConnectedApp' && config && 'consumerSecret' in config) {
      return { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'consumerSecret: the consumer secret of a connected app cannot be set through the Metadata API' };
    }
    if (type === 'ConnectedAppSettings' && fields.enableAdminApprovedAppsOnly !== undefined && byType(type).get(String(fields.fullName))?.enableAdminApprovedAppsOnly === undefined) {
      return { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'enableAdminApprovedAppsOnly: API Access Control is not enabled in this org (Salesforce Support enables it)' };
    }
    if (call !== 'createMetadata' && type === 'ConnectedApp' && !connectedAppRow(String(fields.label))) {
      return { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: `no connected app labelled ${String(fields.label)}` };
    }
    return undefined;
  }

  function connectedAppRow(label: string): Row | undefined {
    return table('ConnectedApplication').find((r) => r.Name === label);
  }

  /** What a saved component does beyond itself. */
  function afterSave(type: string, component: Component): void {
    if (type === 'ConnectedApp') {
      const row = connectedAppRow(String(component.label));
      if (row) {
        row.OptionsAllowAdminApprovedUsersOnly = String((component.oauthConfig as Component | undefined)?.isAdminApproved) === 'true';
        row.LastModifiedDate = sfNow();
      }
    }
    if (type === 'ExtlClntAppOauthConfigurablePolicies') {
      const row = table('ExternalClientApplication').find((r) => r.DeveloperName === component.externalClientApplication);
      if (row) row.LastModifiedDate = sfNow();
    }
    if (type === 'BlacklistedConsumer' && String(component.blockedByApiWhitelisting) !== 'true') {
      // R1: a block ends the app's sessions. The app is the one with that consumer key, else by name.
      const app = [...byType('ConnectedApp').values()].find((c) => (c.oauthConfig as Component | undefined)?.consumerKey === component.consumerKey);
      const name = app ? String(app.label) : String(component.consumerName);
      removeTokens(rowsWhere(table('OauthToken'), 'AppName', name));
    }
  }

  return {
    /** createMetadata / updateMetadata / upsertMetadata: one result per component, in order. */
    saveMetadata(call: 'createMetadata' | 'updateMetadata' | 'upsertMetadata', components: readonly Component[], refuseAt?: number): MetadataResult[] {
      if (components.length > metadataWriteBatch) throw new CallRefused('sf:INVALID_ARGUMENT', `INVALID_ARGUMENT: at most ${metadataWriteBatch} components per ${call} call`);
      return components.map((component, i) => {
        const type = String((component['@_xsi:type'] as string | undefined) ?? '').replace(/^.*:/, '');
        const { '@_xsi:type': _type, ...fields } = component;
        const fullName = String(fields.fullName ?? '');
        const exists = byType(type).has(fullName);
        const created = call === 'upsertMetadata' ? { created: !exists } : {};
        const error =
          i === refuseAt
            ? { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'the org refused this component (a fault injected into the fake)' }
            : call === 'createMetadata' && exists
              ? { statusCode: 'DUPLICATE_VALUE', message: 'duplicate value found' }
              : call === 'updateMetadata' && !exists
                ? { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'no such component' }
                : checkComponent(call, type, fields);
        if (error) return { fullName, success: false, ...created, errors: [error] };
        // An update replaces the component: what was not sent is gone.
        byType(type).set(fullName, { ...fields, __lastModified: saveStamp() });
        afterSave(type, fields);
        return { fullName, success: true, ...created, errors: [] };
      });
    },

    /** deleteMetadata: one result per name. */
    deleteMetadata(type: string, fullNames: readonly string[], refuseAt?: number): MetadataResult[] {
      if (fullNames.length > metadataWriteBatch) throw new CallRefused('sf:INVALID_ARGUMENT', `INVALID_ARGUMENT: at most ${metadataWriteBatch} components per deleteMetadata call`);
      return fullNames.map((fullName, i) => {
        if (i === refuseAt) return { fullName, success: false, errors: [{ statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'the org refused this component (a fault injected into the fake)' }] };
        const ok = byType(type).delete(fullName);
        return { fullName, success: ok, errors: ok ? [] : [{ statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'no such component' }] };
      });
    },

    /** POST /composite/sobjects: SetupEntityAccess records, each with its own result (allOrNone false). */
    createRecords(body: unknown, refuseAt?: number): RestAnswer {
      const request = body as { allOrNone?: unknown; records?: unknown } | null;
      if (!request || !Array.isArray(request.records)) return { status: 400, body: [{ message: 'records: a list of records is required', errorCode: 'JSON_PARSER_ERROR' }] };
      if (request.records.length > collectionBatch) {
        return { status: 400, body: [{ message: `record limit reached. cannot submit more than ${collectionBatch} records into this call`, errorCode: 'EXCEEDED_ID_LIMIT' }] };
      }
      const results = (request.records as Row[]).map((record, i) => {
        const fail = (statusCode: string, message: string, fields: string[] = []) => ({ success: false, errors: [{ statusCode, message, fields }] });
        const type = (record.attributes as { type?: unknown } | undefined)?.type;
        if (i === refuseAt) return fail('FIELD_INTEGRITY_EXCEPTION', 'the org refused this record (a fault injected into the fake)');
        if (type !== 'SetupEntityAccess') return fail('INVALID_TYPE', `the fake org creates only SetupEntityAccess records, not ${String(type)}`);
        if ('SetupEntityType' in record) return fail('INVALID_FIELD_FOR_INSERT_UPDATE', 'Unable to create/update fields: SetupEntityType. Please check the security settings of this field.', ['SetupEntityType']);
        for (const field of ['ParentId', 'SetupEntityId']) if (typeof record[field] !== 'string' || record[field] === '') return fail('REQUIRED_FIELD_MISSING', `Required fields are missing: [${field}]`, [field]);
        if (!table('PermissionSet').some((s) => s.Id === record.ParentId)) return fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['ParentId']);
        const entityType = table('ConnectedApplication').some((a) => a.Id === record.SetupEntityId)
          ? 'ConnectedApplication'
          : table('ExternalClientApplication').some((a) => a.Id === record.SetupEntityId)
            ? 'ExternalClientApplication'
            : undefined;
        if (!entityType) return fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['SetupEntityId']);
        if (table('SetupEntityAccess').some((r) => r.ParentId === record.ParentId && r.SetupEntityId === record.SetupEntityId)) return fail('DUPLICATE_VALUE', 'duplicate value found: SetupEntityId duplicates value on record');
        const id = newId('0J0');
        table('SetupEntityAccess').push({ attributes: { type: 'SetupEntityAccess', url: `/services/data/v62.0/sobjects/SetupEntityAccess/${id}` }, Id: id, ParentId: record.ParentId, SetupEntityId: record.SetupEntityId, SetupEntityType: entityType });
        return { id, success: true, errors: [] };
      });
      return { status: 200, body: results, outcome: `created ${results.filter((r) => r.success).length} of ${results.length}` };
    },

    /** DELETE /composite/sobjects?ids=…: SetupEntityAccess records, each with its own result (allOrNone false); one already gone is ENTITY_IS_DELETED. */
    deleteRecords(ids: readonly string[], refuseAt?: number): RestAnswer {
      if (ids.length === 0) return { status: 400, body: [{ message: 'ids: at least one id is required', errorCode: 'MALFORMED_ID' }] };
      if (ids.length > collectionBatch) {
        return { status: 400, body: [{ message: `record limit reached. cannot submit more than ${collectionBatch} records into this call`, errorCode: 'EXCEEDED_ID_LIMIT' }] };
      }
      const rows = table('SetupEntityAccess');
      const results = ids.map((id, i) => {
        if (i === refuseAt) return { id, success: false, errors: [{ statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'the org refused this record (a fault injected into the fake)', fields: [] }] };
        const at = rows.findIndex((r) => r.Id === id);
        if (at < 0) return { id, success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }] };
        rows.splice(at, 1);
        return { id, success: true, errors: [] };
      });
      return { status: 200, body: results, outcome: `deleted ${results.filter((r) => r.success).length} of ${results.length}` };
    },

    /** DELETE /sobjects/SetupEntityAccess/{id}. */
    deleteRecord(type: string, id: string): RestAnswer {
      if (type !== 'SetupEntityAccess') return { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] };
      const rows = table('SetupEntityAccess');
      const at = rows.findIndex((r) => r.Id === id);
      if (at < 0) return { status: 404, body: [{ message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED' }], outcome: 'gone' };
      rows.splice(at, 1);
      return { status: 204, outcome: 'deleted' };
    },

    /** POST /services/oauth2/revoke: the token's row goes; a token the org does not have is 400 invalid_token. */
    revoke(form: URLSearchParams): RestAnswer {
      const token = form.get('token');
      const rows = table('OauthToken');
      const at = token ? byDeleteToken(rows, token) : -1;
      if (at < 0) return { status: 400, body: { error: 'invalid_token', error_description: 'invalid token' }, outcome: 'invalid_token' };
      return { status: 200, outcome: `revoked ${tokenKey(removeRow(rows, at))}` };
    },

    /** The usage resources of external client apps (REST, under /services/data/vNN.N). */
    usage(method: string, route: string, base: string, search: URLSearchParams = new URLSearchParams()): RestAnswer | undefined {
      const users = /^\/apps\/oauth\/usage\/([^/]+)\/users$/.exec(route);
      const tokens = /^\/apps\/oauth\/usage\/([^/]+)\/([^/]+)\/tokens$/.exec(route);
      const one = /^\/apps\/oauth\/usage\/tokens\/([^/]+)$/.exec(route);
      const ecaTokens = (appId: string): Row[] => {
        const app = table('ExternalClientApplication').find((a) => a.Id === appId);
        return app ? appTokens(appId) : [];
      };
      const notFound: RestAnswer = { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] };
      if (users && method === 'GET') {
        if (!table('ExternalClientApplication').some((a) => a.Id === users[1])) return notFound;
        const byUser = new Map<string, Row>();
        for (const t of ecaTokens(users[1]!)) byUser.set(String(t.UserId), t);
        // A page at a time ([S12]): `page` from 0, `pageSize` 100 by default; a page past the last is empty.
        const page = Math.max(0, Math.trunc(Number(search.get('page') ?? 0)) || 0);
        const size = Math.max(1, Math.trunc(Number(search.get('pageSize') ?? usageUsersPageSize)) || usageUsersPageSize);
        const listed = [...byUser.values()].slice(page * size, (page + 1) * size);
        return { status: 200, body: { users: listed.map((t) => ({ userIdentifier: t.UserId, username: (t.User as Row).Username })) } };
      }
      if (tokens) {
        const [, appId, userId] = tokens;
        if (!table('ExternalClientApplication').some((a) => a.Id === appId)) return notFound;
        const mine = userAppTokens(appId!, userId!);
        if (method === 'GET') {
          return {
            status: 200,
            body: {
              tokens: mine.map((t) => ({
                appIdentifier: appId,
                userIdentifier: userId,
                username: (t.User as Row).Username,
                initialConnectionAt: t.CreatedDate,
                lastUsedAt: t.LastUsedDate,
                useCount: t.UseCount,
                revocationUrl: `${base}/apps/oauth/usage/tokens/${usageTokenId(t)}`,
              })),
            },
          };
        }
        if (method === 'DELETE') {
          removeTokens(mine);
          return { status: 204, outcome: `revoked ${mine.map(tokenKey).join(', ')}` };
        }
      }
      if (one && method === 'DELETE') {
        const rows = table('OauthToken');
        const at = byUsageId(rows, one[1]!);
        if (at < 0) return { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }], outcome: 'gone' };
        return { status: 204, outcome: `revoked ${tokenKey(removeRow(rows, at))}` };
      }
      return undefined;
    },
  };
}

/** The users a page of the usage resources' users answers when the request names no pageSize. */
const usageUsersPageSize = 100;

/** A token's identity in the call log: its app, user and creation (never its DeleteToken). */
export function tokenKey(row: Row): string {
  return `${String(row.AppName)}/${String((row.User as Row | undefined)?.Username ?? row.UserId)}/${String(row.CreatedDate)}`;
}

const usageIds = new WeakMap<Row, { deleteToken: unknown; id: string }>();

/** The id the usage resources give a token: made up from the row, never its DeleteToken itself (worked out once per row and DeleteToken). */
function usageTokenId(row: Row): string {
  const known = usageIds.get(row);
  if (known && known.deleteToken === row.DeleteToken) return known.id;
  const id = `0CQ${createHash('sha256').update(`usage:${String(row.DeleteToken)}`).digest('hex').slice(0, 15)}`;
  usageIds.set(row, { deleteToken: row.DeleteToken, id });
  return id;
}

/**
 * Finds a row of a table by a key: its index in the table, or -1. The rows are kept by key and
 * each found one checked (its key unchanged, still in the table); when that fails they are keyed
 * again from the table, so tests may edit, add and remove rows between calls.
 */
function rowFinder(keyOf: (row: Row) => string): (rows: Row[], key: string) => number {
  let keyed = new Map<string, Row>();
  const find = (rows: Row[], key: string): number => {
    const row = keyed.get(key);
    return row !== undefined && keyOf(row) === key ? positionOf(rows, row) : -1;
  };
  return (rows, key) => {
    const at = find(rows, key);
    if (at >= 0) return at;
    keyed = new Map(rows.map((row) => [keyOf(row), row]));
    return find(rows, key);
  };
}

