// capctl check: the risk rules (SPEC §14) on the org as it is, or, with --desired, as the plan of
// that desired state would leave it (with its rule levels and RiskExceptions). Exit 1 when a deny
// finding stands. --format sarif for GitHub code scanning.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ExitCode } from '../../model/index.js';
import type { Host } from '../host.js';
import { resolveSettings } from '../settings.js';
import { addConnectionOption, addStoreOptions, apiMember, liveSettings, withApiReport, type StoreOptions } from '../store-options.js';

interface CheckOptions extends StoreOptions {
  desired?: string;
  format: 'text' | 'json' | 'sarif';
}

const help = `
Without --desired, the org as it is, every rule at its default level and no exception applying.
With --desired, the org as the plan of that folder would leave it, with its OrgSettings.rules
levels and RiskExceptions; exceptions that expire within 30 days are listed. Only the flag asks for
that view: a desired folder in capctl.yaml (or desired/) does not, so that check without it always
shows the exposure the org has now.

Exit codes: 0 no deny finding stands; 1 a deny finding stands (or bad input).

Examples:
  $ capctl check --org acme-prod
  $ capctl check --desired desired --format sarif > capctl.sarif
`;

/** Registers `capctl check`. */
export function register(program: Command, host: Host): void {
  const command = program
    .command('check')
    .description('evaluate the risk rules (CAPR001…) on the org as it is, or with --desired as the plan would leave it; exit 1 when a deny finding stands')
    .option('--desired <dir>', 'check the org as the plan of this desired-state folder would leave it, with its levels and exceptions');
  addConnectionOption(addStoreOptions(command))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .addHelpText('after', help)
    .action(async (options: CheckOptions) => {
      const settings = await resolveSettings({ desired: options.desired, orgState: options.orgState, org: options.org }, host);
      const [{ checkOrg }, { openStore }, { orderDiagnostics }, { riskDiagnostics }, { renderDiagnosticsText }] = await Promise.all([
        import('../../check-org.js'),
        import('../../store/open-store.js'),
        import('../../plan/diagnostic.js'),
        import('../../plan/risk/evaluate-risk.js'),
        import('../../render/diagnostics.js'),
      ]);
      // A connected org is read live (SPEC §13), its API calls said on stderr.
      const store = openStore(liveSettings(settings, options.connection, host), { live: true });
      const result = await withApiReport(store, host, () =>
        checkOrg({
          ...(options.desired !== undefined ? { desired: settings.desired } : {}),
          store,
          storeName: settings.orgState,
          ...(settings.org !== undefined ? { org: settings.org } : {}),
          now: host.now(),
        }),
      );
      if (result.loadWarnings.length > 0) host.err(renderDiagnosticsText(result.loadWarnings, { color: false }));
      const view = {
        ...result,
        ...(options.desired !== undefined ? { desired: settings.desired } : {}),
        diagnostics: orderDiagnostics(riskDiagnostics(result.risk, result.locate)),
        ...apiMember(store),
      };
      if (options.format === 'sarif') {
        const [{ renderRiskSarif }, { riskRules }] = await Promise.all([import('../../render/risk-sarif.js'), import('../../plan/risk/rules.js')]);
        host.out(renderRiskSarif(result.risk, { rules: riskRules, version: capctlVersion(), locate: result.locate }));
      } else {
        const { renderRiskJson, renderRiskText } = await import('../../render/risk-report.js');
        host.out(options.format === 'json' ? renderRiskJson(view) : renderRiskText(view, { color: host.color }));
      }
      const { riskCounts } = await import('../../render/risk-report.js');
      host.exitCode = riskCounts(result.risk).deny > 0 ? ExitCode.error : ExitCode.ok;
    });
}

function capctlVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
