// The options every command that reads the org store shares: --org and --org-state, resolved
// with capctl.yaml through resolveSettings (flags win).
import { Option, type Command } from 'commander';
import type { FileOrgStore } from '../store/file-store.js';
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
export async function openOrg(options: StoreOptions, host: Host): Promise<{ store: FileOrgStore; org: string }> {
  return openSettingsOrg(await resolveSettings(options, host));
}

/** Opens the store of settings already resolved and picks their org, or the only one. */
export async function openSettingsOrg(settings: Pick<Settings, 'orgState' | 'org'>): Promise<{ store: FileOrgStore; org: string }> {
  // Loaded on use, so that commands that do not read the store start without it.
  const { FileOrgStore } = await import('../store/file-store.js');
  const store = new FileOrgStore(settings.orgState);
  const org = await selectOrg(store, settings.org, settings.orgState);
  return { store, org };
}
