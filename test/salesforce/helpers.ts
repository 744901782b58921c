// Shared set-up of the live-org tests: the bundled example read by the file store, the fake org
// seeded from it, and a client of the real jsforce-based SfClient on it.
import path from 'node:path';
import type { ObservedApp, OrgSnapshot } from '../../src/model/index.js';
import { createClient, type ClientOptions, type SfClient } from '../../src/salesforce/client.js';
import { derivedAppId } from '../../src/salesforce/derived-id.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { startFakeOrg, type FakeOrg, type FakeOrgOptions } from '../../src/fake-org/server.js';
import { repoRoot } from '../helpers/cli.js';

/** The bundled example, as the file store reads it. */
export async function bundledSnapshot(): Promise<OrgSnapshot> {
  return new FileOrgStore(path.join(repoRoot, 'org-state')).readSnapshot('acme-prod');
}

/** A fake org seeded from a snapshot (the bundled example by default), with a client on it. */
export async function fakeWithClient(
  options: Partial<FakeOrgOptions> = {},
  clientOptions: ClientOptions = {},
): Promise<{ fake: FakeOrg; client: SfClient; snapshot: OrgSnapshot }> {
  const snapshot = options.snapshot ?? (await bundledSnapshot());
  const fake = await startFakeOrg({ ...options, snapshot });
  const client = createClient({ connection: `env (${fake.url})`, instanceUrl: fake.url, accessToken: fake.accessToken }, { retryDelayMs: 0, ...clientOptions });
  return { fake, client, snapshot };
}

/**
 * The file store's snapshot as a live org shows it (SPEC §13): every session's flow unknown,
 * denied attempts not observed, uninstalled apps known only from their tokens or their block
 * (with a derived id, not packaged as far as the API tells), the others not listed.
 */
export function asLiveOrgShowsIt(snapshot: OrgSnapshot): Pick<OrgSnapshot, 'org' | 'users' | 'apps'> {
  const apps: ObservedApp[] = [];
  for (const app of snapshot.apps) {
    const sessions = app.sessions.map((s) => ({ ...s, flow: 'unknown' as const }));
    if (app.installed) {
      apps.push({ ...app, deniedAttempts: null, sessions });
    } else if (sessions.length > 0 || app.blocked) {
      apps.push({ id: derivedAppId(app.name), name: app.name, type: app.type, packaged: false, installed: false, blocked: app.blocked, deniedAttempts: null, derivedId: true, sessions });
    }
  }
  apps.sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0));
  return { org: { ...snapshot.org, revision: 0 }, users: snapshot.users, apps };
}
