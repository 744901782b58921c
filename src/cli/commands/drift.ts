// capctl drift: what changed in the store since the last apply that no apply made.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ExitCode } from '../../model/index.js';
import type { Host } from '../host.js';
import { resolveSettings } from '../settings.js';

interface DriftOptions {
  org?: string;
  orgState?: string;
  format: 'text' | 'json';
}

/** Registers `capctl drift`. */
export function register(program: Command, host: Host): void {
  program
    .command('drift')
    .description(
      'changes in the store that no apply made since the last one (someone clicked Block in Setup): the store digest the last ledger line recorded against the store now, and, from the commit of that apply, which apps and settings differ',
    )
    .option('--org <org>', 'the org (default: the only org in the store)')
    .option('--org-state <dir>', 'the org store folder (default: capctl.yaml\'s, or org-state)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit codes: 0 no drift, 1 error, 2 drift.\n\nExample:\n  $ capctl drift --org acme-prod\n')
    .action(async (options: DriftOptions) => {
      const settings = await resolveSettings({ orgState: options.orgState, org: options.org }, host);
      const [{ detectDrift }, { renderDriftText }, { FileOrgStore }, { selectOrg }] = await Promise.all([
        import('../../audit/detect-drift.js'),
        import('../../render/audit-trail.js'),
        import('../../store/file-store.js'),
        import('../../store/select-org.js'),
      ]);
      const store = new FileOrgStore(settings.orgState);
      const org = await selectOrg(store, settings.org, settings.orgState);
      const [snapshot, ledger] = [await store.readSnapshot(org), await store.readLedger(org)];
      const report = await detectDrift(snapshot, ledger, path.join(settings.orgState, org));
      if (options.format === 'json') host.out(`${JSON.stringify(report, null, 2)}\n`);
      else host.out(renderDriftText(report, host.color));
      host.exitCode = report.drifted ? ExitCode.changes : ExitCode.ok;
    });
}
