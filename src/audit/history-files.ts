// Which desired-state files `history` follows: those declaring the app, the revocation or the org
// it is asked about, read from the desired folder as it is now.
import { existsSync } from 'node:fs';
import { loadDesiredState } from '../load/load-desired.js';
import type { DesiredState } from '../model/index.js';
import type { HistoryQuery } from './read-history.js';

/** What history is asked about: the org, the app (name or id), the revocation id. */
export type HistoryFilter = Pick<HistoryQuery, 'org' | 'app' | 'revocation'>;

/**
 * The desired files to follow for `filter` (HistoryQuery's `desired`): [] for the whole folder
 * when nothing is filtered; undefined (follow none) when the folder is missing, does not load, or
 * nothing in it declares what is asked about.
 */
export async function readHistoryFiles(root: string, filter: HistoryFilter, now: Date): Promise<{ root: string; files: string[] } | undefined> {
  if (!existsSync(root)) return undefined;
  const { org } = filter;
  if (!filter.app && !filter.revocation && !org) return { root, files: [] };
  let desired: DesiredState;
  try {
    ({ desired } = await loadDesiredState(root, { now }));
  } catch {
    return undefined;
  }
  const files = new Set<string>();
  for (const [slug, declared] of Object.entries(desired.orgs)) {
    if (org && slug !== org) continue;
    const filterByApp = filter.app !== undefined;
    const filterByRevocation = filter.revocation !== undefined;
    if (!filterByApp && !filterByRevocation && declared.settings) files.add(declared.settings.source.file);
    for (const app of declared.apps) {
      if (filterByRevocation) continue;
      if (!filterByApp || app.doc.name === filter.app || app.doc.id === filter.app) files.add(app.source.file);
    }
    for (const revocation of declared.revocations) {
      if (filterByRevocation && revocation.doc.id !== filter.revocation) continue;
      if (filterByApp && revocation.doc.app !== filter.app) continue;
      files.add(revocation.source.file);
    }
  }
  // Nothing declares it: follow no desired file rather than the whole folder.
  return files.size > 0 ? { root, files: [...files].sort() } : undefined;
}
