// capctl drift: what changed in the store since the last apply that no apply made.
import { Option, type Command } from 'commander';
import { ExitCode, InputError, type OrgSnapshot } from '../../model/index.js';
import { LiveOrgStore } from '../../salesforce/live-org-store.js';
import type { Host } from '../host.js';
import { addConnectionOption, addStoreOptions, apiMember, noStateFolder, openOrg, withApiReport, type StoreOptions } from '../store-options.js';

interface DriftOptions extends StoreOptions {
  format: 'text' | 'json';
}

/** Registers `capctl drift`. */
export function register(program: Command, host: Host): void {
  const command = program
    .command('drift')
    .description(
      'changes in the store that no apply made since the last one (someone clicked Block in Setup): the store digest the last ledger line recorded against the store now, and, from the commit of that apply, which apps and settings differ',
    );
  addConnectionOption(addStoreOptions(command))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExit codes: 0 no drift, 1 error, 2 drift.\n\nExample:\n  $ capctl drift --org acme-prod\n')
    .action(async (options: DriftOptions) => {
      const [{ store, org }, { detectDrift }, { renderDriftText }] = await Promise.all([
        openOrg(options, host, { live: true }),
        import('../../audit/detect-drift.js'),
        import('../../render/audit-trail.js'),
      ]);
      if (store instanceof LiveOrgStore && store.connectionOf(org) !== undefined && !(await store.hasStateFolder(org))) {
        // Nothing to compare the org with yet: said before any API call.
        throw new InputError(`org ${org} has no state folder in ${store.files.root} yet: drift compares the live org with it; \`capctl refresh --org ${org}\` reads the org into it first`);
      }
      const report = await withApiReport(store, host, async () => {
        let snapshot = await store.readSnapshot(org);
        const ledger = await store.readLedger(org);
        let stored: OrgSnapshot | undefined;
        if (store instanceof LiveOrgStore && store.connectionOf(org) !== undefined) {
          // A live org: usage counters (lastUsed, useCount) alone are no drift, as they are no change to refresh.
          const { usageAsStored } = await import('../../apply/refresh-live-org.js');
          stored = await store.storedSnapshot(org);
          if (stored) snapshot = usageAsStored(stored, snapshot);
        }
        const folder = store.stateFolder(org) ?? noStateFolder(org);
        const drift = await detectDrift(snapshot, ledger, folder);
        if (drift.drifted && stored) {
          // The org moved, not the folder's files: name what moved against the folder.
          const { diffSnapshots } = await import('../../audit/detect-drift.js');
          return { ...drift, changes: diffSnapshots(stored, snapshot, folder), notes: [] };
        }
        return drift;
      });
      if (options.format === 'json') host.out(`${JSON.stringify({ ...report, ...apiMember(store) }, null, 2)}\n`);
      else host.out(renderDriftText(report, host.color));
      host.exitCode = report.drifted ? ExitCode.changes : ExitCode.ok;
    });
}
