// Refreshing one org's state, the library's way (`capctl refresh` calls it): open the store (a
// connected org live) → a connected org: read it through the API and make its state folder hold
// what was read (apply/refresh-live-org.ts), the metadata and sessions caches kept beside it; a
// file-store org: record what moved in its files since the ledger's last line
// (apply/refresh-org.ts) → the git commit of the observed line. What happens on the way goes to one
// injected reporter; the result is the refresh's report, with the API calls of a live read.
import { refreshLiveOrg } from './apply/refresh-live-org.js';
import { refreshOrg } from './apply/refresh-org.js';
import { describeChangedFiles, observeChanges } from './audit/observe-changes.js';
import { recordPendingApplies } from './audit/record-apply.js';
import type { RefreshReport } from './model/index.js';
import { LiveOrgStore } from './salesforce/live-org-store.js';
import { apiMember, apiReports, type ApiReport } from './store/api-reports.js';
import { openStore, stateFolderOf, type StoreSettings } from './store/open-store.js';
import type { LockInfo } from './store/org-store.js';
import { selectOrg } from './store/select-org.js';

/** What refreshOrgState says as it goes; every event is optional, and none of them decides anything. */
export interface RefreshReporter {
  /** Another apply or refresh holds the org's lock, and this one starts waiting for it (once). */
  waiting?(holder: LockInfo, org: string): void;
  /** The API calls the live read made (said also when the refresh failed). */
  apiCalls?(reports: ApiReport[]): void;
}

/** Which org to refresh, as whom, and how. */
export interface RefreshOrgStateOptions extends Omit<StoreSettings, 'offline'> {
  /** Who records the changes. */
  actor: string;
  now(): Date;
  /** How long to wait for a lock another run holds (default 0: refuse at once). */
  lockTimeoutMs?: number;
  /** Commit the observed line and the changed state files to git (default true). */
  commit?: boolean;
  /** The command line, written into the lock file (default `capctl refresh`). */
  command?: string;
  reporter?: RefreshReporter;
}

/** Records the org as it is now (SPEC §8, §13); a connected org's report carries `api`, its live read's calls. */
export async function refreshOrgState(options: RefreshOrgStateOptions): Promise<RefreshReport & { api?: ApiReport[] }> {
  const reporter = options.reporter ?? {};
  const store = openStore(options, { live: true });
  const org = await selectOrg(store, options.org, options.orgState);
  const folder = stateFolderOf(store, org);
  const commit = options.commit ?? true;
  const run = {
    store,
    org,
    actor: options.actor,
    now: () => options.now(),
    lockTimeoutMs: options.lockTimeoutMs ?? 0,
    command: options.command ?? 'capctl refresh',
    onWait: (holder: LockInfo) => reporter.waiting?.(holder, org),
  };
  if (!(store instanceof LiveOrgStore) || store.connectionOf(org) === undefined) {
    return refreshOrg({
      ...run,
      audit: {
        observe: (snapshot, ledger) => observeChanges(snapshot, ledger, folder),
        ...(commit ? { recordPending: (ledger, upToSeq, current) => recordPendingApplies(org, folder, ledger, upToSeq, current) } : {}),
      },
    });
  }
  try {
    const report = await refreshLiveOrg({
      ...run,
      readStored: () => store.storedSnapshot(org),
      readLive: (stored) => store.readLiveState(org, stored),
      createFolder: () => store.createStateFolder(org),
      describe: (files) => describeChangedFiles(files),
      ...(commit ? { recordPending: (ledger, upToSeq) => recordPendingApplies(org, folder, ledger, upToSeq, { planDigest: 'none', desiredCommit: null }) } : {}),
    });
    return { ...report, ...apiMember(store) };
  } finally {
    const reports = apiReports(store);
    if (reports.length > 0) reporter.apiCalls?.(reports);
  }
}
