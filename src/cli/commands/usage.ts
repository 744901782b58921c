// capctl usage [APP]: the Connected Apps OAuth Usage page of the seed, in the terminal. Printed as
// it is computed, a chunk of rows at a time, so that a page of 10,000 apps starts at once.
// Beside the store it reads the desired-state folder, when there is one, for what the org does not
// know: who owns each app, who makes it and how much the business relies on it. In an incident the
// responder needs the org's page most, so a desired state with errors is a warning, never a reason
// not to show it: the page shows what the valid documents declare.
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InputError, type ObservedApp, type OrgSnapshot, type UsageOrgRef } from '../../model/index.js';
import { appUserUsage, unknownFlowCount, UsageTotalsCounter, usageAccess, usageAppRow, usageContext, type UsageOwnership } from '../../render/usage-rows.js';
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
import { resolveSettings } from '../settings.js';
import { addConnectionOption, addStoreOptions, apiMember, liveSettings, openSettingsOrg, withApiReport, type StoreOptions } from '../store-options.js';
import type { OrgStore } from '../../store/org-store.js';

/** Rows computed and printed per chunk. */
const chunkSize = 200;
/** The most errors of a broken desired state the warning quotes (`capctl validate` lists them all). */
const quotedErrors = 3;

interface UsageOptions extends StoreOptions {
  format: 'text' | 'json';
  desired?: string;
}

/** What the desired state declares about who answers for the org's apps, and where it was read. */
interface Declared {
  desired: string;
  ownership: Map<string, UsageOwnership>;
}

