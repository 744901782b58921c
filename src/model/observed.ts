import type { AppFile, OrgFile, OrgUser } from './generated/schema-types.js';

/** One consistent read of an org from its store: validated, with a digest of what was read. */
export interface OrgSnapshot {
  /** The org's slug (its folder name). */
  slug: string;
  org: OrgFile;
  users: OrgUser[];
  /** Every app the org lists, sorted by name. */
  apps: AppFile[];
  /** sha256 over the store's files (not the ledger or lock), independent of read order. */
  digest: string;
}
