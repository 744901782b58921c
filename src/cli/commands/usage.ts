// capctl usage [APP]: the Connected Apps OAuth Usage page of the seed, in the terminal. Printed as
// it is computed, a chunk of rows at a time, so that a page of 10,000 apps starts at once.
import { Option, type Command } from 'commander';
import type { AppFile, OrgSnapshot, UsageOrgRef } from '../../model/index.js';
import { appUserUsage, unknownFlowCount, UsageTotalsCounter, usageAccess, usageAppRow, usageContext } from '../../render/usage-rows.js';
import {
  renderAppUsageFooter,
  renderAppUsageHeading,
  renderAppUserRows,
  renderUsageFooter,
  renderUsageColumns,
  renderUsageTitle,
  renderUsageRows,
  usageTableLayout,
  userTableLayout,
} from '../../render/usage-text.js';
import {
  JsonArrayPieces,
  renderAppUsageJsonEnd,
  renderAppUsageJsonStart,
  renderUsageJsonEnd,
  renderUsageJsonStart,
} from '../../render/usage-json.js';
import { findApp } from '../find-app.js';
import type { Host } from '../host.js';
import { addConnectionOption, addStoreOptions, openOrg, withApiReport, type StoreOptions } from '../store-options.js';
import type { OrgStore } from '../../store/org-store.js';

/** Rows computed and printed per chunk. */
const chunkSize = 200;

interface UsageOptions extends StoreOptions {
  format: 'text' | 'json';
}

/** Registers `capctl usage`. */
export function register(program: Command, host: Host): void {
  const command = program
    .command('usage [app]')
    .description(
      'the Connected Apps OAuth Usage page: every app the org lists with installed, blocked, effective access, users, sessions and denied attempts; with APP, each user of the app with first used, last used and total uses. Username-password sessions are not shown (one-time tokens), only counted.',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nExamples:\n  $ capctl usage\n  $ capctl usage Slack --org acme-prod\n  $ capctl usage --format json --org-state org-state\n')
    .action(async (app: string | undefined, options: UsageOptions) => {
      const { store, org } = await openOrg(options, host, { live: true });
      await withApiReport(store, host, () => usagePages(host, store, org, app, options.format));
    });
  addConnectionOption(addStoreOptions(command));
}

async function usagePages(host: Host, store: OrgStore, org: string, app: string | undefined, format: 'text' | 'json'): Promise<void> {
  // The apps page's title needs only the org: print it before the apps are read (a large org
  // takes seconds to read), so that the page starts at once. JSON waits for a valid store.
  const titleFirst = app === undefined && format === 'text';
  const snapshot = await store.readSnapshot(org, {
    onOrg: titleFirst ? (orgFile, appCount) => host.out(renderUsageTitle({ name: org, id: orgFile.id }, appCount)) : undefined,
  });
  if (app === undefined) await printAppsPage(host, snapshot, format);
  else await printAppPage(host, snapshot, findApp(snapshot, app), format);
}

async function printAppsPage(host: Host, snapshot: OrgSnapshot, format: 'text' | 'json'): Promise<void> {
  const orgRef: UsageOrgRef = { name: snapshot.slug, id: snapshot.org.id };
  const context = usageContext(snapshot);
  const accesses = snapshot.apps.map((app) => usageAccess(app, context));
  const totals = new UsageTotalsCounter();
  const pieces = new JsonArrayPieces();
  const layout = format === 'text' ? usageTableLayout(snapshot.apps, accesses) : undefined;
  host.out(layout ? renderUsageColumns(layout) : renderUsageJsonStart(orgRef));
  for (let start = 0; start < snapshot.apps.length; start += chunkSize) {
    const rows = snapshot.apps.slice(start, start + chunkSize).map((app, i) => {
      const row = usageAppRow(app, accesses[start + i]!);
      totals.add(app, row);
      return row;
    });
    host.out(layout ? renderUsageRows(rows, layout, { color: host.color }) : pieces.items(rows));
    await host.drain();
  }
  host.out(layout ? renderUsageFooter(totals.result()) : renderUsageJsonEnd(pieces, totals.result()));
}

async function printAppPage(host: Host, snapshot: OrgSnapshot, app: AppFile, format: 'text' | 'json'): Promise<void> {
  const orgRef: UsageOrgRef = { name: snapshot.slug, id: snapshot.org.id };
  const row = usageAppRow(app, usageAccess(app, usageContext(snapshot)));
  const { users, hidden } = appUserUsage(app);
  const layout = format === 'text' ? userTableLayout(users) : undefined;
  const pieces = new JsonArrayPieces();
  host.out(layout ? renderAppUsageHeading(orgRef, row, layout) : renderAppUsageJsonStart(orgRef, row));
  for (let start = 0; start < users.length; start += chunkSize) {
    const chunk = users.slice(start, start + chunkSize);
    host.out(layout ? renderAppUserRows(chunk, layout) : pieces.items(chunk));
    await host.drain();
  }
  const unknown = unknownFlowCount(app);
  host.out(layout ? renderAppUsageFooter(users.length, hidden, unknown) : renderAppUsageJsonEnd(pieces, hidden, unknown));
}
