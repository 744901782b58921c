// capctl import [--org ORG] [--org-state DIR] [--out DIR] [--force]
// capctl import --from-metadata DIR [--org ORG] [--out DIR] [--force]
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError, type Diagnostic } from '../../model/index.js';
import type { ImportResult } from '../../import/import-desired.js';
import { renderDiagnosticsText } from '../../render/diagnostics.js';
import { orderDiagnostics } from '../../plan/diagnostic.js';
import type { Host } from '../host.js';
import { assertOutputFile, assertOutputFolder } from '../output-path.js';
import { createProgress } from '../progress.js';
import { resolveSettings, type Settings } from '../settings.js';
import { addConnectionOption, addStoreOptions, apiMember, apiReports, liveSettings, openSettingsOrg, withApiReport, type ApiReport } from '../store-options.js';
import { count } from '../../plan/count.js';

interface ImportFlags {
  org?: string;
  orgState?: string;
  out?: string;
  connection?: string;
  force?: boolean;
  fromMetadata?: string;
  format: string;
  quiet?: boolean;
}

/** The org a metadata import declares: --org (or capctl.yaml's), else the store's only org. */
async function metadataOrg(settings: Settings): Promise<string> {
  const [{ openStore }, { compileSchema }] = await Promise.all([import('../../store/open-store.js'), import('../../load/schemas.js')]);
  if (settings.org !== undefined) {
    // The schema's own check, so that the slug written to every file is one validate accepts.
    if (!compileSchema('desired-state.schema.json#/$defs/OrgSlug')(settings.org)) {
      throw new InputError(`--org "${settings.org}" is not an org slug (lower-case letters, digits and dashes, at most 63 characters)`);
    }
    return settings.org;
  }
  if (existsSync(settings.orgState)) {
    const orgs = await openStore(settings).listOrgs();
    if (orgs.length === 1) return orgs[0]!;
  }
  throw new InputError('which org does this metadata belong to? name it with --org (for example --org acme-prod)');
}

function summary(result: ImportResult, outDir: string, from: string): string {
  const apps = result.declarations.apps.length;
  const parts = [count(apps, 'app')];
  if (result.declarations.settings) parts.unshift('org settings');
  const lines = [`Imported ${result.org} from ${from}: ${parts.join(' and ')}, ${result.files.length} files written to ${outDir}/.`];
  if (result.replaced.length > 0) lines.push(`Replaced ${count(result.replaced.length, 'existing file')} (--force).`);
  lines.push(`Next: capctl plan --desired ${outDir} --org ${result.org}`);
  return `${lines.join('\n')}\n`;
}

function report(result: ImportResult, outDir: string, from: string, flags: ImportFlags, host: Host, api: { api?: ApiReport[] } = {}): void {
  const diagnostics: Diagnostic[] = orderDiagnostics(result.diagnostics);
  if (flags.format === 'json') {
    host.out(
      `${JSON.stringify(
        { org: result.org, out: outDir, files: result.files, replaced: result.replaced, ...(result.used ? { used: result.used } : {}), diagnostics, ...api },
        null,
        2,
      )}\n`,
    );
    return;
  }
  if (diagnostics.length > 0) host.err(renderDiagnosticsText(diagnostics, { color: host.color && host.stderrIsTTY }));
  host.out(summary(result, outDir, from));
}

/** Registers `capctl import`. */
export function register(program: Command, host: Host): void {
  const command = program
    .command('import')
    .description('write desired-state YAML that matches an org as it is (from the org store, or from Salesforce metadata)');
  addConnectionOption(addStoreOptions(command))
    .option('--from-metadata <dir>', 'read an sfdx source tree (connected apps, external client apps, blocked consumers, settings) instead of the org store')
    .option('--out <dir>', 'where to write the YAML (default: the desired folder, desired)')
    .option('--force', 'replace files that already exist')
    .option('--format <format>', 'text or json', 'text')
    .option('--quiet', 'no progress bar on a terminal')
    .addHelpText(
      'after',
      '\nExamples:\n  $ capctl import --org acme-prod --out desired\n  $ capctl import --from-metadata force-app --org acme-prod --out desired\n',
    )
    .action(async (flags: ImportFlags) => {
      if (flags.format !== 'text' && flags.format !== 'json') throw new InputError(`--format must be text or json, not "${flags.format}"`);
      const settings = await resolveSettings({ org: flags.org, orgState: flags.orgState, ...(flags.out ? { desired: flags.out } : {}) }, host);
      // Never into the org store: not the folder, and not one file of it (a link inside --out may lead there).
      const outCheck = { readFolders: [{ dir: path.resolve(host.cwd, settings.orgState), name: `the org store ${settings.orgState}` }] };
      assertOutputFolder(path.resolve(host.cwd, settings.desired), { ...outCheck, shown: settings.desired });
      const progress = createProgress(host, flags.quiet);
      let started = false;
      const target = {
        outDir: settings.desired,
        force: flags.force === true,
        assertFile: (file: string) => void assertOutputFile(path.resolve(host.cwd, file), { ...outCheck, shown: file }),
        onProgress: (done: number, total: number) => {
          if (!started) progress.start(total, `writing ${settings.desired}/`);
          started = true;
          progress.update(done);
          if (done === total) progress.stop();
        },
      };
      // Loaded on use, so that other commands start without the XML parser.
      const { importFromMetadata, importFromStore } = await import('../../import/import-desired.js');
      if (flags.fromMetadata !== undefined) {
        const org = await metadataOrg(settings);
        const result = await importFromMetadata(flags.fromMetadata, org, target);
        report(result, target.outDir, `the metadata in ${flags.fromMetadata}`, flags, host);
        return;
      }
      const { store, org } = await openSettingsOrg(liveSettings(settings, flags.connection, host), { live: true });
      const result = await withApiReport(store, host, () => importFromStore(store, org, settings.orgState, target));
      const live = apiReports(store)[0];
      report(result, target.outDir, live ? `the live org (${live.connection})` : `the org store ${settings.orgState}`, flags, host, apiMember(store));
    });
}
