// capctl verify: the ledger's hash chain, and every apply commit against the ledger; names the first break.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ExitCode } from '../../model/index.js';
import type { Host } from '../host.js';
import { resolveSettings } from '../settings.js';

interface VerifyOptions {
  org?: string;
  orgState?: string;
  format: 'text' | 'json';
}

/** Registers `capctl verify`. */
export function register(program: Command, host: Host): void {
  program
    .command('verify')
    .description("check the org's ledger: its hash chain, and that every apply commit in git matches the ledger lines it records; names the first line or commit that breaks")
    .option('--org <org>', 'the org (default: the only org in the store)')
    .option('--org-state <dir>', 'the org store folder (default: capctl.yaml\'s, or org-state)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit codes: 0 the trail is intact, 1 it is broken (or cannot be read).\n\nExample:\n  $ capctl verify --org acme-prod\n')
    .action(async (options: VerifyOptions) => {
      const settings = await resolveSettings({ orgState: options.orgState, org: options.org }, host);
      const [{ verifyTrail }, { renderVerifyText }, { FileOrgStore }, { selectOrg }] = await Promise.all([
        import('../../audit/verify-trail.js'),
        import('../../render/audit-trail.js'),
        import('../../store/file-store.js'),
        import('../../store/select-org.js'),
      ]);
      const store = new FileOrgStore(settings.orgState);
      const org = await selectOrg(store, settings.org, settings.orgState);
      const ledger = await store.readLedger(org);
      const report = await verifyTrail(org, path.join(settings.orgState, org), ledger);
      if (options.format === 'json') host.out(`${JSON.stringify(report, null, 2)}\n`);
      else host.out(renderVerifyText(report, host.color));
      host.exitCode = report.ok ? ExitCode.ok : ExitCode.error;
    });
}
