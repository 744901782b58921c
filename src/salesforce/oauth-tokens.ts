// Every OauthToken of an org, past the object's cap of 2,500 rows per query (salesforce-api.md
// §1, way (a)): count them; at or under the cap, one query; above it, chunks of users (`WHERE
// UserId IN (…)`, at most 256, sized from the count to hold about 2,000 tokens each), each read
// at once; a chunk that reaches the cap is counted, and halved while over it. A chunk of one user
// still over the cap is read as far as the cap lets, and what could not be read is reported: a
// shortfall is never dropped silently.
//
// A refresh need not read them all again when none moved since the last read
// (readTokensSinceLastRead): the tokens issued at or after the newest creation the last read saw,
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

/** The last read, for readTokensSinceLastRead: the store's apps and the cache the last read left. */
export interface TokensBefore {
  apps: readonly ObservedApp[];
  cache: SessionsCache;
  /** The live org's installed apps (ConnectedApplication and ECA rows), id → name. */
  installed: ReadonlyMap<string, string>;
}

/** Reads every token of the org; `userIds`: every user's Id (from the User query). */
export async function readOauthTokens(
  client: SfClient,
  userIds: readonly string[],
  options: { userChunk?: number; before?: TokensBefore; userIdByName?: ReadonlyMap<string, string> } = {},
): Promise<TokenRead & { reused: number; storedSessions?: Map<SfRecord, Session> }> {
  const counted = await client.count('SELECT COUNT() FROM OauthToken');
  // Worth it only when reading them all takes more calls than its two queries.
  if (options.before && options.userIdByName && counted > 2 * oauthTokenPage) {
    const since = await readTokensSinceLastRead(client, counted, options.before, options.userIdByName);
    if (since) return { tokens: since.tokens, counted, missing: 0, warnings: [], reused: since.reused, storedSessions: since.storedSessions };
  }
  return { ...(await readAll(client, counted, userIds, options)), reused: 0 };
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

/**
 * The org's tokens from the last read and what moved since, or undefined when that cannot be
 * proved (the caller then reads them all). `counted`: the org's COUNT() of tokens now.
 *   created = the newest CreatedDate among the stored sessions, to the second; used = the newest
 *   last use. Read the tokens with CreatedDate ≥ created (new ones, and those issued in that
 *   second) and those with LastUsedDate ≥ used (every token used since). A token issued before
 *   `created` existed at the last read, so the org's older tokens are a subset of the stored
 *   older sessions; equal counts make them the same tokens. Of those, the ones used since come
 *   back in the second query and replace their stored counters (matched by app, user and
 *   creation; a match that is not one to one gives up); the others have not moved.
 */
export async function readTokensSinceLastRead(
  client: SfClient,
  counted: number,
  before: TokensBefore,
  userIdByName: ReadonlyMap<string, string>,
): Promise<{ tokens: SfRecord[]; reused: number; storedSessions: Map<SfRecord, Session> } | undefined> {
  const { apps, cache, installed } = before;
  if (sessionsDigest(apps) !== cache.digest || usersDigest(apps, userIdByName) !== cache.users) return undefined;
  const installedNames = new Set(installed.values());
  // A million sessions: one pass for the newest creation and use, each session's creation kept as a number.
  let storedCount = 0;
  for (const app of apps) storedCount += app.sessions.length;
  const createdAt = new Float64Array(storedCount);
  let newestCreated = -Infinity;
  let newestUse = -Infinity;
  let at = 0;
  for (const app of apps) {
    if (app.sessions.length === 0) continue;
    // Its tokens name the app as they did: the same installed app (id and name), or still none installed by its name.
    if (app.installed ? installed.get(app.id) !== app.name : installedNames.has(app.name)) return undefined;
    for (const session of app.sessions) {
      const created = Date.parse(session.created);
      createdAt[at++] = created;
      if (created > newestCreated) newestCreated = created;
      const use = Date.parse(session.lastUsed);
      if (use > newestUse) newestUse = use;
    }
  }
  if (storedCount === 0) return counted === 0 ? { tokens: [], reused: 0, storedSessions: new Map() } : undefined;
  const toSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;
  const createdFrom = toSecond(newestCreated);
  const usedFrom = toSecond(newestUse);
  const [recent, used] = await Promise.all([underCap(client, tokensSinceSoql('CreatedDate', createdFrom)), underCap(client, tokensSinceSoql('LastUsedDate', usedFrom))]);
  if (!recent || !used) return undefined;
  // The older tokens used since, by app, user and creation (few: they came back in one query under the cap).
  const keyOf = (app: string, userId: string, created: number): string => `${app}|${userId}|${created}`;
  const moved = new Map<string, SfRecord[]>();
  const movedCreations = new Set<number>();
  for (const token of used) {
    const created = instantMs(token.CreatedDate);
    if (created === undefined) return undefined;
    if (created >= createdFrom) continue; // read with the recent ones
    const item = token.AppMenuItem as SfRecord | null | undefined;
    const key = keyOf(isUninstalledToken(token) ? `name:${String(token.AppName)}` : `id:${String(item!.ApplicationId)}`, String(token.UserId), created);
    const list = moved.get(key);
    if (list) list.push(token);
    else moved.set(key, [token]);
    movedCreations.add(created);
  }
  // One pass over the stored sessions issued before createdFrom: the org's older tokens, which
  // equal counts prove are exactly these. A group (same app, user and creation: adjacent, as the
  // store orders sessions) that was used since is replaced by its tokens as read now, whole.
  const tokens: SfRecord[] = [...recent];
  // Each token taken from the store, with the session it came from: already as the mapping makes it.
  const storedSessions = new Map<SfRecord, Session>();
  const matched = new Map<string, number>();
  let older = 0;
  let reused = 0;
  at = 0;
  for (const app of apps) {
    if (app.sessions.length === 0) continue;
    const appKey = app.installed ? `id:${app.id}` : `name:${app.name}`;
    // One AppMenuItem per app, shared by its tokens (never changed in place).
    const menuItem = app.installed ? { ApplicationId: app.id } : null;
    for (const session of app.sessions) {
      const created = createdAt[at++]!;
      if (created >= createdFrom) continue;
      older++;
      const userId = userIdByName.get(session.user)!;
      if (movedCreations.has(created)) {
        const key = keyOf(appKey, userId, created);
        const now = moved.get(key);
        if (now) {
          const seen = matched.get(key) ?? 0;
          if (seen === 0) tokens.push(...now);
          matched.set(key, seen + 1);
          continue;
        }
      }
      const token: SfRecord = { AppName: app.name, AppMenuItem: menuItem, UserId: userId, CreatedDate: session.created, LastUsedDate: session.lastUsed, UseCount: session.useCount };
      tokens.push(token);
      storedSessions.set(token, session);
      reused++;
    }
  }
  if (counted - recent.length !== older) return undefined;
  // Every token used since matches stored sessions one to one.
  for (const [key, now] of moved) if (matched.get(key) !== now.length) return undefined;
  return { tokens, reused, storedSessions };
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