/** Registers `capctl usage`. */
export function register(program: Command, host: Host): void {
  const command = program
    .command('usage [app]')
    .description(
      'the Connected Apps OAuth Usage page: every app the org lists with installed, blocked, effective access, users, sessions and denied attempts; with APP, each user of the app with first used, last used and total uses. Username-password sessions are not shown (one-time tokens), only counted.',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--desired <dir>', "show each app's owner, vendor and criticality as this desired-state folder declares them (default: capctl.yaml's, or desired, when it exists)")
    .addHelpText(
      'after',
      '\nWithout a desired-state folder the page shows the org only. A desired state with errors is a warning:\nthe page shows what its valid documents declare.\n\nExamples:\n  $ capctl usage\n  $ capctl usage Slack --org acme-prod\n  $ capctl usage --format json --org-state org-state --desired desired\n',
    )
    .action(async (app: string | undefined, options: UsageOptions) => {
      const settings = await resolveSettings({ desired: options.desired, orgState: options.orgState, org: options.org }, host);
      const { store, org } = await openSettingsOrg(liveSettings(settings, options.connection, host), { live: true });
      // Read aside, while the store is read: a large desired folder takes as long as a large store.
      const declared = readDeclared(settings.desired, options.desired !== undefined, org, host);
      // Awaited after the store is read; a store error stops the command first.
      declared.catch(() => undefined);
      await withApiReport(store, host, () => usagePages(host, store, org, app, options.format, declared));
    });
  addConnectionOption(addStoreOptions(command));
}

async function usagePages(host: Host, store: OrgStore, org: string, app: string | undefined, format: 'text' | 'json', declared: Promise<Declared | undefined>): Promise<void> {
  // The apps page's title needs only the org: print it before the apps are read (a large org
  // takes seconds to read), so that the page starts at once. JSON waits for a valid store.
  const titleFirst = app === undefined && format === 'text';
  const snapshot = await store.readSnapshot(org, {
    onOrg: titleFirst ? (orgFile, appCount) => host.out(renderUsageTitle({ name: org, id: orgFile.id }, appCount)) : undefined,
  });
  const api = apiMember(store).api;
  if (app === undefined) await printAppsPage(host, snapshot, format, await declared, api);
  else await printAppPage(host, snapshot, findApp(snapshot, app), format, await declared, api);
}

/**
 * The owner, vendor and criticality the desired folder declares for the org's apps; undefined when
 * there is no such folder (a warning when --desired named it). Its problems are warnings.
 */
async function readDeclared(dir: string, given: boolean, org: string, host: Host): Promise<Declared | undefined> {
  const notShown = 'owner, vendor and criticality are not shown';
  if (!existsSync(dir)) {
    if (given) host.err(`capctl: warning: the desired-state folder "${dir}" does not exist: ${notShown}\n`);
    return undefined;
  }
  const [{ loadDesiredStateAside }, { usageOwnership }, { renderDiagnosticsText }, { orderDiagnostics }, { count }] = await Promise.all([
    import('../../load/load-desired-aside.js'),
    import('../../render/usage-rows.js'),
    import('../../render/diagnostics.js'),
    import('../../plan/diagnostic.js'),
    import('../../render/plan-words.js'),
  ]);
  let loaded;
  try {
    loaded = await loadDesiredStateAside(dir, { now: host.now() });
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    host.err(`capctl: warning: ${error.message}: ${notShown}\n`);
    return undefined;
  }
  const errors = orderDiagnostics(loaded.diagnostics.filter((d) => d.severity === 'error'));
  if (errors.length > 0) {
    const more = errors.length > quotedErrors ? `  … and ${count(errors.length - quotedErrors, 'more error')} (capctl validate ${dir} lists every problem)\n` : '';
    host.err(
      `capctl: warning: the desired state in ${dir} has ${count(errors.length, 'error')}: owner, vendor and criticality are shown as its valid documents declare them\n` +
        renderDiagnosticsText(errors.slice(0, quotedErrors), { color: false }).replace(/^(?=.)/gm, '  ') +
        more,
    );
  }
  const declared = Object.hasOwn(loaded.desired.orgs, org) ? loaded.desired.orgs[org]!.apps.map((d) => d.doc) : [];
  return { desired: dir, ownership: usageOwnership(declared) };
}

async function printAppsPage(host: Host, snapshot: OrgSnapshot, format: 'text' | 'json', declared: Declared | undefined, api?: readonly unknown[]): Promise<void> {
  const orgRef: UsageOrgRef = { name: snapshot.slug, id: snapshot.org.id };
  const context = usageContext(snapshot);
  const accesses = snapshot.apps.map((app) => usageAccess(app, context));
  const totals = new UsageTotalsCounter();
  const pieces = new JsonArrayPieces();
  const layout = format === 'text' ? usageTableLayout(snapshot.apps, accesses, declared?.ownership) : undefined;
  host.out(layout ? renderUsageColumns(layout) : renderUsageJsonStart(orgRef, declared?.desired));
  for (let start = 0; start < snapshot.apps.length; start += chunkSize) {
    const rows = snapshot.apps.slice(start, start + chunkSize).map((app, i) => {
      const row = usageAppRow(app, accesses[start + i]!, declared?.ownership.get(app.name));
      totals.add(app, row);
      return row;
    });
    host.out(layout ? renderUsageRows(rows, layout, { color: host.color }) : pieces.items(rows));
    await host.drain();
  }
  host.out(layout ? renderUsageFooter(totals.result(), declared ? { desired: declared.desired, layout } : undefined) : renderUsageJsonEnd(pieces, totals.result(), api));
}

async function printAppPage(host: Host, snapshot: OrgSnapshot, app: ObservedApp, format: 'text' | 'json', declared: Declared | undefined, api?: readonly unknown[]): Promise<void> {
  const orgRef: UsageOrgRef = { name: snapshot.slug, id: snapshot.org.id };
  const row = usageAppRow(app, usageAccess(app, usageContext(snapshot)), declared?.ownership.get(app.name));
  const { users, hidden } = appUserUsage(app);
  const layout = format === 'text' ? userTableLayout(users) : undefined;
  const pieces = new JsonArrayPieces();
  host.out(layout ? renderAppUsageHeading(orgRef, row, layout) : renderAppUsageJsonStart(orgRef, row, declared?.desired));
  for (let start = 0; start < users.length; start += chunkSize) {
    const chunk = users.slice(start, start + chunkSize);
    host.out(layout ? renderAppUserRows(chunk, layout) : pieces.items(chunk));
    await host.drain();
  }
  const unknown = unknownFlowCount(app);
  host.out(layout ? renderAppUsageFooter(users.length, hidden, unknown) : renderAppUsageJsonEnd(pieces, hidden, unknown, api));
}
