// Every OauthToken of an org, past the object's cap of 2,500 rows per query (salesforce-api.md
// §1, way (a)): count them; at or under the cap, one query; above it, chunks of users (`WHERE
// UserId IN (…)`, at most 256, sized from the count to hold about 2,000 tokens each), each read
// at once; a chunk that reaches the cap is counted, and halved while over it. A chunk of one user
// still over the cap is read as far as the cap lets, and what could not be read is reported: a
// shortfall is never dropped silently.
//
// A refresh need not read them all again when none moved since the last read
// (askTokensSinceLastRead, then finishTokensSinceLastRead): the tokens issued at or after the newest creation the last read saw,
// and those used at or after its newest use, are read (two queries); every other token of the org
// is then provably one the last read saw, with the same counters, and is taken from the store.
// Anything that cannot be proved so (a store edited since, a user renamed, an app installed or
// uninstalled, a token revoked, too many moved) falls back to reading them all.
import { createHash } from 'node:crypto';
import type { ObservedApp, Session } from '../model/index.js';
import type { SfClient, SfRecord } from './client.js';
import { isUninstalledToken, oauthTokenCap, oauthTokenFields, tokensSinceSoql } from './unconfirmed.js';
import { byCodePoint } from '../plan/names.js';

/** The tokens read, and what could not be read. */
export interface TokenRead {
  tokens: SfRecord[];
  /** Tokens the org counted: `tokens.length + missing`, when nothing else went wrong. */
  counted: number;
  /** Tokens counted but not read (0 when all were). */
  missing: number;
  warnings: string[];
}

/** OauthToken rows per call (page) of a query (salesforce-api.md §1, C). */
export const oauthTokenPage = 500;

/** Tokens a chunk of users is sized to hold on average: under the cap, with room for users holding more than most. */
export const chunkTarget = 2000;

/** The most users per chunk before halving (the length of a `WHERE UserId IN (…)` list, which a GET's URL carries). */
export const defaultUserChunk = 256;

/** What the last read kept of the sessions it saw: enough to tell the store still holds exactly them (no token, no secret). */
export interface SessionsCache {
  /** sessionsDigest of the apps it read. */
  digest: string;
  /** usersDigest of those apps with the users it read. */
  users: string;
}

/** The last read, to take unmoved tokens from it: the store's apps and the cache the last read left. */
export interface TokensBefore {
  apps: readonly ObservedApp[];
  cache: SessionsCache;
  /** The live org's installed apps (ConnectedApplication and ECA rows), id → name. */
  installed: ReadonlyMap<string, string>;
}

/** An app's sessions the last read saw, proved unmoved since (finishTokensSinceLastRead): kept as the store holds them, not read again. */
export interface KeptSessions {
  /** The installed app's id (its tokens name it by AppMenuItem.ApplicationId); undefined for an uninstalled app (its tokens name it by AppName only). */
  appId: string | undefined;
  appName: string;
  /** In the store's order; the store's own array when every session of the app is kept. */
  sessions: readonly Session[];
}

/** How readOauthTokens goes. */
export interface TokenReadOptions {
  /** Users per chunk (default 256). */
  userChunk?: number;
  /** Every user's Id by Username (from the User query): needed to take unmoved tokens from the store. */
  userIdByName?: ReadonlyMap<string, string>;
  /** The org's COUNT() of tokens, when already asked. */
  counted?: number;
  /** The queries of tokens since the last read, sent (askTokensSinceLastRead, on `counted`): unmoved tokens are then taken from the store. */
  since?: TokensSince;
}

/** Reads every token of the org; `userIds`: every user's Id (from the User query). */
export async function readOauthTokens(client: SfClient, userIds: readonly string[], options: TokenReadOptions = {}): Promise<TokenRead & { reused: number; kept?: KeptSessions[] }> {
  const counted = options.counted ?? (await client.count(countAllSoql));
  if (options.userIdByName && worthReadingSince(counted)) {
    const since = options.since && (await finishTokensSinceLastRead(options.since, counted, options.userIdByName));
    if (since) return { tokens: since.tokens, counted, missing: 0, warnings: [], reused: since.reused, kept: since.kept };
  }
  return { ...(await readAll(client, counted, userIds, options)), reused: 0 };
}

