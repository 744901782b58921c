import { afterEach, describe, expect, it } from 'vitest';
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
