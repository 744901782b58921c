// The metadata cache of a connected org's refresh (issue 14: the live read's API budget): external
// client app policies, blocks and permission sets are read again only for the components whose
// listMetadata lastModifiedDate moved since the last refresh (.live-metadata.json). The real
// capctl in child processes against the fake org, in real git repositories.
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeOrg, RecordedRequest } from '../../src/fake-org/server.js';
import { copyInto, repoRoot, runCapctl } from '../helpers/cli.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { liveFixtures, type LiveSetup } from '../helpers/live-fixtures.js';
import { bundledSnapshot } from '../salesforce/helpers.js';

const fixtures = liveFixtures();
const types = ['ExtlClntAppOauthConfigurablePolicies', 'BlacklistedConsumer', 'PermissionSet'] as const;
const cacheFile = 'org-state/acme-prod/.live-metadata.json';

/** A git repository connected (env) to the fake org, with the bundled example's desired state. */
async function repoOn(fake: FakeOrg): Promise<LiveSetup> {
  const root = await fixtures.tempDir('capctl-live-cache-');
  await copyInto(path.join(repoRoot, 'examples/acme'), path.join(root, 'desired'));
  await writeFile(path.join(root, 'capctl.yaml'), 'orgs:\n  acme-prod:\n    connection: env\n');
  const env = gitEnv(root);
  initRepo(root, env);
  const liveEnv = { ...env, SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken };
  return { root, env, fake, run: (args, extraEnv = {}) => runCapctl(args, { cwd: root, env: { ...liveEnv, ...extraEnv } }) };
}

async function setup(): Promise<LiveSetup> {
  return repoOn(await fixtures.startFake({ snapshot: await bundledSnapshot() }));
}

/** The names each readMetadata of these types asked for, and the listMetadata calls, since `from`. */
function metadataCalls(requests: readonly RecordedRequest[], from: number): { read: Record<string, string[]>; listed: Record<string, number> } {
  const read: Record<string, string[]> = {};
  const listed: Record<string, number> = {};
  for (const type of types) {
    read[type] = requests.slice(from).filter((r) => r.soap?.call === 'readMetadata' && r.soap.type === type).flatMap((r) => r.soap!.fullNames!).sort();
    listed[type] = requests.slice(from).filter((r) => r.soap?.call === 'listMetadata' && r.soap.type === type).length;
  }
  return { read, listed };
}

const oneListEach = { ExtlClntAppOauthConfigurablePolicies: 1, BlacklistedConsumer: 1, PermissionSet: 1 };
const commits = (s: LiveSetup): number => Number(git(s.root, ['rev-list', '--count', 'HEAD'], s.env).trim());

/** The state files of the org (the ledger and the caches aside): what a refresh makes the folder hold. */
async function stateFiles(s: LiveSetup): Promise<Record<string, string>> {
  const all = await fingerprint(path.join(s.root, 'org-state/acme-prod'));
  return Object.fromEntries(Object.entries(all).filter(([f]) => !f.startsWith('.live-') && f !== 'ledger.jsonl'));
}

function components(fake: FakeOrg, type: string): string[] {
  return [...(fake.data.metadata.get(type)?.keys() ?? [])].sort();
}

