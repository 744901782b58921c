// capctl contain APP... | --vendor V --reason TEXT: incident response in one step (SPEC §14).
import { Option, type Command } from 'commander';
import { ExitCode, InputError, type CommitOutcome } from '../../model/index.js';
import { escapeControls } from '../../render/escape-text.js';
import type { Host } from '../host.js';
import { resolveSettings } from '../settings.js';

interface ContainOptions {
  vendor?: string;
  reason?: string;
  actor?: string;
  dryRun?: boolean;
  commit: boolean;
  lockTimeout: string;
  desired?: string;
  orgState?: string;
  org?: string;
}

const help = `
Blocks the apps and ends all their sessions now, checked as any apply is (the actor's permissions,
the guards: a protected app is contained only after a reviewed change of guards.protectedApps),
and writes the same change into the desired state (blocked: true, and a Revocation CONTAIN-…) in
the same git commit as the apply, with a Capctl-Contain trailer. Afterwards, plan says No changes.

Exit codes: 0 contained (or, with --dry-run, planned); 1 bad input or plan errors (nothing written);
3 refused (missing permissions, the org locked): nothing written.

Examples:
  $ capctl contain "Drift" --reason "INC-7731: Salesloft Drift tokens replayed" --actor secops@acme.example
  $ capctl contain --vendor Gainsight --reason "vendor breach notice" --dry-run
`;

/** Registers `capctl contain`. */
export function register(program: Command, host: Host): void {
  program
    .command('contain [apps...]')
    .description('incident response: block the apps (or every app declared with --vendor) and end all their sessions now, and write the same change into the desired state, in one commit')
    .option('--vendor <vendor>', 'contain every app declared with this vendor')
    .option('--reason <text>', 'why: the incident, for the record (required)')
    .option('--actor <username>', 'the org user it runs as (default: CAPCTL_ACTOR, or capctl.yaml)')
    .option('--dry-run', 'show the plan only: nothing is written')
    .option('--no-commit', 'do not commit to git')
    .option('--lock-timeout <seconds>', "how long to wait for the org's lock", '0')
    .option('--desired <dir>', "the desired-state folder (default: capctl.yaml's, or desired)")
    .option('--org-state <dir>', "the org store folder (default: capctl.yaml's, or org-state)")
    .addOption(new Option('--org <org>', 'the org (default: the only org in the store)'))
    .addHelpText('after', help)
    .action(async (apps: string[], options: ContainOptions) => {
      if (apps.length > 0 && options.vendor !== undefined) throw new InputError('contain takes apps, or --vendor, not both');
      if (apps.length === 0 && options.vendor === undefined) throw new InputError('contain needs the apps to contain (capctl contain APP...), or --vendor V');
      if (options.reason === undefined || options.reason.trim() === '') throw new InputError('contain needs --reason TEXT: why the apps are contained, for the record');
      const settings = await resolveSettings({ desired: options.desired, orgState: options.orgState, org: options.org, actor: options.actor }, host);
      if (!settings.actor) throw new InputError('contain needs the user it runs as: --actor USERNAME, or CAPCTL_ACTOR');
      const seconds = Number(options.lockTimeout);
      if (!Number.isFinite(seconds) || seconds < 0) throw new InputError(`--lock-timeout must be a number of seconds, not "${options.lockTimeout}"`);
      const [{ containApps }, { assertNoConnection, openStore }, { selectOrg }, { renderPlanText }, render] = await Promise.all([
        import('../../contain.js'),
        import('../../store/open-store.js'),
        import('../../store/select-org.js'),
        import('../../render/plan-text.js'),
        import('../../render/apply-report.js'),
      ]);
      const store = openStore(settings);
      // The org named, else the only one: one that capctl.yaml connects is refused before anything is read.
      const org = await selectOrg(store, settings.org, settings.orgState);
      assertNoConnection(settings, org, 'contain');
      const result = await containApps({
        desired: settings.desired,
        store,
        storeName: settings.orgState,
        org,
        apps,
        ...(options.vendor !== undefined ? { vendor: options.vendor } : {}),
        reason: options.reason,
        actor: settings.actor,
        now: () => host.now(),
        dryRun: options.dryRun === true,
        commit: options.commit,
        lockTimeoutMs: Math.round(seconds * 1000),
        onPlan: (plan) => host.out(renderPlanText(plan, { color: host.color })),
      });
      if (!result.report) {
        host.out(`\nDry run: nothing was written. Without --dry-run, capctl contain would also write ${result.contained.flatMap((c) => c.files).join(', ')}.\n`);
        return;
      }
      host.out(render.renderApplySummary(result.report, host.color));
      const already = result.desiredCommit ? `: ${result.org} already matched (blocked, no session left), so nothing was applied` : '';
      host.out(`\nContained in ${result.org}: ${result.contained.map((c) => `"${c.app.name}" (${c.revocation})`).join(', ')}${already}.\n`);
      host.out(`The desired state says so: ${result.contained.flatMap((c) => c.files).join(', ')}.\n`);
      if (result.desiredCommit) host.out(desiredCommitLine(result.desiredCommit));
      host.out(reauthorization(result.contained.map((c) => c.app.name)));
      const failed = result.report.status === 'failed' || result.report.commit?.status === 'failed' || result.desiredCommit?.status === 'failed';
      if (failed) host.exitCode = ExitCode.error;
    });
}

/** Where the desired change of a containment that applied nothing was recorded. */
function desiredCommitLine(outcome: CommitOutcome): string {
  switch (outcome.status) {
    case 'committed':
      return `Committed ${outcome.commit.slice(0, 12)}: ${escapeControls(outcome.subject)}\n`;
    case 'not-in-a-repository':
      return 'The desired state is not in a git repository: no commit was made.\n';
    case 'nothing-to-commit':
      return 'Git: nothing to commit.\n';
    case 'skipped':
      return 'Not committed (--no-commit): commit the desired files to record the containment.\n';
    case 'failed':
      return `Git commit failed: ${outcome.message}: the desired files are written but not committed; commit them to record the containment.\n`;
  }
}

/** What to do, later, to let the apps back in. */
function reauthorization(apps: readonly string[]): string {
  const names = apps.map((a) => `"${a}"`).join(', ');
  return (
    `\nTo let ${names} back in, once the incident is closed:\n` +
    `  1. Have the vendor confirm the fix, and rotate what the apps hold: the consumer secret, the\n` +
    `     integration user's password, and any credential of the org the vendor stored.\n` +
    `  2. Consider admin-approved permitted users, ipRelaxation: ENFORCE and a refresh token lifetime\n` +
    `     for the apps, and API client allowlisting (adminApprovedAppsOnly: true).\n` +
    `  3. In a reviewed pull request, set blocked: false in their declarations (keep the CONTAIN-\n` +
    `     Revocations as the record): the plan warns the reviewer (CAPR008) with who contained them, when and why.\n` +
    `  4. After the apply, users authorize the apps again: every old token was revoked.\n`
  );
}
