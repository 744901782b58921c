// How many API calls carrying out actions on a live org takes (salesforce-api.md §2, §6), for the
// apply's check against the org's remaining daily allowance (SPEC §13): exactly the calls the
// executors (live-executors.ts) make when nothing fails, their read-backs included. Pure. Each run
// of actions that apply hands the store is cut into batches (batchesOf, which the store uses too):
// consecutive set-policies, block or unblock actions writing the same metadata type share one call
// of at most 10 components; every other action is a batch of its own.
//   set-org-settings   per settings type it changes (ConnectedAppSettings, OauthOidcSettings) one
//                      readMetadata and one upsertMetadata; read back: one readMetadata of each type
//   set-policies       per batch one readMetadata and one updateMetadata; read back: one readMetadata,
//                      and for connected apps one ConnectedApplication query
//   set-assignments    one SetupEntityAccess query; creates and deletes by sObject Collections, 200
//                      per call each; read back: one query
//   block              per batch one upsertMetadata; read back: one readMetadata of the blocks, and
//                      per app one COUNT() of its tokens (a block ends them)
//   unblock            per batch one deleteMetadata (one block per app); read back: one readMetadata
//   revoke             connected app: the app's OauthToken query (500 rows per page; again while it
//                      answers the 2,500-row cap and some matched), one revoke per token; external
//                      client app: its users, 100 a page (the next page until one is short), each
//                      named user's tokens, one DELETE per token; read back: one COUNT() and the
//                      tokens left, 500 per page; past the 2,500-row cap, one query per chunk of
//                      the app's token holders (tokenChunks), 500 rows per page
//   install, uninstall manual steps (no API): none
// Without the org's data (`apps`), an app is taken as a connected app holding exactly the sessions
// its action ends.
import type { Action, ActionKind, NameChanges, ObservedApp } from '../model/index.js';

/** The estimate: calls in all, and by action kind. */
export interface CallEstimate {
  calls: number;
  byKind: Partial<Record<ActionKind, number>>;
}

/** The metadata call a batched action's write goes in, and how many items it sends. */
export interface BatchCall {
  key: string;
  items: number;
}

/** The most components one metadata CRUD call (and one readMetadata) takes. */
export const metadataBatch = 10;
const collectionBatch = 200;
const tokenPage = 500;
/** OauthToken answers at most this many rows to one query (unconfirmed.ts oauthTokenCap). */
const tokenCap = 2500;
/** An external client app's users resource answers this many users a page (unconfirmed.ts usageUsersPage). */
const usageUsersPage = 100;
const extlClntAppPolicyType = 'ExtlClntAppOauthConfigurablePolicies';

/** The call of an action whose kind is batched by metadata call; undefined for the other kinds. */
export function metadataBatchKey(action: Action, appType: ObservedApp['type'] | undefined): BatchCall | undefined {
  switch (action.kind) {
    case 'set-policies':
      return { key: `updateMetadata ${appType === 'ExternalClientApp' ? extlClntAppPolicyType : 'ConnectedApp'}`, items: 1 };
    case 'block':
      return { key: 'upsertMetadata BlacklistedConsumer', items: 1 };
    case 'unblock':
      return { key: 'deleteMetadata BlacklistedConsumer', items: 1 };
    default:
      return undefined;
  }
}

/**
 * Consecutive items with the same call, at most 10 items and 10 actions to a batch; an item with
 * no call is a batch of its own.
 */
export function batchesOf<T>(items: readonly T[], callOf: (item: T) => BatchCall | undefined): T[][] {
  const batches: T[][] = [];
  let open: { key: string; items: number; batch: T[] } | undefined;
  for (const item of items) {
    const call = callOf(item);
    if (call && open && open.key === call.key && open.items + call.items <= metadataBatch && open.batch.length < metadataBatch) {
      open.batch.push(item);
      open.items += call.items;
      continue;
    }
    const batch = [item];
    batches.push(batch);
    open = call ? { key: call.key, items: call.items, batch } : undefined;
  }
  return batches;
}

/** The calls of `runs` (each the actions apply hands the store at once, in order), given the org's apps as last read. */
export function estimateApplyCalls(runs: readonly (readonly Action[])[], apps: readonly ObservedApp[] = []): CallEstimate {
  const byId = new Map(apps.map((a) => [a.id, a]));
  const appOf = (action: Action): ObservedApp | undefined => (action.app ? byId.get(action.app.id) : undefined);
  const byKind: Partial<Record<ActionKind, number>> = {};
  let calls = 0;
  for (const run of runs) {
    for (const batch of batchesOf(run, (a) => metadataBatchKey(a, appOf(a)?.type))) {
      const kind = batch[0]!.kind;
      const n = batchCalls(batch, appOf(batch[0]!));
      byKind[kind] = (byKind[kind] ?? 0) + n;
      calls += n;
    }
  }
  return { calls, byKind };
}

function batches(n: number, size: number): number {
  return Math.ceil(n / size);
}

/** The calls of one batch (all its actions of one kind). */
function batchCalls(batch: readonly Action[], app: ObservedApp | undefined): number {
  const action = batch[0]!;
  if (action.manual) return 0;
  switch (action.kind) {
    case 'set-org-settings': {
      const types = (action.after?.adminApprovedAppsOnly !== undefined ? 1 : 0) + (action.after?.oauthFlows !== undefined ? 1 : 0);
      return 2 * types + 2;
    }
    case 'set-policies':
      return app?.type === 'ExternalClientApp' ? 3 : 4;
    case 'set-assignments': {
      const changes = namesChanged(action);
      const added = changes.reduce((n, c) => n + c.added.length, 0);
      const removed = changes.reduce((n, c) => n + c.removed.length, 0);
      return 1 + batches(added, collectionBatch) + batches(removed, collectionBatch) + 1;
    }
    case 'block':
      return 2 + batch.length;
    case 'unblock':
      return 2;
    case 'revoke':
      return revokeCalls(action, app);
    case 'install':
    case 'uninstall':
      return 0;
  }
}

