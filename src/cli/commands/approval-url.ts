// capctl approval-url APP: the app's install approval URL (R12), for orgs whose usage page lists
// too many apps to install from it.
import { Option, type Command } from 'commander';
import { approvalUrl } from '../../plan/approval-url.js';
import { findApp } from '../find-app.js';
import type { Host } from '../host.js';
import { addStoreOptions, openOrg, type StoreOptions } from '../store-options.js';

interface ApprovalUrlOptions extends StoreOptions {
  format: 'text' | 'json';
}

/** Registers `capctl approval-url`. */
export function register(program: Command, host: Host): void {
  const command = program
    .command('approval-url <app>')
    .description("print the app's install approval URL (R12), relative to the org's My Domain; open it to install the app")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExample:\n  $ capctl approval-url "DocuSign eSignature" --org acme-prod\n  /identity/app/AppInstallApprovalPage.apexp?app_id=0H4...&app_org_id=00D5e0000001AcmEAA\n')
    .action(async (name: string, options: ApprovalUrlOptions) => {
      const { store, org } = await openOrg(options, host);
      const snapshot = await store.readSnapshot(org);
      const app = findApp(snapshot, name);
      const url = approvalUrl(app.id, snapshot.org.id);
      if (options.format === 'json') {
        host.out(`${JSON.stringify({ org: { name: snapshot.slug, id: snapshot.org.id }, app: { name: app.name, id: app.id, installed: app.installed }, url }, null, 2)}\n`);
      } else {
        host.out(`${url}\n`);
        if (app.installed) host.err(`note: ${app.name} is already installed in ${snapshot.slug}\n`);
      }
    });
  addStoreOptions(command);
}
