// capctl history: the audit trail read from git — applies and changes to the desired state, newest first.
import { Option, type Command } from 'commander';
import type { Host } from '../host.js';
import { chooseOrg, resolveSettings } from '../settings.js';

interface HistoryOptions {
  org?: string;
  app?: string;
  revocation?: string;
  desired?: string;
  orgState?: string;
  format: 'text' | 'json';
}

/** Registers `capctl history`. */
export function register(program: Command, host: Host): void {
  program
    .command('history')
    .description(
      'the audit trail read from git, newest first: each apply (actor, time, actions, sessions ended, revocations) and each change to the desired-state files',
    )
    .option('--org <org>', 'only applies to this org (and the files declaring it)')
    .option('--app <app>', "only applies that acted on this app (name or id), and changes to the files declaring it")
    .option('--revocation <id>', 'only the apply that carried out this revocation, and changes to the file declaring it')
    .option('--desired <dir>', 'the desired-state folder (default: capctl.yaml\'s, or desired)')
    .option('--org-state <dir>', 'the org store folder (default: capctl.yaml\'s, or org-state)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExamples:\n  $ capctl history --revocation INC-2041\n  $ capctl history --app Slack --format json\n')
    .action(async (options: HistoryOptions) => {
      const settings = await resolveSettings({ desired: options.desired, orgState: options.orgState, org: options.org }, host);
      const [{ readHistory }, { readHistoryFiles }, { renderHistoryText }, { openStore }] = await Promise.all([
        import('../../audit/read-history.js'),
        import('../../audit/history-files.js'),
        import('../../render/audit-trail.js'),
        import('../../store/open-store.js'),
      ]);
      const store = openStore(settings);
      // An org the store does not have is an error, as in verify and drift, never "No history found".
      if (settings.org !== undefined) chooseOrg(settings.org, await store.listOrgs(), settings.orgState);
      const filter = {
        ...(settings.org !== undefined ? { org: settings.org } : {}),
        ...(options.app !== undefined ? { app: options.app } : {}),
        ...(options.revocation !== undefined ? { revocation: options.revocation } : {}),
      };
      const desired = await readHistoryFiles(settings.desired, filter, host.now());
      const entries = await readHistory({
        storeDir: settings.orgState,
        ...(settings.org ? { org: settings.org } : {}),
        ...(options.app ? { app: options.app } : {}),
        ...(options.revocation ? { revocation: options.revocation } : {}),
        ledgerOf: (org) => store.readLedger(org),
        ...(desired ? { desired } : {}),
      });
      if (options.format === 'json') host.out(`${JSON.stringify({ entries }, null, 2)}\n`);
      else host.out(renderHistoryText(entries, host.color));
    });
}
