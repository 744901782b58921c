import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileOrgStore } from '../../src/store/file-store.js';
import { formatJson } from '../../src/store/json-format.js';
import { readLiveSnapshot } from '../../src/salesforce/read-live-snapshot.js';
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
