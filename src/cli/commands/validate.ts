// capctl validate [DIR]: schema and cross-file checks of the desired state; every problem at once.
import { statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ExitCode } from '../../model/index.js';
import { countDiagnostics, renderDiagnosticsText } from '../../render/diagnostics.js';
import { orderDiagnostics } from '../../plan/diagnostic.js';
import { count } from '../../render/plan-words.js';
import type { Host } from '../host.js';
import { resolveSettings } from '../settings.js';

interface ValidateOptions {
  desired?: string;
  orgState?: string;
  format: 'text' | 'json';
}

/** Registers `capctl validate`. */
export function register(program: Command, host: Host): void {
  program
    .command('validate [dir]')
    .description('check the desired state: schema and cross-file checks, every problem at once (nothing is written)')
    .option('--desired <dir>', 'the desired-state folder, when DIR is not given (default: capctl.yaml\'s, or desired)')
    .option('--org-state <dir>', "the org store whose orgs each document must name, when it is there (default: capctl.yaml's, or org-state)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExit codes: 0 no errors (warnings allowed), 1 errors.\n\nExample:\n  $ capctl validate examples/acme\n  $ capctl validate --format json desired\n',
    )
    .action(async (dir: string | undefined, options: ValidateOptions) => {
      const settings = await resolveSettings({ desired: options.desired, orgState: options.orgState }, host);
      const folder = dir ?? settings.desired;
      // Loaded on use: YAML, JSON Schema and globbing need not slow down every other command's start.
      const { loadDesiredState } = await import('../../load/load-desired.js');
      const { diagnostics, documents, desired } = await loadDesiredState(folder, { now: host.now() });
      const orgs = await storeOrgs(settings.orgState, options.orgState !== undefined);
      if (orgs) diagnostics.push(...(await import('../../load/check-orgs.js')).checkDeclaredOrgs(desired, orgs, settings.orgState));
      const sorted = orderDiagnostics(diagnostics);
      const errors = sorted.filter((d) => d.severity === 'error').length;
      const warnings = sorted.filter((d) => d.severity === 'warning').length;
      const files = desired.files.length;
      if (options.format === 'json') {
        const summary = { dir: folder, files, documents, errors, warnings };
        host.out(`${JSON.stringify({ diagnostics: sorted, summary }, null, 2)}\n`);
      } else {
        host.out(renderDiagnosticsText(sorted, { color: host.color }));
        const label = folder.replace(/(.)\/+$/, '$1');
        host.out(`${label}: ${count(documents, 'document')} in ${count(files, 'file')}, ${countDiagnostics(sorted)}\n`);
      }
      host.exitCode = errors > 0 ? ExitCode.error : ExitCode.ok;
    });
}

/**
 * The orgs of the store, when there is one to see: the folder given with --org-state must be a
 * store; the default (or capctl.yaml's) is looked at only when it is there.
 */
async function storeOrgs(root: string, given: boolean): Promise<string[] | undefined> {
  if (!given && !statSync(root, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  const { openStore } = await import('../../store/open-store.js');
  return openStore({ orgState: root }).listOrgs();
}
