// A state folder written by capctl before the revision came from the ledger: its org.json's revision
// was raised by each apply, and its ledger lines name the files they rewrote (`result.files`). This
// capctl reads it on from the revision it shows (no jump), never writes a counter, and keeps the old
// lines readable and verifiable (the hash chain covers them as written).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { readAndPlanOrg } from '../../src/read-and-plan-org.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { formatLedgerLine } from '../../src/store/ledger-file.js';
import { storeRevision, verifyChain } from '../../src/store/ledger-chain.js';
import { action, appliedOnly, fakeDigest, ledgerOf, result } from '../helpers/actions.js';
import { copyInto, makeTempDir, removeDir } from '../helpers/cli.js';

const ORG = 'acme-prod';
const actor = 'ci-bot@acme.example';
const now = new Date('2026-11-28T13:00:00Z');

describe('a state folder an older capctl wrote', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('capctl-migrate-');
  });
  afterEach(() => removeDir(dir));

  /** The example org after two applies of the older capctl: org.json at 7 + 2, two lines naming their files. */
  async function oldFolder(): Promise<string> {
    const orgState = path.join(dir, 'org-state');
    await copyInto('org-state', orgState);
    const orgFile = path.join(orgState, ORG, 'org.json');
    const org = JSON.parse(await readFile(orgFile, 'utf8')) as { revision: number };
    expect(org.revision).toBe(7);
    await writeFile(orgFile, `${JSON.stringify({ ...org, revision: 9 }, null, 2)}\n`);
    const digest = (await new FileOrgStore(orgState).readSnapshot(ORG)).digest;
    const first = ledgerOf(fakeDigest('a'), [[action(1, 'block', 'Old App'), { ...result('blocked'), files: ['apps/0HxOLD0000000001.json', 'org.json'] }]], actor);
    const lines = ledgerOf(fakeDigest('b'), [[action(1, 'unblock', 'Old App'), { ...result('unblocked', 0, 0, digest), files: ['apps/0HxOLD0000000001.json', 'org.json'] }]], actor, first);
    await writeFile(path.join(orgState, ORG, 'ledger.jsonl'), lines.map(formatLedgerLine).join(''));
    return orgState;
  }

  it('goes on from the revision it shows, and its next apply raises it by one without writing org.json', async () => {
    const orgState = await oldFolder();
    const store = new FileOrgStore(orgState);
    const old = await store.readLedger(ORG);
    expect(verifyChain(old)).toBeUndefined();
    expect(storeRevision((await store.readSnapshot(ORG)).org.revision, old)).toBe(9);

    const { plan } = await readAndPlanOrg({ desired: 'examples/acme', store, storeName: 'the store', now });
    expect(plan.basis.storeRevision).toBe(9);
    expect(plan.actions.length).toBeGreaterThan(0);
    const report = await applyPlan({ store: new FileOrgStore(orgState), plan, actor, now: () => now, lockTimeoutMs: 0, command: 'migration test' });
    expect(report).toMatchObject({ status: 'applied', revisionBefore: 9, revisionAfter: 10 });

    const after = new FileOrgStore(orgState);
    const ledger = await after.readLedger(ORG);
    // The old lines read and verify as written, the new ones chain on from them.
    expect(ledger.slice(0, 2)).toEqual(old);
    expect(verifyChain(ledger)).toBeUndefined();
    expect(ledger.slice(2).every((l) => l.result.files === undefined)).toBe(true);
    const snapshot = await after.readSnapshot(ORG);
    expect(snapshot.org.revision).toBe(9);
    expect(storeRevision(snapshot.org.revision, ledger)).toBe(10);
    expect((await readAndPlanOrg({ desired: 'examples/acme', store: after, storeName: 'the store', now })).plan.basis.storeRevision).toBe(10);

    // The state folder maps both kinds of line to its files: the old ones' names, the new ones' parts.
    const files = after.stateFolder(ORG).filesOf(ledger);
    expect(files).toContain('apps/0HxOLD0000000001.json');
    const appId = appliedOnly(ledger).at(-1)!.action.app!.id;
    expect(files).toContain(`apps/${appId}.json`);
    expect(files).toContain('ledger.jsonl');
  });
});
