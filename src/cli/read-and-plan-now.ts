// Plans the org now, as `capctl plan` does (`capctl apply` without a plan file plans the same way,
// in apply-org.ts): from the desired state and the store the settings name, as the settings'
// actor; the desired state's load warnings go to stderr.
import type { Plan } from '../model/index.js';
import type { OrgStore } from '../store/org-store.js';
import type { Host } from './host.js';
import type { Settings } from './settings.js';

/** How `capctl plan` reads the org: `--connection`, `--offline` (apply plans on the store only). */
export interface PlanReads {
  connection?: string;
  offline?: boolean;
}

/**
 * The plan of the settings' org now (in `store`, else the settings' org store), load warnings
 * printed on stderr. With `reads`, a connected org is read live (writing nothing), and the API
 * calls it took are said on stderr.
 */
export async function readAndPlanNow(settings: Settings, host: Host, store?: OrgStore, reads?: PlanReads): Promise<Plan> {
  // Loaded on use, so that other commands start without YAML, JSON Schema or git.
  const [{ planOrgNow }, { renderDiagnosticsText }, { assertNoConnection, openStore }, { selectOrg }] = await Promise.all([
    import('../read-and-plan-org.js'),
    import('../render/diagnostics.js'),
    import('../store/open-store.js'),
    import('../store/select-org.js'),
  ]);
  const storeSettings = reads ? { ...settings, ...(reads.connection !== undefined ? { connection: reads.connection } : {}), offline: reads.offline === true, env: host.env } : settings;
  const orgStore = store ?? openStore(storeSettings, reads ? { live: true } : {});
  // The org first (the one named, else the only one): without `reads`, an org capctl.yaml connects is refused before any read.
  const org = await selectOrg(orgStore, settings.org, settings.orgState);
  if (!reads) assertNoConnection(settings, org, 'plan');
  const { sayApiCalls } = await import('./store-options.js');
  return planOrgNow({
    desired: settings.desired,
    store: orgStore,
    storeName: settings.orgState,
    org,
    ...(settings.actor !== undefined ? { actor: settings.actor } : {}),
    now: host.now(),
    reporter: {
      apiCalls: (reports) => sayApiCalls(reports, host),
      warnings: (warnings) => host.err(renderDiagnosticsText(warnings, { color: false })),
    },
  });
}
