// capctl apply [PLANFILE]: carry out a saved plan, or plan, show and confirm, then carry it out.
import { Option, type Command } from 'commander';
import { AbortedError, ExitCode, InputError, type Plan } from '../../model/index.js';
import { planFailed } from '../../render/plan-words.js';
import type { Host } from '../host.js';
import { createProgress, progressEnabled } from '../progress.js';
import { resolveSettings } from '../settings.js';
import { count } from '../../plan/count.js';
import type { ApiReport } from '../../store/api-reports.js';

interface ApplyOptions {
  actor?: string;
  autoApprove?: boolean;
  lockTimeout: string;
  commit: boolean;
  desired?: string;
  orgState?: string;
  org?: string;
  format: 'text' | 'json';
  quiet?: boolean;
  connection?: string;
}

const help = `
Exit codes: 0 applied (or nothing to apply); 1 error (bad input, a failed action: the actions
before it stay applied, and running the same apply again continues after them); 3 refused
(missing permissions; a stale, altered or foreign plan, or one that the desired folder, planned
again, does not give; the org locked by another apply; on a connected org, --actor naming another
user than the connected one, or an org whose remaining daily API allowance is below the apply's
estimated calls); 4 stopped before a manual step (a connected org's install, uninstall, or block of
an app known only from its tokens: no API does it): it says what to do and where; once it is done,
run the same apply again and it goes on.

Examples:
  $ capctl plan --out plan.json && capctl apply plan.json --actor ci-bot@acme.example
  $ CAPCTL_ACTOR=ci-bot@acme.example capctl apply --auto-approve --org acme-prod
`;

/** Registers `capctl apply`. */
export function register(program: Command, host: Host): void {
  program
    .command('apply [planfile]')
    .description(
      'carry out a plan saved with `capctl plan --out` (or, without PLANFILE, plan, show the plan and ask to confirm): each action checked against the permissions of the actor, recorded in the ledger, and the changed store files committed to git',
    )
    .option('--actor <username>', 'the org user the apply runs as (default: CAPCTL_ACTOR, or capctl.yaml)')
    .option('--auto-approve', 'apply without asking (needed without a terminal when there is no PLANFILE)')
    .option('--lock-timeout <seconds>', "how long to wait for the org's lock when another apply holds it", '0')
    .option('--no-commit', 'do not commit the changed store files to git')
    .option('--desired <dir>', "the desired-state folder: planned, or (with PLANFILE) the one the plan must have been made from (default: capctl.yaml's, or desired)")
    .option('--org-state <dir>', "the org store folder (default: capctl.yaml's, or org-state)")
    .option('--org <org>', "the org (default: the plan's, or the only org in the store)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--quiet', 'no progress bar on a terminal')
    .option('--connection <connection>', "apply to the org live through the Salesforce API: env, jwt or sf:ALIAS (default: capctl.yaml's orgs.<org>.connection); the actor is the connected user")
    .addHelpText('after', help)
    .action(async (planFile: string | undefined, options: ApplyOptions) => {
      await runApply(planFile, options, host);
    });
}

function parseLockTimeout(text: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new InputError(`--lock-timeout must be a number of seconds, not "${text}"`);
  return Math.round(seconds * 1000);
}

async function runApply(planFile: string | undefined, options: ApplyOptions, host: Host): Promise<void> {
  const settings = await resolveSettings({ desired: options.desired, orgState: options.orgState, org: options.org, actor: options.actor }, host);
  const given = settings.actor;
  const lockTimeoutMs = parseLockTimeout(options.lockTimeout);
  // Loaded on use, so that other commands start without them.
  const [{ applyOrg }, render, { renderPlanText }, { renderDiagnosticsText }, { liveSettings, sayApiCalls }] = await Promise.all([
    import('../../apply-org.js'),
    import('../../render/apply-report.js'),
    import('../../render/plan-text.js'),
    import('../../render/diagnostics.js'),
    import('../store-options.js'),
  ]);
  const json = options.format === 'json';
  const barShown = progressEnabled(host, options.quiet);
  const progress = createProgress(host, options.quiet);
  const held: string[] = [];
  const api: ApiReport[] = [];
  const report = await applyOrg({
    ...liveSettings(settings, options.connection, host),
    ...(planFile !== undefined ? { planFile } : {}),
    now: () => host.now(),
    lockTimeoutMs,
    commit: options.commit,
    ...(options.autoApprove ? {} : { confirm: (plan: Plan) => confirm(plan, given ?? 'the connected user', host) }),
    reporter: {
      warnings: (diagnostics) => host.err(renderDiagnosticsText(diagnostics, { color: false })),
      planned: (plan) => {
        if (!json) host.out(renderPlanText(plan, { color: host.color }));
        else if (planFailed(plan)) host.out(`${JSON.stringify({ plan }, null, 2)}\n`);
      },
      waiting: (holder, org) =>
        host.err(`Waiting up to ${options.lockTimeout}s for the lock of ${org}, held by ${holder.user} (${holder.command}, pid ${holder.pid} on ${holder.host}, since ${holder.acquiredAt})…\n`),
      started: (start, plan) => {
        if (start.remaining.length === 0) return;
        if (!json) host.out(render.renderApplyStart(plan.org.name, plan.digest, start.actor, start.resumed));
        progress.start(start.remaining.length, `applying to ${plan.org.name}`);
      },
      progress: (done) => progress.update(done),
      // With a bar on the terminal, the lines wait until it is gone, so the two never interleave.
      applied: (line) => {
        if (!json) (barShown ? held : { push: (t: string) => host.out(t) }).push(render.renderAppliedLine(line, host.color));
      },
      finished: () => {
        progress.stop();
        for (const text of held) host.out(text);
      },
      revokeProgress: (done, total, app) => progress.part(done, total, `revoking the sessions of ${app}`),
      apiCalls: (reports) => {
        api.push(...reports);
        sayApiCalls(reports, host);
      },
    },
  });
  if (json) host.out(`${JSON.stringify({ ...report, ...(api.length > 0 ? { api } : {}) }, null, 2)}\n`);
  else if (report.status === 'no-changes' || report.status === 'already-applied') host.out(render.renderApplyReportText(report, host.color));
  else host.out(render.renderApplySummary(report, host.color));
  if (report.status === 'failed' || report.commit?.status === 'failed') host.exitCode = ExitCode.error;
  else if (report.status === 'stopped-at-manual-step') host.exitCode = ExitCode.manualStep;
}

/** Asks on the terminal; anything but "yes" cancels. Without a terminal, --auto-approve is needed. */
async function confirm(plan: Plan, actor: string, host: Host): Promise<void> {
  if (!host.stdinIsTTY) {
    throw new InputError(
      'apply without a plan file asks for confirmation, but there is no terminal: pass --auto-approve, or apply a saved plan (capctl plan --out FILE; capctl apply FILE)',
    );
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const n = plan.actions.length;
    const answer = await rl.question(`\nApply ${count(n, 'action')} to ${plan.org.name} as ${actor}? Only 'yes' is accepted: `);
    if (answer.trim() !== 'yes') throw new AbortedError('Apply cancelled: nothing was changed.');
  } finally {
    rl.close();
  }
}
