// capctl refresh: record the org as it is now (for the file store, its files as they are), so that
// changes made outside capctl are never absorbed silently: one observed ledger line and, in git,
// a refresh commit of its own. Nothing changed: nothing is written. The work is the library's
// refreshOrgState (src/refresh-org-state.ts); this file is its options and its words.
import { Option, type Command } from 'commander';
import { ExitCode, InputError } from '../../model/index.js';
import type { Host } from '../host.js';
import { addConnectionOption, addStoreOptions, liveSettings, sayApiCalls, type StoreOptions } from '../store-options.js';
import { resolveSettings } from '../settings.js';

interface RefreshOptions extends StoreOptions {
  actor?: string;
  lockTimeout: string;
  commit: boolean;
  format: 'text' | 'json';
}

const help = `
What changed is named from git (the store files against the commit of the ledger's last line);
without git, or without that commit, the ledger line says only that the store's digest moved.

Exit codes: 0 recorded, or nothing to record; 1 error; 3 the org is locked by another apply.

Example:
  $ capctl refresh --org acme-prod --actor ci-bot@acme.example
`;

/** Registers `capctl refresh`. */
export function register(program: Command, host: Host): void {
  const command = program
    .command('refresh')
    .description(
      "record the store as it is now (the file store: its files as they are): when it changed outside capctl since the ledger's last line, one `observed` ledger line saying what changed and, in git, a commit `capctl refresh ORG: …` of its own",
    );
  addConnectionOption(addStoreOptions(command))
    .option('--actor <username>', 'who records the changes (default: CAPCTL_ACTOR, or capctl.yaml; else $USER)')
    .option('--lock-timeout <seconds>', "how long to wait for the org's lock when an apply holds it", '0')
    .option('--no-commit', 'do not commit the ledger line and the changed store files to git')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', help)
    .action(async (options: RefreshOptions) => {
      const settings = await resolveSettings({ orgState: options.orgState, org: options.org, actor: options.actor }, host);
      const seconds = Number(options.lockTimeout);
      if (options.lockTimeout.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
        throw new InputError(`--lock-timeout must be a number of seconds, not "${options.lockTimeout}"`);
      }
      const actor = settings.actor ?? (host.env.USER || 'capctl');
      const [{ refreshOrgState }, { renderRefreshText }] = await Promise.all([import('../../refresh-org-state.js'), import('../../render/refresh-report.js')]);
      const report = await refreshOrgState({
        ...liveSettings(settings, options.connection, host),
        actor,
        now: () => host.now(),
        lockTimeoutMs: Math.round(seconds * 1000),
        commit: options.commit,
        reporter: {
          waiting: (holder, org) => host.err(`Waiting up to ${options.lockTimeout}s for the lock of ${org}, held by ${holder.user} (${holder.command}, pid ${holder.pid})…\n`),
          apiCalls: (reports) => sayApiCalls(reports, host),
        },
      });
      if (options.format === 'json') host.out(`${JSON.stringify(report, null, 2)}\n`);
      else host.out(renderRefreshText(report));
      if (report.recorded?.commit.status === 'failed') host.exitCode = ExitCode.error;
    });
}
