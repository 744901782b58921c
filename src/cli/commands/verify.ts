// capctl verify: the ledger's hash chain, and every apply commit against the ledger; names the first break.
import { Option, type Command } from 'commander';
import { ExitCode } from '../../model/index.js';
import type { Host } from '../host.js';
import { addStoreOptions, noStateFolder, openOrg, type StoreOptions } from '../store-options.js';

interface VerifyOptions extends StoreOptions {
  format: 'text' | 'json';
}

/** Registers `capctl verify`. */
export function register(program: Command, host: Host): void {
  const command = program
    .command('verify')
    .description("check the org's ledger: its hash chain, and that every apply commit in git matches the ledger lines it records; names the first line or commit that breaks");
  addStoreOptions(command)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit codes: 0 the trail is intact, 1 it is broken (or cannot be read).\n\nExample:\n  $ capctl verify --org acme-prod\n')
    .action(async (options: VerifyOptions) => {
      const [{ store, org }, { verifyTrail }, { renderVerifyText }] = await Promise.all([
        openOrg(options, host),
        import('../../audit/verify-trail.js'),
        import('../../render/audit-trail.js'),
      ]);
      const ledger = await store.readLedger(org);
      const report = await verifyTrail(org, store.stateFolder(org) ?? noStateFolder(org), ledger);
      if (options.format === 'json') host.out(`${JSON.stringify(report, null, 2)}\n`);
      else host.out(renderVerifyText(report, host.color));
      host.exitCode = report.ok ? ExitCode.ok : ExitCode.error;
    });
}
