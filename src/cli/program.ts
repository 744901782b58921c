// The commander program: every command registered, errors turned into exit codes in one place.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CapctlError, ExitCode } from '../model/index.js';
import { escapeLines } from '../render/escape-text.js';
import { renderDiagnosticsText } from '../render/diagnostics.js';
import { processHost, type Host } from './host.js';
import { register as registerApply } from './commands/apply.js';
import { register as registerApprovalUrl } from './commands/approval-url.js';
import { register as registerCheck } from './commands/check.js';
import { register as registerContain } from './commands/contain.js';
import { register as registerDrift } from './commands/drift.js';
import { register as registerHistory } from './commands/history.js';
import { register as registerPlan } from './commands/plan.js';
import { register as registerRefresh } from './commands/refresh.js';
import { register as registerUnlock } from './commands/unlock.js';
import { register as registerUsage } from './commands/usage.js';
import { register as registerValidate } from './commands/validate.js';
import { register as registerVerify } from './commands/verify.js';
import { register as registerImport } from './commands/import.js';
import { register as registerExport } from './commands/export.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The capctl command line, with every command registered. */
export function buildProgram(host: Host): Command {
  const program = new Command('capctl')
    .description('GitOps reconciler for Salesforce connected-app access')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => host.out(s), writeErr: (s) => host.err(s) })
    .exitOverride();
  program.addHelpText('after', '\nExample:\n  $ capctl plan --desired examples/acme --org-state org-state --org acme-prod\n');
  const commands = [
    registerValidate,
    registerPlan,
    registerApply,
    registerUsage,
    registerHistory,
    registerVerify,
    registerDrift,
    registerRefresh,
    registerCheck,
    registerContain,
    registerImport,
    registerExport,
    registerApprovalUrl,
    registerUnlock,
  ];
  for (const register of commands) register(program, host);
  return program;
}

/** Runs the CLI with the given arguments and resolves to the exit code. */
export async function runCli(argv: string[], host: Host = processHost()): Promise<number> {
  const program = buildProgram(host);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return host.exitCode;
  } catch (error) {
    return reportError(error, host);
  }
}

function reportError(error: unknown, host: Host): number {
  if (error instanceof CommanderError) {
    // Help and version exit 0; unknown commands and options, commander's other errors, exit 1.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.error;
  }
  if (error instanceof CapctlError) {
    if (error.diagnostics.length > 0) host.err(renderDiagnosticsText(error.diagnostics, { color: false }));
    // A message may quote a name (an app, a lock's holder): its line breaks are kept, its controls escaped.
    host.err(`capctl: ${escapeLines(error.message)}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  host.err(`capctl: internal error (a bug; please report it):\n${stack}\n`);
  return ExitCode.error;
}
