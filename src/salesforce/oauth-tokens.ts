// Every OauthToken of an org, past the object's cap of 2,500 rows per query (salesforce-api.md
// §1, way (a)): count them; at or under the cap, one query; above it, chunks of users (256 per
// `WHERE UserId IN (…)`), each counted first and halved while still over the cap. A chunk of one
// user still over the cap is read as far as the cap lets, and what could not be read is reported:
// a shortfall is never dropped silently.
import type { SfClient, SfRecord } from './client.js';
import { oauthTokenCap, oauthTokenFields } from './unconfirmed.js';

/** The tokens read, and what could not be read. */
export interface TokenRead {
  tokens: SfRecord[];
  /** Tokens the org counted: `tokens.length + missing`, when nothing else went wrong. */
  counted: number;
  /** Tokens counted but not read (0 when all were). */
  missing: number;
  warnings: string[];
}

/** Users per chunk before halving (the length of a `WHERE UserId IN (…)` list). */
export const defaultUserChunk = 256;

/** Reads every token of the org; `userIds`: every user's Id (from the User query). */
export async function readOauthTokens(client: SfClient, userIds: readonly string[], options: { userChunk?: number } = {}): Promise<TokenRead> {
  const counted = await client.count('SELECT COUNT() FROM OauthToken');
  const warnings: string[] = [];
  if (counted <= oauthTokenCap) {
    const tokens = await client.query(`SELECT ${oauthTokenFields} FROM OauthToken`);
    return finish(tokens, counted, warnings);
  }
  const size = Math.max(1, options.userChunk ?? defaultUserChunk);
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
  const counted = await client.count(`SELECT COUNT() FROM OauthToken ${where}`);
  if (counted > oauthTokenCap && users.length > 1) {
    const half = Math.ceil(users.length / 2);
    const [a, b] = await Promise.all([readChunk(client, users.slice(0, half), warnings), readChunk(client, users.slice(half), warnings)]);
    return Object.assign([...a, ...b], { counted: a.counted + b.counted });
  }
  if (counted === 0) return Object.assign([], { counted });
  const rows = await client.query(`SELECT ${oauthTokenFields} FROM OauthToken ${where}`);
  if (rows.length < counted) {
    warnings.push(`OauthToken: user ${users.join(', ')} holds ${counted} tokens, more than the ${oauthTokenCap} one query returns; ${counted - rows.length} were not read`);
  }
  return Object.assign(rows, { counted });
}

function finish(tokens: SfRecord[], counted: number, warnings: string[]): TokenRead {
  const missing = Math.max(0, counted - tokens.length);
  if (missing > 0 && warnings.length === 0) warnings.push(`OauthToken: read ${tokens.length} of the ${counted} tokens the org counted; ${missing} were not read`);
  return { tokens, counted, missing, warnings };
}
