// capctl export --metadata DIR [--desired DIR] [--org ORG]
import path from 'node:path';
import type { Command } from 'commander';
import { declarationsOf, InputError } from '../../model/index.js';
import { renderDiagnosticsText } from '../../render/diagnostics.js';
import { orderDiagnostics } from '../../plan/diagnostic.js';
import { chooseOrg } from '../../store/select-org.js';
import type { Host } from '../host.js';
import { assertOutputFile, assertOutputFolder } from '../output-path.js';
import { resolveSettings } from '../settings.js';

interface ExportFlags {
  metadata: string;
  desired?: string;
  org?: string;
  format: string;
}

/** The org to export: --org (or capctl.yaml's) when the desired state declares it, else the only one it declares. */
function chooseDesiredOrg(requested: string | undefined, orgs: readonly string[], dir: string): string {
  return chooseOrg(requested, orgs, {
    unknown: (org, declared) => new InputError(`${dir} declares nothing for org "${org}" (it declares: ${declared.join(', ') || 'no org'})`),
    none: () => new InputError(`${dir} declares no org`),
    several: (declared) => new InputError(`${dir} declares several orgs (${declared.join(', ')}): choose one with --org`),
  });
}

/** Registers `capctl export`. */
export function register(program: Command, host: Host): void {
  program
    .command('export')
    .description("write the declarations' access policies into Salesforce metadata (an sfdx source tree), changing only what capctl manages")
    .requiredOption('--metadata <dir>', 'the sfdx source tree (or package folder) to write into')
    .option('--desired <dir>', 'the desired-state folder (default: desired)')
    .option('--org <org>', 'the org (default: capctl.yaml, or the only org declared)')
    .option('--format <format>', 'text or json', 'text')
    .addHelpText('after', '\nExample:\n  $ capctl export --metadata force-app --desired desired --org acme-prod\n  $ sf project deploy start --source-dir force-app\n')
    .action(async (flags: ExportFlags) => {
      if (flags.format !== 'text' && flags.format !== 'json') throw new InputError(`--format must be text or json, not "${flags.format}"`);
      const settings = await resolveSettings({ desired: flags.desired, org: flags.org }, host);
      // Never into what capctl reads: the desired folder exported from, and the org store.
      const readFolders = [
        { dir: path.resolve(host.cwd, settings.desired), name: `the desired folder ${settings.desired}` },
        { dir: path.resolve(host.cwd, settings.orgState), name: `the org store ${settings.orgState}` },
      ];
      assertOutputFolder(path.resolve(host.cwd, flags.metadata), { shown: `--metadata ${flags.metadata}`, readFolders });
      // Loaded on use, so that other commands start without the XML parser.
      const [{ loadDesiredState }, { writeMetadataExport }] = await Promise.all([
        import('../../load/load-desired.js'),
        import('../../metadata/write-metadata.js'),
      ]);
      const loaded = await loadDesiredState(settings.desired, { now: host.now() });
      const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) throw new InputError(`${settings.desired}: the desired state has errors; nothing written`, orderDiagnostics(errors));
      const org = chooseDesiredOrg(settings.org, Object.keys(loaded.desired.orgs).sort(), settings.desired);
      const plan = await writeMetadataExport(flags.metadata, declarationsOf(loaded.desired.orgs[org]!), {
        assertFile: (file) => void assertOutputFile(path.resolve(host.cwd, file), { shown: file, readFolders }),
      });
      const diagnostics = orderDiagnostics(plan.diagnostics);
      if (flags.format === 'json') {
        host.out(`${JSON.stringify({ org, metadata: flags.metadata, written: plan.writes.map((w) => ({ path: w.path, created: w.created })), unchanged: plan.unchanged, diagnostics }, null, 2)}\n`);
        return;
      }
      if (diagnostics.length > 0) host.err(renderDiagnosticsText(diagnostics, { color: host.color && host.stderrIsTTY }));
      const lines = plan.writes.map((w) => `  ${w.created ? 'created' : 'changed'}  ${w.path}`);
      const created = plan.writes.filter((w) => w.created).length;
      lines.push(`Exported ${org} to ${flags.metadata}: ${created} created, ${plan.writes.length - created} changed, ${plan.unchanged.length} unchanged.`);
      host.out(`${lines.join('\n')}\n`);
    });
}
