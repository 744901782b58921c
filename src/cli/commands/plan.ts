// capctl plan: what an apply would do to the org, in order, with the permissions each action needs
// and what it costs the org's users; optionally saved (--out) for a later `capctl apply FILE`.
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ExitCode, InputError, type Plan } from '../../model/index.js';
import { count, planFailed } from '../../render/plan-words.js';
import type { Host } from '../host.js';
import { planNow } from '../plan-now.js';
import { resolveSettings } from '../settings.js';

interface PlanOptions {
  desired?: string;
  orgState?: string;
  org?: string;
  actor?: string;
  format: 'text' | 'json' | 'markdown';
  out?: string;
  detailedExitcode?: boolean;
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
    .addHelpText('after', help)
    .action(async (options: PlanOptions) => {
      if (options.out) checkOutFile(path.resolve(host.cwd, options.out), options.out);
      const settings = await resolveSettings({ desired: options.desired, orgState: options.orgState, org: options.org, actor: options.actor }, host);
      const plan = await planNow(settings, host);
      host.out(await render(plan, options.format, host.color));

      if (planFailed(plan)) {
        const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
        host.err(`capctl: the plan has ${count(errors, 'error')}, so it has no actions${options.out ? ` (${options.out} not written)` : ''}\n`);
        host.exitCode = ExitCode.error;
        return;
      }
      if (options.out) {
        const [{ replaceFileDurably }, { renderPlanJson }] = await Promise.all([import('../../store/durable-fs.js'), import('../../render/plan-json.js')]);
        await replaceFileDurably(path.resolve(host.cwd, options.out), renderPlanJson(plan));
        host.err(`Saved the plan to ${options.out}: apply it with \`capctl apply ${options.out}\`.\n`);
      }
      host.exitCode = plan.actions.length > 0 && options.detailedExitcode ? ExitCode.changes : ExitCode.ok;
    });
}

/** Refuses, before planning, an --out that cannot be written as a file: a folder, or a path under a file. */
function checkOutFile(file: string, shown: string): void {
  if (statIfThere(file)?.isDirectory()) {
    throw new InputError(`--out ${shown} is a folder: name the file to save the plan in (for example --out ${path.join(shown, 'plan.json')})`);
  }
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const found = statIfThere(dir);
    if (found) {
      if (!found.isDirectory()) throw new InputError(`--out ${shown}: ${dir} is a file, not a folder`);
      return;
    }
    if (path.dirname(dir) === dir) return;
  }
}

async function render(plan: Plan, format: PlanOptions['format'], color: boolean): Promise<string> {
  if (format === 'json') return (await import('../../render/plan-json.js')).renderPlanJson(plan);
  if (format === 'markdown') return (await import('../../render/plan-markdown.js')).renderPlanMarkdown(plan);
  return (await import('../../render/plan-text.js')).renderPlanText(plan, { color });
}

/** The stats of a path, or undefined when there is nothing there (or a file stands where a folder of it would be). */
function statIfThere(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
