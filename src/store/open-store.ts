// The one way in to an org store: the settings (capctl.yaml and flags) say which backend plays
// each org. An org with no connection is the file store of org-state/ (the store is the org, SPEC
// §4); an org with a connection (`orgs: {<slug>: {connection: …}}`, or `--connection`, SPEC §13)
// is a live org, read through the API (salesforce/live-org-store.ts) by the commands that read an
// org or changes it (`live: true`: the reads and apply); contain refuses it (unlock works on the state folder's lock) with a clear message, never silently
// working on the files.
import { InputError } from '../model/index.js';
import { LiveOrgStore } from '../salesforce/live-org-store.js';
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
  /** `--connection`: the connection of the org the command reads (wins over capctl.yaml's). */
  connection?: string;
  /** `--org`: with `--connection`, a connected org even when neither capctl.yaml nor the store knows it yet. */
  org?: string;
  /** `--offline`: every org read from its files, connected or not. */
  offline?: boolean;
  /** The environment connections read (SF_ACCESS_TOKEN…, CAPCTL_API_TIMEOUT); the host's. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** How openStore opens the store. */
export interface OpenStoreOptions extends FileOrgStoreOptions {
  /** The command reads the org (plan, usage, drift, import, refresh, check): a connected org is read live. */
  live?: boolean;
  /** A connected org: called as a revocation ends sessions (apply's progress bar on a terminal). */
  onRevokeProgress?(done: number, total: number, app: string): void;
}

/**
 * The org store the settings name. With `live`, a connected org is read through the API (and its
 * state folder is the file store's); without it, a connected org is its state folder, as the last
 * refresh or apply recorded it (its ledger and audit trail: verify, history, approval-url). A
 * command that would change the org through the store without a connection's API refuses a
 * connected org itself (assertNoConnection).
 */
export function openStore(settings: StoreSettings, options: OpenStoreOptions = {}): OrgStore {
  const { live, onRevokeProgress, ...fileOptions } = options;
  const files = new FileOrgStore(settings.orgState, fileOptions);
  if (settings.offline) return files;
  if (!live) return files;
  const connections = connectionsOf(settings);
  if (Object.keys(connections).length === 0 && settings.connection === undefined) return files;
  const timeout = Number(settings.env?.CAPCTL_API_TIMEOUT);
  return new LiveOrgStore(files, {
    connections,
    ...(settings.connection !== undefined ? { defaultConnection: settings.connection } : {}),
    env: settings.env ?? {},
    ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: Math.round(timeout * 1000) } : {}),
    ...(onRevokeProgress ? { onRevokeProgress } : {}),
  });
}

/** Per org, its connection in capctl.yaml (`--connection`, when given, wins for every org, and connects the `--org` named). */
function connectionsOf(settings: StoreSettings): Record<string, string> {
  const connections: Record<string, string> = {};
  for (const [org, value] of Object.entries(settings.orgs ?? {})) {
    if (value?.connection !== undefined) connections[org] = settings.connection ?? value.connection;
  }
  if (settings.connection !== undefined && settings.org !== undefined) connections[settings.org] = settings.connection;
  return connections;
}

/** Refuses an org that has a connection where `command` cannot work on a live org yet (contain). */
export function assertNoConnection(settings: StoreSettings, org: string, command: string): void {
  if (settings.offline) return;
  // Own keys only: an org named `constructor` must not find Object.prototype's.
  const connection = settings.connection ?? (settings.orgs !== undefined && Object.hasOwn(settings.orgs, org) ? settings.orgs[org]?.connection : undefined);
  if (connection === undefined) return;
  throw new InputError(
    `capctl.yaml connects org ${org} to a live org (connection: ${connection}): capctl ${command} is not available yet on a live Salesforce org in this capctl; ` +
      `apply and the reads are (plan, usage, drift, import, refresh); remove its connection to work with the store in ${settings.orgState} instead`,
  );
}

/** The org's state folder, for the audit trail in git; an InputError when the backend keeps none. */
export function stateFolderOf(store: OrgStore, org: string): StateFolder {
  const folder = store.stateFolder(org);
  if (folder === undefined) throw new InputError(`org ${org} has no state folder in this store, so it has no audit trail in git`);
  return folder;
}