/** The query of how many tokens the org holds. */
export const countAllSoql = 'SELECT COUNT() FROM OauthToken';

/** Whether taking unmoved tokens from the store is worth its two queries: when reading them all takes more calls. */
export function worthReadingSince(counted: number): boolean {
  return counted > 2 * oauthTokenPage;
}

async function readAll(client: SfClient, counted: number, userIds: readonly string[], options: { userChunk?: number }): Promise<TokenRead> {
  const warnings: string[] = [];
  if (counted <= oauthTokenCap) {
    const tokens = await client.query(`SELECT ${oauthTokenFields} FROM OauthToken`);
    return finish(tokens, counted, warnings);
  }
  // Chunks sized from the count to hold about chunkTarget tokens each, so that few reach the cap.
  const size = Math.max(1, Math.min(options.userChunk ?? defaultUserChunk, Math.floor((chunkTarget * userIds.length) / counted)));
  const chunks: string[][] = [];
  for (let i = 0; i < userIds.length; i += size) chunks.push(userIds.slice(i, i + size));
  const parts = await Promise.all(chunks.map((chunk) => readChunk(client, chunk, warnings)));
  const tokens = parts.flat();
  const chunked = parts.reduce((sum, part) => sum + part.counted, 0);
  if (chunked < counted) {
    warnings.push(`OauthToken: ${counted - chunked} of ${counted} tokens belong to no user the User query returned, and were not read`);
  }
  return finish(tokens, counted, warnings);
}

async function readChunk(client: SfClient, users: string[], warnings: string[]): Promise<SfRecord[] & { counted: number }> {
  const where = `WHERE UserId IN (${users.map((id) => `'${id.replace(/'/g, "\\'")}'`).join(', ')})`;
  const rows = await client.query(`SELECT ${oauthTokenFields} FROM OauthToken ${where}`);
  // Fewer rows than the cap: nothing was cut off. At the cap, the chunk may hold more.
  if (rows.length < oauthTokenCap) return Object.assign(rows, { counted: rows.length });
  const counted = await client.count(`SELECT COUNT() FROM OauthToken ${where}`);
  if (counted > rows.length && users.length > 1) {
    const half = Math.ceil(users.length / 2);
    const [a, b] = await Promise.all([readChunk(client, users.slice(0, half), warnings), readChunk(client, users.slice(half), warnings)]);
    return Object.assign([...a, ...b], { counted: a.counted + b.counted });
  }
  if (rows.length < counted) {
    warnings.push(`OauthToken: user ${users.join(', ')} holds ${counted} tokens, more than the ${oauthTokenCap} one query returns; ${counted - rows.length} were not read`);
  }
  return Object.assign(rows, { counted: Math.max(counted, rows.length) });
}

function finish(tokens: SfRecord[], counted: number, warnings: string[]): TokenRead {
  const missing = Math.max(0, counted - tokens.length);
  if (missing > 0 && warnings.length === 0) warnings.push(`OauthToken: read ${tokens.length} of the ${counted} tokens the org counted; ${missing} were not read`);
  return { tokens, counted, missing, warnings };
}

/*
 * Taking unmoved tokens from the store, in two halves (askTokensSinceLastRead, then
 * finishTokensSinceLastRead): the org's tokens from the last read and what moved since, or
 * undefined when that cannot be proved (the caller then reads them all). `counted`: the org's
 * COUNT() of tokens now.
 *   created = the newest CreatedDate among the stored sessions, to the second; used = the newest
 *   last use. Read the tokens with CreatedDate ≥ created (new ones, and those issued in that
 *   second) and those with LastUsedDate ≥ used (every token used since). A token issued before
 *   `created` existed at the last read, so the org's older tokens are a subset of the stored
 *   older sessions; equal counts make them the same tokens. Of those, the ones used since come
 *   back in the second query and replace their stored counters (matched by app, user and
 *   creation; a match that is not one to one gives up); the others have not moved, and are kept
 *   as the store holds them (KeptSessions: no token record is made for them).
 * The stored dates are compared as text: the digest proves the store holds what the last read
 * wrote, every date in the one form map-snapshot's instant() writes (UTC, `Z`, fixed width), in
 * which text order to the second is time order.
 */

