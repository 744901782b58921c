// The one way in to an org store: the settings (capctl.yaml and flags) say which backend plays
// each org. An org with no connection is the file store of org-state/ (the store is the org, SPEC
// §4); an org with a connection (`orgs: {<slug>: {connection: …}}`, SPEC §13) is a live org, whose
// backend is not part of this capctl yet: naming one is refused with a clear message, never
// silently read from the files.
import { InputError } from '../model/index.js';
import { FileOrgStore, type FileOrgStoreOptions } from './file-store.js';
import type { OrgStore, StateFolder } from './org-store.js';

/** How capctl.yaml configures one org. */
export interface OrgSettings {
  /** `env`, `jwt` or `sf:ALIAS` (SPEC §13); absent: the file store. */
  connection?: string;
}

/** What openStore needs of the settings. */
export interface StoreSettings {
  /** The org-state folder. */
  orgState: string;
  /** Per org, how it is reached (capctl.yaml's `orgs`). */
  orgs?: Readonly<Record<string, OrgSettings>>;
}

/**
 * The org store the settings name. With `org`, that org must be one the store can serve: an org
 * with a connection is refused (InputError, exit 1) until the live backend lands.
 */
export function openStore(settings: StoreSettings, org?: string, options: FileOrgStoreOptions = {}): OrgStore {
  if (org !== undefined) checkConnection(settings, org);
  return new FileOrgStore(settings.orgState, options);
}

/** Refuses an org that capctl.yaml connects to a live org: this capctl has no live backend yet. */
export function checkConnection(settings: StoreSettings, org: string): void {
  // Own keys only: an org named `constructor` must not find Object.prototype's.
  const connection = settings.orgs !== undefined && Object.hasOwn(settings.orgs, org) ? settings.orgs[org]?.connection : undefined;
  if (connection === undefined) return;
  throw new InputError(
    `capctl.yaml connects org ${org} to a live org (connection: ${connection}): reading and changing a live Salesforce org is not available yet in this capctl; ` +
      `remove its connection to work with the store in ${settings.orgState} instead`,
  );
}

/** The org's state folder, for the audit trail in git; an InputError when the backend keeps none. */
export function stateFolderOf(store: OrgStore, org: string): StateFolder {
  const folder = store.stateFolder(org);
  if (folder === undefined) throw new InputError(`org ${org} has no state folder in this store, so it has no audit trail in git`);
  return folder;
}
