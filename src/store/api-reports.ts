// What a command's live reads cost: the API calls each connection made, the org's daily usage,
// and what it could not read. A live org's store keeps them (salesforce/live-org-store.ts); the
// file store has none.
import type { OrgStore } from './org-store.js';

/** What the live reads of a command cost, as its stderr line says it and its JSON carries it. */
export interface ApiReport {
  connection: string;
  calls: number;
  apiUsage?: { used: number; limit: number };
  warnings: string[];
  tokensMissing: number;
}

/** The live reads the store made (none for the file store). */
export function apiReports(store: OrgStore): ApiReport[] {
  const reads = (store as { reads?: { connection: string; calls: number; limitInfo?: { used: number; limit: number }; warnings: string[]; tokensMissing: number }[] }).reads ?? [];
  return reads.map((r) => ({ connection: r.connection, calls: r.calls, ...(r.limitInfo ? { apiUsage: r.limitInfo } : {}), warnings: r.warnings, tokensMissing: r.tokensMissing }));
}

/** `api` of a command's JSON: the live reads it made, when it made any (a file-mode command's JSON is unchanged). */
export function apiMember(store: OrgStore): { api?: ApiReport[] } {
  const api = apiReports(store);
  return api.length > 0 ? { api } : {};
}