/** The two queries of tokens since the last read, sent, with what the second half needs. */
export interface TokensSince {
  before: TokensBefore;
  /** The newest stored creation to the second, as text (`2026-06-03T04:57:19`), and as ms. */
  createdSecond: string;
  createdFrom: number;
  /** The tokens issued since createdFrom and those used since the newest stored use; undefined: the answer reached the cap. */
  queries: Promise<[SfRecord[] | undefined, SfRecord[] | undefined]>;
}

/**
 * The first half of taking unmoved tokens from the store, which needs only the store and the org's installed
 * apps (not its users): finds the newest stored creation and use, and sends the two queries.
 * Undefined when the stored sessions cannot be the last read's (a date not in the form it writes,
 * an app's tokens naming it otherwise now) or there are none.
 */
export function askTokensSinceLastRead(client: SfClient, before: TokensBefore): TokensSince | undefined {
  const { apps, installed } = before;
  const installedNames = new Set(installed.values());
  // A million sessions: one pass for the newest creation and use, compared as text.
  let newestCreated = '';
  let newestUse = '';
  for (const app of apps) {
    if (app.sessions.length === 0) continue;
    // Its tokens name the app as they did: the same installed app (id and name), or still none installed by its name.
    if (app.installed ? installed.get(app.id) !== app.name : installedNames.has(app.name)) return undefined;
    for (const session of app.sessions) {
      const { created, lastUsed } = session;
      if (!storeForm(created) || !storeForm(lastUsed)) return undefined;
      if (created > newestCreated) newestCreated = created;
      if (lastUsed > newestUse) newestUse = lastUsed;
    }
  }
  if (newestCreated === '') return undefined;
  // To the second: a stored date at or after `createdSecond` as text is one issued at or after createdFrom.
  const createdSecond = newestCreated.slice(0, 19);
  const createdFrom = Date.parse(`${createdSecond}Z`);
  const usedFrom = Date.parse(`${newestUse.slice(0, 19)}Z`);
  const queries = Promise.all([underCap(client, tokensSinceSoql('CreatedDate', createdFrom)), underCap(client, tokensSinceSoql('LastUsedDate', usedFrom))]);
  queries.catch(() => undefined);
  return { before, createdSecond, createdFrom, queries };
}

