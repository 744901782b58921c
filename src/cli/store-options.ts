// The options every command that reads the org store shares: --org and --org-state, resolved
// with capctl.yaml through resolveSettings (flags win).
import { Option, type Command } from 'commander';
import type { OrgStore } from '../store/org-store.js';
import { InputError } from '../model/index.js';
import { selectOrg } from '../store/select-org.js';
import type { Host } from './host.js';
import { resolveSettings, type Settings } from './settings.js';

/** The parsed store options. */
export interface StoreOptions {
  org?: string;
  orgState?: string;
}

/** Adds --org and --org-state to a command. */
export function addStoreOptions(command: Command): Command {
  return command
    .addOption(new Option('--org <org>', 'the org (its folder under the org store); default: capctl.yaml, else the only org there is'))
    .addOption(new Option('--org-state <dir>', 'the org store folder (default: capctl.yaml, else org-state)'));
}

/** Opens the store and picks the org the options (or capctl.yaml) name, or the only one. */
export async function openOrg(options: StoreOptions, host: Host): Promise<{ store: OrgStore; org: string }> {
  return openSettingsOrg(await resolveSettings(options, host));
}

/** Opens the store of settings already resolved and picks their org, or the only one. */
export async function openSettingsOrg(settings: Pick<Settings, 'orgState' | 'org' | 'orgs'>): Promise<{ store: OrgStore; org: string }> {
  // Loaded on use, so that commands that do not read the store start without it.
  const { openStore } = await import('../store/open-store.js');
  const org = await selectOrg(openStore(settings), settings.org, settings.orgState);
  return { store: openStore(settings, org), org };
}

/** Ends a command that needs the org's state folder (the audit trail in git) on a backend that keeps none. */
export function noStateFolder(org: string): never {
  throw new InputError(`org ${org} has no state folder in this store, so it has no audit trail in git`);
}
