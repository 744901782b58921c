import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileOrgStore } from '../../src/store/file-store.js';
import { formatJson } from '../../src/store/json-format.js';
import { parseMetadataCache, readLiveSnapshot, type ComponentCache, type LiveRead } from '../../src/salesforce/read-live-snapshot.js';
import * as U from '../../src/salesforce/unconfirmed.js';
import type { FakeOrg } from '../../src/fake-org/server.js';
import { asLiveOrgShowsIt, fakeWithClient } from './helpers.js';

let fake: FakeOrg | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('readLiveSnapshot on the bundled example through the fake org', () => {
  it('gives the file store snapshot, unknowns aside', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const read = await readLiveSnapshot(setup.client, 'acme-prod');
    const expected = asLiveOrgShowsIt(setup.snapshot);
    expect(read.snapshot.org).toEqual(expected.org);
    expect(read.snapshot.users).toEqual(expected.users);
    expect(read.snapshot.apps.map((a) => a.name)).toEqual(expected.apps.map((a) => a.name));
    expect(read.snapshot.apps).toEqual(expected.apps);
    expect(read.warnings).toEqual([]);
    expect(read.calls).toBe(fake.requests.length);
  });
});

describe('readLiveSnapshot with the last read', () => {
  const connectedAppReads = (f: FakeOrg) => f.requests.filter((r) => r.soap?.call === 'readMetadata' && r.soap.type === 'ConnectedApp').flatMap((r) => r.soap!.fullNames!);

  it('reads ConnectedApp metadata only for apps whose LastModifiedDate moved, and keeps the revision', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const first = await readLiveSnapshot(setup.client, 'acme-prod');
    expect(connectedAppReads(fake)).toHaveLength(29);
    expect(Object.keys(first.appMetadata)).toHaveLength(29);

    fake.requests.length = 0;
    const previous = { snapshot: { ...first.snapshot, org: { ...first.snapshot.org, revision: 7 } }, appMetadata: first.appMetadata };
    const unchanged = await readLiveSnapshot(setup.client, 'acme-prod', { previous });
    expect(connectedAppReads(fake)).toEqual([]);
    expect(unchanged.snapshot.apps).toEqual(first.snapshot.apps);
    expect(unchanged.snapshot.org.revision).toBe(7);
    expect(unchanged.calls).toBe(first.calls - 3);

    // An edit in Setup: the app's policy changes and its LastModifiedDate moves on.
    fake.data.metadata.get('ConnectedApp')!.get('Zapier')!.oauthPolicy = { ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'zero' };
    fake.touchApp('0H4IoCf9Q22Wb81JyK', '2026-11-30T12:00:00.000+0000');
    fake.requests.length = 0;
    const moved = await readLiveSnapshot(setup.client, 'acme-prod', { previous: { snapshot: unchanged.snapshot, appMetadata: unchanged.appMetadata } });
    expect(connectedAppReads(fake)).toEqual(['Zapier']);
    expect(moved.snapshot.apps.find((a) => a.name === 'Zapier')!.policies).toMatchObject({ ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'zero' });
    expect(moved.appMetadata['0H4IoCf9Q22Wb81JyK']!.lastModified).toBe('2026-11-30T12:00:00.000+0000');
  });

  it('the digest is the one the file store gives the same content', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const a = await readLiveSnapshot(setup.client, 'acme-prod');
    const b = await readLiveSnapshot(setup.client, 'acme-prod');
    expect(a.snapshot.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.snapshot.digest).toBe(a.snapshot.digest);
    fake.data.tables.User!.find((u) => u.Username === 'auditor@acme.example')!.IsActive = false;
    const c = await readLiveSnapshot(setup.client, 'acme-prod');
    expect(c.snapshot.digest).not.toBe(a.snapshot.digest);

    // Written as the store's files, the file store reads back the same snapshot and digest.
    const root = await mkdtemp(path.join(tmpdir(), 'capctl-live-'));
    try {
      const folder = path.join(root, 'acme-prod');
      await mkdir(path.join(folder, 'apps'), { recursive: true });
      await writeFile(path.join(folder, 'org.json'), formatJson(c.snapshot.org));
      await writeFile(path.join(folder, 'users.json'), formatJson(c.snapshot.users));
      for (const app of c.snapshot.apps) await writeFile(path.join(folder, 'apps', `${app.id}.json`), formatJson(app));
      const stored = await new FileOrgStore(root).readSnapshot('acme-prod');
      expect(stored).toEqual(c.snapshot);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('readLiveSnapshot: components reused by their listMetadata lastModifiedDate', () => {
  const types = [U.externalClientAppPolicyType, 'BlacklistedConsumer', 'PermissionSet'];
  const reads = (f: FakeOrg, from = 0) =>
    Object.fromEntries(types.map((type) => [type, f.requests.slice(from).filter((r) => r.soap?.call === 'readMetadata' && r.soap.type === type).flatMap((r) => r.soap!.fullNames!).sort()]));
  const previousOf = (read: LiveRead, components: ComponentCache = read.components) => ({ snapshot: read.snapshot, appMetadata: read.appMetadata, components });

  it('reuses the components whose date has not moved: the same records and snapshot as a full read, no readMetadata', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const first = await readLiveSnapshot(setup.client, 'acme-prod');
    const mark = fake.requests.length;
    const again = await readLiveSnapshot(setup.client, 'acme-prod', { previous: previousOf(first) });
    expect(reads(fake, mark)).toEqual(Object.fromEntries(types.map((t) => [t, []])));
    expect(again.records).toEqual(first.records);
    expect(again.snapshot.digest).toBe(first.snapshot.digest);
    expect(again.components).toEqual(first.components);
    // Kept: what the mapping and the executors use, never the rest of the component.
    for (const entry of Object.values(first.components.PermissionSet!)) expect(Object.keys(entry.record).sort()).toEqual(['canApprove', 'fullName']);
    expect(first.records.blocks.every((b) => !('masterLabel' in b))).toBe(true);
  });

  it('never reuses an entry whose lastModifiedDate differs from the list: it is read, and the org\'s answer is what counts', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const first = await readLiveSnapshot(setup.client, 'acme-prod');
    const stale = structuredClone(first.components);
    const picked: Record<string, string> = {};
    for (const type of types) {
      const [name, entry] = Object.entries(stale[type]!)[0]!;
      picked[type] = name;
      // A cache made before a change the org since saved: another date, other content.
      entry.lastModified = '2026-01-01T00:00:00.001+0000';
      entry.record = { ...entry.record, ipRelaxationPolicyType: 'Bypass', consumerName: 'Someone Else', canApprove: !entry.record.canApprove };
    }
    const mark = fake.requests.length;
    const read = await readLiveSnapshot(setup.client, 'acme-prod', { previous: previousOf(first, stale) });
    expect(reads(fake, mark)).toEqual(Object.fromEntries(types.map((t) => [t, [picked[t]]])));
    expect(read.records).toEqual(first.records);
    expect(read.snapshot.digest).toBe(first.snapshot.digest);
    expect(read.components).toEqual(first.components);
  });

  it('reads every time a component whose listMetadata lastModifiedDate is missing, malformed or the epoch, and keeps no entry of it', async () => {
    const setup = await fakeWithClient();
    fake = setup.fake;
    const eca = [...fake.data.metadata.get(U.externalClientAppPolicyType)!.values()];
    const blocks = [...fake.data.metadata.get('BlacklistedConsumer')!.values()];
    const sets = [...fake.data.metadata.get('PermissionSet')!.values()];
    eca[0]!.__lastModified = '';
    blocks[0]!.__lastModified = 'last Tuesday';
    sets[0]!.__lastModified = '1970-01-01T00:00:00.000Z';
    const first = await readLiveSnapshot(setup.client, 'acme-prod');
    const mark = fake.requests.length;
    const again = await readLiveSnapshot(setup.client, 'acme-prod', { previous: previousOf(first) });
    expect(reads(fake, mark)).toEqual({ [U.externalClientAppPolicyType]: [eca[0]!.fullName], BlacklistedConsumer: [blocks[0]!.fullName], PermissionSet: [sets[0]!.fullName] });
    expect(first.components[U.externalClientAppPolicyType]).not.toHaveProperty(String(eca[0]!.fullName));
    expect(first.components.BlacklistedConsumer).not.toHaveProperty(String(blocks[0]!.fullName));
    expect(first.components.PermissionSet).not.toHaveProperty(String(sets[0]!.fullName));
    expect(again.records).toEqual(first.records);
  });

  it('U.componentLastModified: a dateTime after the epoch, nothing else', () => {
    expect(U.componentLastModified({ lastModifiedDate: '2026-01-01T00:00:00.000+0000' })).toBe('2026-01-01T00:00:00.000+0000');
    expect(U.componentLastModified({ lastModifiedDate: '2026-11-30T12:00:00Z' })).toBe('2026-11-30T12:00:00Z');
    expect(U.componentLastModified({ lastModifiedDate: '1970-01-01T00:00:00.001Z' })).toBe('1970-01-01T00:00:00.001Z');
    for (const bad of [undefined, null, 17, '', '1970-01-01T00:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-01-01', 'last Tuesday']) expect(U.componentLastModified({ lastModifiedDate: bad }), String(bad)).toBeUndefined();
  });

  it('parseMetadataCache: a file of before format 2 is the connected apps\' cache with no components; malformed entries are dropped', () => {
    const app = { lastModified: '2026-01-01T00:00:00.000+0000', fullName: 'Zapier', metadata: { oauthPolicy: null } };
    expect(parseMetadataCache({ '0H4IoCf9Q22Wb81JyK': app })).toEqual({ appMetadata: { '0H4IoCf9Q22Wb81JyK': app }, components: {} });
    for (const junk of [null, [], 'x', 3]) expect(parseMetadataCache(junk)).toEqual({ appMetadata: {}, components: {} });
    const good = { lastModified: '2026-01-01T00:00:00.000Z', record: { fullName: 'capctl_A', consumerName: 'A' } };
    const parsed = parseMetadataCache({
      format: 2,
      connectedApps: { '0H4IoCf9Q22Wb81JyK': app },
      components: { BlacklistedConsumer: { capctl_A: good, capctl_B: { lastModified: 7, record: { fullName: 'capctl_B' } }, capctl_C: { lastModified: '2026-01-01T00:00:00.000Z', record: { fullName: 'other' } }, capctl_D: { lastModified: '2026-01-01T00:00:00.000Z' } }, PermissionSet: [] },
    });
    expect(parsed).toEqual({ appMetadata: { '0H4IoCf9Q22Wb81JyK': app }, components: { BlacklistedConsumer: { capctl_A: good } } });
  });
});