describe('refresh of a connected org: the metadata cache', () => {
  it('a second refresh of an unchanged org lists the three types and reads none of them, and writes nothing', async () => {
    const s = await setup();
    const first = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(first.code).toBe(0);
    const full = metadataCalls(s.fake.requests, 0);
    for (const type of types) expect(full.read[type], type).toEqual(components(s.fake, type));
    expect(full.read.ExtlClntAppOauthConfigurablePolicies!.length).toBe(3);
    expect(full.read.BlacklistedConsumer!.length).toBeGreaterThan(0);
    expect(full.listed).toEqual(oneListEach);
    const cache = JSON.parse(readFileSync(path.join(s.root, cacheFile), 'utf8')) as { format: number; components: Record<string, Record<string, unknown>> };
    expect(cache.format).toBe(2);
    for (const type of types) expect(Object.keys(cache.components[type]!).sort(), type).toEqual(components(s.fake, type));

    const before = await fingerprint(path.join(s.root, 'org-state'));
    const mark = s.fake.requests.length;
    const again = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(metadataCalls(s.fake.requests, mark)).toEqual({ read: { ExtlClntAppOauthConfigurablePolicies: [], BlacklistedConsumer: [], PermissionSet: [] }, listed: oneListEach });
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
    expect(commits(s)).toBe(2);
  });

  it('a component whose lastModifiedDate moved is read again and its change lands in the state files; a removed one is gone; the result is what a refresh from scratch gives', async () => {
    const s = await setup();
    expect((await s.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
    const stored = (file: string) => JSON.parse(readFileSync(path.join(s.root, 'org-state/acme-prod', file), 'utf8')) as Record<string, unknown>;
    const at = '2026-11-30T12:00:00.000Z';
    // In Setup: an external client app's IP relaxation, a permission set given CanApproveUninstalledApps,
    // each saved (lastModifiedDate moves); a block deleted.
    const eca = s.fake.data.metadata.get('ExtlClntAppOauthConfigurablePolicies')!;
    const [ecaName, policy] = [...eca.entries()].find(([, c]) => c.externalClientApplication === 'Datadog_Monitoring')!;
    expect(policy.ipRelaxationPolicyType).toBe('Enforce');
    Object.assign(policy, { ipRelaxationPolicyType: 'Bypass', __lastModified: at });
    const sets = s.fake.data.metadata.get('PermissionSet')!;
    const setRow = s.fake.data.tables.PermissionSet!.find((r) => r.Label === 'Jira Sync')!;
    const set = sets.get(String(setRow.Name))!;
    Object.assign(set, { userPermissions: [{ enabled: 'true', name: 'CanApproveUninstalledApps' }], __lastModified: at });
    const blocks = s.fake.data.metadata.get('BlacklistedConsumer')!;
    const [blockName] = [...blocks.entries()].find(([, c]) => c.consumerName === 'Workbench')!;
    blocks.delete(blockName);
    const holders = s.fake.data.tables.PermissionSetAssignment!.filter((a) => a.PermissionSetId === setRow.Id).map((a) => s.fake.data.tables.User!.find((u) => u.Id === a.AssigneeId)!.Username);
    expect(holders.length).toBeGreaterThan(0);

    const mark = s.fake.requests.length;
    const moved = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('Committed');
    expect(metadataCalls(s.fake.requests, mark)).toEqual({ read: { ExtlClntAppOauthConfigurablePolicies: [ecaName], BlacklistedConsumer: [], PermissionSet: [String(setRow.Name)] }, listed: oneListEach });
    const datadog = stored('apps/0xIH2uZeeM3L3IAq3M.json') as { policies: { ipRelaxation: string } };
    expect(datadog.policies.ipRelaxation).toBe('BYPASS');
    expect(stored('apps/0H4VFm9kr3jCpdjZpT.json')).toMatchObject({ name: 'Workbench', blocked: false });
    const users = stored('users.json') as unknown as { username: string; permissions: string[] }[];
    for (const holder of holders) expect(users.find((u) => u.username === holder)!.permissions).toContain('CanApproveUninstalledApps');
    const cache = JSON.parse(readFileSync(path.join(s.root, cacheFile), 'utf8')) as { components: Record<string, Record<string, { lastModified: string }>> };
    expect(Object.keys(cache.components.BlacklistedConsumer!)).not.toContain(blockName);
    expect(cache.components.ExtlClntAppOauthConfigurablePolicies![ecaName]!.lastModified).toBe(at);
    expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');

    // A repository refreshed from scratch on the same org holds the same state files.
    const fresh = await repoOn(s.fake);
    expect((await fresh.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
    expect(await stateFiles(s)).toEqual(await stateFiles(fresh));
  });

  it('without the cache file, or with one written before the components were kept, a refresh reads every component in full and finds nothing moved', async () => {
    const s = await setup();
    expect((await s.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
    const files = await stateFiles(s);
    const everything = Object.fromEntries(types.map((type) => [type, components(s.fake, type)]));
    const cachePath = path.join(s.root, cacheFile);
    const cache = JSON.parse(readFileSync(cachePath, 'utf8')) as { connectedApps: Record<string, unknown> };

    await rm(cachePath);
    let mark = s.fake.requests.length;
    const without = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(without.code).toBe(0);
    expect(without.stdout).toContain('No changes');
    expect(metadataCalls(s.fake.requests, mark)).toEqual({ read: everything, listed: oneListEach });
    expect(await stateFiles(s)).toEqual(files);

    // The file as capctl wrote it before: the connected apps' cache alone, by app id.
    await writeFile(cachePath, `${JSON.stringify(cache.connectedApps, null, 2)}\n`);
    mark = s.fake.requests.length;
    const old = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(old.code).toBe(0);
    expect(old.stdout).toContain('No changes');
    expect(metadataCalls(s.fake.requests, mark)).toEqual({ read: everything, listed: oneListEach });
    // Its connected apps are still taken from it.
    expect(s.fake.requests.slice(mark).filter((r) => r.soap?.call === 'readMetadata' && r.soap.type === 'ConnectedApp')).toEqual([]);
    expect(await stateFiles(s)).toEqual(files);
  });

  it('after an apply changes a block and a policy, the next refresh reads those components again (the org moved their dates) and finds the org as the apply recorded it', async () => {
    const s = await setup();
    for (const file of ['docusign.yaml', 'zoom.yaml']) await rm(path.join(s.root, 'desired/apps', file));
    const file = path.join(s.root, 'desired/apps/integrations.yaml');
    await writeFile(file, readFileSync(file, 'utf8').replace('  profiles: [Integration User]\n---', '  profiles: [Integration User]\n  ipRelaxation: BYPASS\n---'));
    git(s.root, ['add', '-A'], s.env);
    git(s.root, ['commit', '-qm', 'desired: the bundled example'], s.env);
    expect((await s.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
    const cacheBefore = readFileSync(path.join(s.root, cacheFile), 'utf8');
    const planned = await s.run(['plan', '--out', 'plan.json']);
    expect(planned.code, planned.stderr).toBe(0);
    const mark = s.fake.requests.length;
    const applied = await s.run(['apply', 'plan.json', '--actor', 'ci-bot@acme.example']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const written = s.fake.requests.slice(mark).filter((r) => /^(upsert|update|delete)Metadata$/.test(r.soap?.call ?? '') && types.includes(r.soap!.type as (typeof types)[number]));
    const wrote = (call: string, type: string) => written.filter((r) => r.soap!.call === call && r.soap!.type === type).flatMap((r) => r.soap!.fullNames!).sort();
    expect(wrote('updateMetadata', 'ExtlClntAppOauthConfigurablePolicies')).toEqual(['Acme_Data_Bridge_oauthPlcy']);
    const upserted = wrote('upsertMetadata', 'BlacklistedConsumer');
    expect(upserted.length).toBeGreaterThan(0);
    expect(wrote('deleteMetadata', 'BlacklistedConsumer')).toEqual(['capctl_Workbench']);
    // The apply left the cache as the last refresh wrote it.
    expect(readFileSync(path.join(s.root, cacheFile), 'utf8')).toBe(cacheBefore);

    const before = await fingerprint(path.join(s.root, 'org-state'));
    const from = s.fake.requests.length;
    const refreshed = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout).toContain('No changes');
    expect(metadataCalls(s.fake.requests, from)).toEqual({ read: { ExtlClntAppOauthConfigurablePolicies: ['Acme_Data_Bridge_oauthPlcy'], BlacklistedConsumer: upserted, PermissionSet: [] }, listed: oneListEach });
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
  });
});
