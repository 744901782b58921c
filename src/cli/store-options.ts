// The options every command that reads the org store shares: --org and --org-state, resolved
// with capctl.yaml through resolveSettings (flags win).
import { Option, type Command } from 'commander';
import type { OrgStore } from '../store/org-store.js';
import { InputError } from '../model/index.js';
import { selectOrg } from '../store/select-org.js';
import type { Host } from './host.js';
import { resolveSettings, type Settings } from './settings.js';
import { count } from '../plan/count.js';
import { apiReports, type ApiReport } from '../store/api-reports.js';

export { apiReports, apiMember, type ApiReport } from '../store/api-reports.js';

/** The parsed store options. */
export interface StoreOptions {
  org?: string;
  orgState?: string;
  /** `--connection` (the commands that read an org). */
  connection?: string;
}

/** Adds --org and --org-state to a command. */
export function addStoreOptions(command: Command): Command {
  return command
    .addOption(new Option('--org <org>', 'the org (its folder under the org store); default: capctl.yaml, else the only org there is'))
    .addOption(new Option('--org-state <dir>', 'the org store folder (default: capctl.yaml, else org-state)'));
}

/** Adds --connection to a command that reads an org (SPEC §13). */
export function addConnectionOption(command: Command): Command {
  return command.addOption(
    new Option('--connection <connection>', "read the org live through the Salesforce API: env, jwt or sf:ALIAS (default: capctl.yaml's orgs.<org>.connection)"),
  );
}

/** Opens the store and picks the org the options (or capctl.yaml) name, or the only one. `live`: a connected org is read through the API. */
export async function openOrg(options: StoreOptions, host: Host, live?: { live: true }): Promise<{ store: OrgStore; org: string }> {
  const settings = await resolveSettings({ ...(options.org !== undefined ? { org: options.org } : {}), ...(options.orgState !== undefined ? { orgState: options.orgState } : {}) }, host);
  return openSettingsOrg(live ? liveSettings(settings, options.connection, host) : settings, live);
}

/** The settings with what a live read needs: `--connection` and the host's environment. */
export function liveSettings<T extends Pick<Settings, 'orgState' | 'org' | 'orgs'>>(settings: T, connection: string | undefined, host: Host): T & { connection?: string; env: Host['env'] } {
  return { ...settings, ...(connection !== undefined ? { connection } : {}), env: host.env };
}

/** Opens the store of settings already resolved and picks their org, or the only one. */
export async function openSettingsOrg(
  settings: Pick<Settings, 'orgState' | 'org' | 'orgs'> & { connection?: string; env?: Host['env'] },
  live?: { live: true },
): Promise<{ store: OrgStore; org: string }> {
  // Loaded on use, so that commands that do not read the store start without it.
  const { openStore } = await import('../store/open-store.js');
  const store = openStore(settings, live);
  return { store, org: await selectOrg(store, settings.org, settings.orgState) };
}

/** Says on stderr how many API calls each live read made (from the `from`th on), the org's API usage, and what it could not read. */
export function reportApiCalls(store: OrgStore, host: Host, from = 0): void {
  sayApiCalls(apiReports(store).slice(from), host);
}

/** Says on stderr how many API calls each of these live reads made, the org's API usage, and what it could not read. */
export function sayApiCalls(reports: readonly ApiReport[], host: Host): void {
  for (const r of reports) {
    const usage = r.apiUsage ? `; the org's API usage is ${r.apiUsage.used}/${r.apiUsage.limit} today` : '';
    host.err(`capctl: ${count(r.calls, 'API call')} to ${r.connection}${usage}\n`);
    for (const w of r.warnings) host.err(`warning: ${w}\n`);
  }
}

/** Runs a command's work on a store, saying its API calls on stderr afterwards (also when it failed). */
export async function withApiReport<T>(store: OrgStore, host: Host, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    reportApiCalls(store, host);
  }
}

/** Ends a command that needs the org's state folder (the audit trail in git) on a backend that keeps none. */
export function noStateFolder(org: string): never {
  throw new InputError(`org ${org} has no state folder in this store, so it has no audit trail in git`);
}
