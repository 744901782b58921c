// The id of an app the org shows no id for: an uninstalled app known only from its tokens
// (OauthToken.AppName) or from its block (BlacklistedConsumer.consumerName). The store needs an
// 18-character id (apps/<id>.json), so it is derived from the name, deterministically, and marked
// `derivedId: true` in the app's file:
//
//   id = "cap" + the first 15 hex digits of sha256("capctl-app-name:" + name)
//
// Salesforce ids are base-62 with a 3-character key prefix; "cap" is none of the connected app
// prefixes (0H4, 0xI), and lower-case hex alone keeps it from looking like a real id. The same
// name always gives the same id, so a refresh keeps the app's file; a rename is a new app.
import { createHash } from 'node:crypto';

/** The derived id of an app known only by its name. */
export function derivedAppId(name: string): string {
  return `cap${createHash('sha256').update(`capctl-app-name:${name}`).digest('hex').slice(0, 15)}`;
}
