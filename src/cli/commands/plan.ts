// capctl plan: what an apply would do to the org, in order, with the permissions each action needs
// and what it costs the org's users; optionally saved (--out) for a later `capctl apply FILE`.
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ExitCode, InputError, type Plan } from '../../model/index.js';
import { count, planFailed } from '../../render/plan-words.js';
import type { Host } from '../host.js';
import { assertOutputFile, type OutputCheck } from '../output-path.js';
import { readAndPlanNow } from '../read-and-plan-now.js';
import { resolveSettings, type Settings } from '../settings.js';

interface PlanOptions {
  desired?: string;
  orgState?: string;
  org?: string;
  actor?: string;
  format: 'text' | 'json' | 'markdown';
  out?: string;
  detailedExitcode?: boolean;
  connection?: string;
  offline?: boolean;
}

const help = `
Exit codes: 0 success (no changes, or changes without --detailed-exitcode); 1 errors (bad input,
plan errors); 2 the plan has changes (only with --detailed-exitcode).

Examples:
  $ capctl plan --desired examples/acme --org-state org-state
  $ capctl plan --actor ci-bot@acme.example --format markdown > plan.md
  $ capctl plan --out plan.json && capctl apply plan.json --actor ci-bot@acme.example
`;

/** Registers `capctl plan`. */
export function register(program: Command, host: Host): void {
  program
    .command('plan')
    .description('show the actions that would make the org match the desired state: in order, with the permissions each needs, and the sessions each ends')
    .option('--desired <dir>', "the desired-state folder (default: capctl.yaml's, or desired)")
    .option('--org-state <dir>', "the org store folder (default: capctl.yaml's, or org-state)")
    .option('--org <org>', 'the org (default: the only org in the store)')
    .option('--actor <username>', "check each action against this org user's permissions (default: CAPCTL_ACTOR)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'also save the plan as JSON, for `capctl apply FILE`')
    .option('--detailed-exitcode', 'exit 2 when the plan has changes')
    .option('--connection <connection>', "read the org live through the Salesforce API: env, jwt or sf:ALIAS (default: capctl.yaml's orgs.<org>.connection)")
    .option('--offline', 'plan against the store (org-state/) even when the org has a connection')
    .addHelpText('after', help)
    .action(async (options: PlanOptions) => {
      const settings = await resolveSettings({ desired: options.desired, orgState: options.orgState, org: options.org, actor: options.actor }, host);
      const out = options.out === undefined ? undefined : outFileCheck(options.out, settings, host);
      if (out) assertOutFile(out);
      const plan = await readAndPlanNow(settings, host, undefined, { ...(options.connection !== undefined ? { connection: options.connection } : {}), offline: options.offline === true });
      host.out(await render(plan, options.format, host.color));

      if (planFailed(plan)) {
        const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
        host.err(`capctl: the plan has ${count(errors, 'error')}, so it has no actions${options.out ? ` (${options.out} not written)` : ''}\n`);
        host.exitCode = ExitCode.error;
        return;
      }
      if (out) {
        const [{ replaceFileDurably }, { renderPlanJson }] = await Promise.all([import('../../store/durable-fs.js'), import('../../render/plan-json.js')]);
        // Again just before the write: the path may have changed while the plan was made.
        assertOutFile(out);
        await replaceFileDurably(out.file, renderPlanJson(plan));
        host.err(`Saved the plan to ${options.out}: apply it with \`capctl apply ${options.out}\`.\n`);
      }
      host.exitCode = plan.actions.length > 0 && options.detailedExitcode ? ExitCode.changes : ExitCode.ok;
    });
}

/** Where --out writes (as given and resolved), and what it must stay out of: the org store and the desired folder the plan is made from. */
interface OutFile extends OutputCheck {
  given: string;
  file: string;
}

function outFileCheck(out: string, settings: Settings, host: Host): OutFile {
  return {
    given: out,
    file: path.resolve(host.cwd, out),
    shown: `--out ${out}`,
    readFolders: [
      { dir: path.resolve(host.cwd, settings.orgState), name: `the org store ${settings.orgState}` },
      { dir: path.resolve(host.cwd, settings.desired), name: `the desired folder ${settings.desired}` },
    ],
  };
}

/** Refuses an --out that cannot be saved as a regular file outside the folders read: a folder, a link, a FIFO, a device, a path under a file, a path in the store or the desired folder. */
function assertOutFile(out: OutFile): void {
  if (isFolder(out.file)) {
    throw new InputError(`--out ${out.given} is a folder: name the file to save the plan in (for example --out ${path.join(out.given, 'plan.json')})`);
  }
  assertOutputFile(out.file, out);
}

async function render(plan: Plan, format: PlanOptions['format'], color: boolean): Promise<string> {
  if (format === 'json') return (await import('../../render/plan-json.js')).renderPlanJson(plan);
  if (format === 'markdown') return (await import('../../render/plan-markdown.js')).renderPlanMarkdown(plan);
  return (await import('../../render/plan-text.js')).renderPlanText(plan, { color });
}

/** Whether a folder itself (not a link to one) stands at the path; anything else is left to assertOutputFile. */
function isFolder(file: string): boolean {
  try {
    return lstatSync(file).isDirectory();
  } catch {
    return false;
  }
}