/** The second half, once the org's users are read: the proof, and the tokens. */
export async function finishTokensSinceLastRead(
  asked: TokensSince,
  counted: number,
  userIdByName: ReadonlyMap<string, string>,
): Promise<{ tokens: SfRecord[]; reused: number; kept: KeptSessions[] } | undefined> {
  const { before, createdSecond, createdFrom } = asked;
  const { apps, cache } = before;
  // The store holds what the last read wrote, worked out while the two queries are answered (once
  // they are sent: the client sends a request a few promise steps after it is asked).
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (sessionsDigest(apps) !== cache.digest || usersDigest(apps, userIdByName) !== cache.users) {
    await asked.queries;
    return undefined;
  }
  const [recent, used] = await asked.queries;
  if (!recent || !used) return undefined;
  // The older tokens used since, by app, user and creation (few: they came back in one query under the cap).
  const keyOf = (app: string, userId: string, created: string): string => `${app}|${userId}|${created}`;
  const moved = new Map<string, SfRecord[]>();
  const movedCreations = new Set<string>();
  for (const token of used) {
    const created = instantMs(token.CreatedDate);
    if (created === undefined) return undefined;
    if (created >= createdFrom) continue; // read with the recent ones
    const item = token.AppMenuItem as SfRecord | null | undefined;
    const createdText = storeInstant(created);
    const key = keyOf(isUninstalledToken(token) ? `name:${String(token.AppName)}` : `id:${String(item!.ApplicationId)}`, String(token.UserId), createdText);
    const list = moved.get(key);
    if (list) list.push(token);
    else moved.set(key, [token]);
    movedCreations.add(createdText);
  }
  // One pass over the stored sessions issued before createdFrom: the org's older tokens, which
  // equal counts prove are exactly these. A group (same app, user and creation: adjacent, as the
  // store orders sessions) that was used since is replaced by its tokens as read now, whole.
  const tokens: SfRecord[] = [...recent];
  const kept: KeptSessions[] = [];
  const matched = new Map<string, number>();
  let older = 0;
  let reused = 0;
  for (const app of apps) {
    const { sessions } = app;
    if (sessions.length === 0) continue;
    const appKey = app.installed ? `id:${app.id}` : `name:${app.name}`;
    // A copy only once a session of the app is left out (the store's own array while none is).
    let keptHere: Session[] | undefined;
    for (let i = 0; i < sessions.length; i++) {
      const session = sessions[i]!;
      let keep = session.created < createdSecond;
      if (keep) {
        older++;
        if (movedCreations.has(session.created)) {
          const key = keyOf(appKey, userIdByName.get(session.user)!, session.created);
          const now = moved.get(key);
          if (now) {
            const seen = matched.get(key) ?? 0;
            if (seen === 0) tokens.push(...now);
            matched.set(key, seen + 1);
            keep = false;
          }
        }
      }
      if (!keep) keptHere ??= sessions.slice(0, i);
      else if (keptHere) keptHere.push(session);
    }
    const list = keptHere ?? sessions;
    reused += list.length;
    if (list.length > 0) kept.push({ appId: app.installed ? app.id : undefined, appName: app.name, sessions: list });
  }
  if (counted - recent.length !== older) return undefined;
  // Every token used since matches stored sessions one to one.
  for (const [key, now] of moved) if (matched.get(key) !== now.length) return undefined;
  return { tokens, reused, kept };
}

/** A date in the one form the store's sessions hold (map-snapshot's instant()): `2026-06-03T04:57:19Z` or `…19.250Z`, a four-digit year. */
function storeForm(text: string): boolean {
  return (text.length === 20 || text.length === 24) && text.charCodeAt(text.length - 1) === 90 /* Z */ && text.charCodeAt(4) === 45 /* - */;
}

/** An instant in ms as map-snapshot's instant() writes it: UTC, `Z`, milliseconds only when there are some. */
function storeInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** One query's rows, or undefined when it reached the cap (so rows may be missing). */
async function underCap(client: SfClient, soql: string): Promise<SfRecord[] | undefined> {
  const rows = await client.query(soql);
  return rows.length >= oauthTokenCap ? undefined : rows;
}

function instantMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** A digest of every app's sessions, as the store holds them (what the last read must have written). */
export function sessionsDigest(apps: readonly ObservedApp[]): string {
  const hash = createHash('sha256');
  for (const app of [...apps].sort((a, b) => byCodePoint(a.id, b.id))) {
    if (app.sessions.length === 0) continue;
    // One update per app (the same bytes as one per session, without a million calls into crypto).
    let text = `app\t${app.id}\t${app.name}\t${app.installed}\n`;
    for (const s of app.sessions) text += `${s.user}\t${s.created}\t${s.lastUsed}\t${s.useCount}\t${s.flow}\n`;
    hash.update(text);
  }
  return hash.digest('hex');
}

/** A digest of the Id of each user holding a session; undefined when one of them is no user now. */
export function usersDigest(apps: readonly ObservedApp[], userIdByName: ReadonlyMap<string, string>): string | undefined {
  const holders = new Set<string>();
  for (const app of apps) for (const s of app.sessions) holders.add(s.user);
  const names = [...holders].sort();
  let text = '';
  for (const name of names) {
    const id = userIdByName.get(name);
    if (id === undefined) return undefined;
    text += `${name}\t${id}\n`;
  }
  return createHash('sha256').update(text).digest('hex');
}
