// The options every command that reads the org store shares: --org and --org-state.
import { Option, type Command } from 'commander';
import { defaultOrgStateDir, FileOrgStore } from '../store/file-store.js';
import { selectOrg } from '../store/select-org.js';

/** The parsed store options. */
export interface StoreOptions {
  org?: string;
  orgState: string;
}

/** Adds --org and --org-state to a command. */
export function addStoreOptions(command: Command): Command {
  return command
    .addOption(new Option('--org <org>', 'the org (its folder under the org store); default: the only org there is'))
    .addOption(new Option('--org-state <dir>', 'the org store folder').default(defaultOrgStateDir));
}

/** Opens the store and picks the org the options name (or the only one). */
export async function openOrg(options: StoreOptions): Promise<{ store: FileOrgStore; org: string }> {
  const store = new FileOrgStore(options.orgState);
  const org = await selectOrg(store, options.org, options.orgState);
  return { store, org };
}
