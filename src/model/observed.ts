import type { ObservedApp, ObservedOrg, OrgUser } from './generated/schema-types.js';

/** One consistent read of an org from its store: validated, with a digest of what was read. */
export interface OrgSnapshot {
  /** The org's slug (its folder name). */
  slug: string;
  org: ObservedOrg;
  users: OrgUser[];
  /** Every app the org lists, sorted by name. */
  apps: ObservedApp[];
  /** sha256 over the store's files (not the ledger or lock), independent of read order. */
  digest: string;
  /** A connected org read through the API: where it was reached (absent: read from the store's files). Not part of the digest. */
  live?: LiveOrigin;
}

/** How a live read reached its org, and what it was asked to read beside the snapshot (for apply). */
export interface LiveOrigin {
  /** The instance URL the connection reached (the links of manual steps start with it). */
  instanceUrl: string;
  /** The username the connection is logged in as (read for apply: the actor of a live org). */
  connectedUser?: string;
  /** `/limits` DailyApiRequests.Remaining when read (for apply's estimate of its calls). */
  apiRequestsRemaining?: number;
}
