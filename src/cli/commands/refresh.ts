// capctl refresh: record the org as it is now (for the file store, its files as they are), so that
// changes made outside capctl are never absorbed silently: one observed ledger line and, in git,
// a refresh commit of its own. Nothing changed: nothing is written.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { appMetadataCacheFileName, LiveOrgStore, sessionsCacheFileName } from '../../salesforce/live-org-store.js';
import { replaceFileDurably } from '../../store/durable-fs.js';
import { formatJson } from '../../store/json-format.js';
import type { LockInfo } from '../../store/org-store.js';
import { ExitCode, InputError } from '../../model/index.js';
import type { Host } from '../host.js';
import { addConnectionOption, addStoreOptions, apiReports, liveSettings, noStateFolder, openSettingsOrg, withApiReport, type StoreOptions } from '../store-options.js';
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
      const [{ store, org }, { refreshOrg }, { observeChanges }, { recordPendingApplies }, { renderRefreshText }] = await Promise.all([
        openSettingsOrg(liveSettings(settings, options.connection, host), { live: true }),
        import('../../apply/refresh-org.js'),
        import('../../audit/observe-changes.js'),
        import('../../audit/record-apply.js'),
        import('../../render/refresh-report.js'),
      ]);
      const lockTimeoutMs = Math.round(seconds * 1000);
      const onWait = (holder: LockInfo): void => host.err(`Waiting up to ${options.lockTimeout}s for the lock of ${org}, held by ${holder.user} (${holder.command}, pid ${holder.pid})…\n`);
      if (store instanceof LiveOrgStore && store.connectionOf(org) !== undefined) {
        const live = store;
        const report = await withApiReport(store, host, async () => {
          const [{ refreshLiveOrg }, { describeChangedFiles }] = await Promise.all([import('../../apply/refresh-live-org.js'), import('../../audit/observe-changes.js')]);
          const folder = store.stateFolder(org);
          const orgDir = folder.dir;
          return refreshLiveOrg({
            store,
            org,
            actor,
            now: () => host.now(),
            lockTimeoutMs,
            command: 'capctl refresh',
            readStored: () => live.storedSnapshot(org),
            readLive: async (stored) => {
              const read = await live.readLive(org, stored ? { previous: stored } : {});
              const write = async (): Promise<void> => {
                await replaceFileDurably(path.join(orgDir, appMetadataCacheFileName), formatJson(read.appMetadata));
                // No sessions cache (some tokens could not be read) is an empty one: the next read reads every token.
                await replaceFileDurably(path.join(orgDir, sessionsCacheFileName), formatJson(read.sessions ?? {}));
              };
              return { snapshot: read.snapshot, kept: { files: [appMetadataCacheFileName, sessionsCacheFileName], write } };
            },
            createFolder: () => mkdir(orgDir, { recursive: true }).then(() => undefined),
            describe: (files) => describeChangedFiles(files),
            ...(options.commit ? { recordPending: (ledger, upToSeq) => recordPendingApplies(org, folder, ledger, upToSeq, { planDigest: 'none', desiredCommit: null }) } : {}),
            onWait,
          });
        });
        if (options.format === 'json') host.out(`${JSON.stringify({ ...report, api: apiReports(store) }, null, 2)}\n`);
        else host.out(renderRefreshText(report));
        if (report.recorded?.commit.status === 'failed') host.exitCode = ExitCode.error;
        return;
      }
      const folder = store.stateFolder(org) ?? noStateFolder(org);
      const report = await refreshOrg({
        store,
        org,
        actor,
        now: () => host.now(),
        lockTimeoutMs,
        command: 'capctl refresh',
        audit: {
          observe: (snapshot, ledger) => observeChanges(snapshot, ledger, folder),
          ...(options.commit ? { recordPending: (ledger, upToSeq, current) => recordPendingApplies(org, folder, ledger, upToSeq, current) } : {}),
        },
        onWait,
      });
      if (options.format === 'json') host.out(`${JSON.stringify(report, null, 2)}\n`);
      else host.out(renderRefreshText(report));
      if (report.recorded?.commit.status === 'failed') host.exitCode = ExitCode.error;
    });
}
