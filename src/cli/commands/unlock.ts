// capctl unlock ORG LOCK_ID: removes an org's lock left behind by a process that died. Only the
// lock with that id is removed, so a lock taken since by someone else is never cleared by mistake.
import { Option, type Command } from 'commander';
import type { Host } from '../host.js';
import { resolveSettings } from '../settings.js';

interface UnlockOptions {
  orgState?: string;
  force?: boolean;
}

/** Registers `capctl unlock`. */
export function register(program: Command, host: Host): void {
  program
    .command('unlock <org> <lockId>')
    .description(
      "remove the org's lock left behind by a process that is gone; the id is the one the lock error printed. A lock held by a running capctl on this host is kept (exit 3)",
    )
    .addOption(new Option('--org-state <dir>', 'the org store folder (default: capctl.yaml, else org-state)'))
    .addOption(new Option('--force', 'remove the lock even though its process on this host still runs'))
    .addHelpText('after', '\nExample:\n  $ capctl unlock acme-prod 3f9a1c2b7d4e\n')
    .action(async (org: string, lockId: string, options: UnlockOptions) => {
      const settings = await resolveSettings(options, host);
      const { openStore } = await import('../../store/open-store.js');
      // The lock is the state folder's, connected org or not.
      const store = openStore({ ...settings, offline: true });
      await store.unlock(org, lockId, { force: options.force === true });
      host.out(`Removed the lock ${lockId} of ${org}.\n`);
    });
}