/** The most users one revocation query names (`UserId IN (…)`). */
const revokeUsersPerQuery = 200;

/** The users a connected-app revocation that names them queries at a time: sorted, 200 a chunk. The one chunking of the executor and the estimate. */
export function revokeChunks(users: readonly string[]): string[][] {
  const sorted = [...new Set(users)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const chunks: string[][] = [];
  for (let i = 0; i < sorted.length; i += revokeUsersPerQuery) chunks.push(sorted.slice(i, i + revokeUsersPerQuery));
  return chunks;
}

function revokeCalls(action: Action, app: ObservedApp | undefined): number {
  const ended = action.effects.sessionsEnded;
  const held = app ? app.sessions.length : ended;
  const left = Math.max(0, held - ended);
  // The read-back: COUNT(), then the tokens left (none: no query); past the cap, per chunk of the
  // app's holders one query of the tokens they have left.
  const readBack = 1 + (left === 0 ? 0 : left <= tokenCap || !app ? Math.max(1, batches(left, tokenPage)) : chunkedReadCalls(action, app));
  if (app?.type === 'ExternalClientApp') {
    const named = action.revocation && action.revocation.users !== 'all' ? new Set(action.revocation.users) : undefined;
    const users = [...new Set(app.sessions.map((s) => s.user))];
    // Every page of its users (the last one short: one more when they fill their pages), then the tokens of each user named.
    const pages = Math.floor(users.length / usageUsersPage) + 1;
    const read = users.filter((u) => named === undefined || named.has(u)).length;
    return pages + read + ended + readBack;
  }
  // Per chunk of the users named (all: one), query what the revocation ends and revoke every row;
  // while a query answers the cap, again.
  let calls = readBack;
  for (let endedNow of endedPerChunk(action, app, ended)) {
    for (;;) {
      const rows = Math.min(endedNow, tokenCap);
      calls += Math.max(1, batches(rows, tokenPage)) + rows;
      endedNow -= rows;
      if (rows < tokenCap) break;
    }
  }
  return calls;
}

/** The sessions a connected-app revocation ends, per query chunk of its named users (all users: one chunk of them all). */
function endedPerChunk(action: Action, app: ObservedApp | undefined, ended: number): number[] {
  const revocation = action.revocation;
  if (!revocation || revocation.users === 'all') return [ended];
  const chunks = revokeChunks(revocation.users);
  // Without the org's data, the sessions ended are taken as the first chunk's.
  if (!app) return chunks.map((_, i) => (i === 0 ? ended : 0));
  const cutoff = Date.parse(revocation.issuedBefore);
  const ending = new Map<string, number>();
  for (const s of app.sessions) if (Date.parse(s.created) < cutoff) ending.set(s.user, (ending.get(s.user) ?? 0) + 1);
  return chunks.map((chunk) => chunk.reduce((sum, user) => sum + (ending.get(user) ?? 0), 0));
}

/** The most tokens (held before the action) one chunk of an app's read-back past the cap covers, and the most users. */
const chunkTokens = 2000;
const chunkUsers = 256;

/**
 * The chunks an app's tokens are read back in when more than the cap are left: its token holders
 * in username order, each chunk at most 2,000 of the tokens they held before the action (a holder
 * of more: a chunk alone) and 256 users. The one chunking of the executor and the estimate.
 */
export function tokenChunks<T extends { user: string; held: number }>(holders: readonly T[]): T[][] {
  const sorted = [...holders].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  const chunks: T[][] = [];
  let open: T[] = [];
  let tokens = 0;
  for (const holder of sorted) {
    if (open.length > 0 && (tokens + holder.held > chunkTokens || open.length >= chunkUsers)) {
      chunks.push(open);
      open = [];
      tokens = 0;
    }
    open.push(holder);
    tokens += holder.held;
  }
  if (open.length > 0) chunks.push(open);
  return chunks;
}

/** The read-back's queries past the cap: per chunk of holders, the pages of the tokens the revocation leaves them. */
function chunkedReadCalls(action: Action, app: ObservedApp): number {
  const revocation = action.revocation;
  const named = revocation && revocation.users !== 'all' ? new Set(revocation.users) : undefined;
  const cutoff = revocation ? Date.parse(revocation.issuedBefore) : Number.POSITIVE_INFINITY;
  const holders = new Map<string, { user: string; held: number; left: number }>();
  for (const session of app.sessions) {
    const holder = holders.get(session.user) ?? { user: session.user, held: 0, left: 0 };
    holders.set(session.user, holder);
    holder.held++;
    if (!((named === undefined || named.has(session.user)) && Date.parse(session.created) < cutoff)) holder.left++;
  }
  return tokenChunks([...holders.values()]).reduce((calls, chunk) => calls + Math.max(1, batches(chunk.reduce((n, h) => n + h.left, 0), tokenPage)), 0);
}

/** The names a set-assignments action adds and removes (its reason holds them). */
function namesChanged(action: Action): NameChanges[] {
  const reason = action.reason;
  if (typeof reason === 'object' && reason.code === 'assignments-differ') return reason.params.changes;
  return [];
}
