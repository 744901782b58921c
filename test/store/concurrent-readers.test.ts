// Readers see whole states: while a child process commits change after change (each an apply's
// atomic change: files, a file added or removed, ledger lines), readers loop reading the store
// the way plan, usage and drift do. Every snapshot they get is exactly one state the writer
// committed, the ledger they read with it ends at that state, and drift never reports the
// writer's own changes. Asserted on the states read, never on timing.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectDrift } from '../../src/audit/detect-drift.js';
import type { OrgSnapshot } from '../../src/model/index.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { fileStateFolder } from '../../src/store/file-layout.js';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl, type CliResult } from '../helpers/cli.js';
import { startNode } from '../helpers/child.js';
// @ts-expect-error -- a plain .mjs fixture without type declarations
import { APP_C, ORG, writeBaseStore } from './fixtures/crash-store.mjs';

const commitLoop = path.join(repoRoot, 'test/store/fixtures/commit-loop.mjs');
const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await removeDir(dir);
});

/** Checks that a snapshot is exactly state k of the crash store (fixtures/crash-store.mjs) for k = its revision. */
function expectWholeState(snapshot: OrgSnapshot): number {
  const k = snapshot.org.revision;
  const apps = snapshot.apps.map((a) => `${a.name}:${a.deniedAttempts}:${a.sessions[0]?.useCount ?? ''}`);
  const expected = [`Alpha:${k}:${k * 1000}`, `Beta:${k}:${k * 1000}`, ...(k % 2 === 1 ? [`Gamma:${k}:${k * 1000}`] : [])];
  expect(apps, `a snapshot at revision ${k}`).toEqual(expected);
  expect(snapshot.apps.some((a) => a.id === APP_C)).toBe(k % 2 === 1);
  return k;
}

describe('readers during a concurrent apply', () => {
  it('read each state whole, with the ledger that goes with it, and see no drift', async () => {
    const dir = await makeTempDir('capctl-readers-');
    temps.push(dir);
    const root = path.join(dir, 'org-state');
    await (writeBaseStore as (root: string) => Promise<string>)(root);
    const orgDir = path.join(root, ORG);
    const writer = startNode(commitLoop, [root], { COMMITS: '120', RUN: '3' });
    let done = false;
    void writer.exited.then(() => (done = true));
    expect(await writer.waitForLine(/^locked /), writer.stderr()).toBe(true);

    const seen = new Set<number>();
    const kept = new FileOrgStore(root); // one object reading again and again, as a long-lived library user would
    let reads = 0;
    while (!done || reads === 0) {
      for (const store of [new FileOrgStore(root), kept]) {
        const snapshot = await store.readSnapshot(ORG);
        const ledger = await store.readLedger(ORG);
        const k = expectWholeState(snapshot);
        expect(ledger.length, `the ledger read with the snapshot of revision ${k}`).toBe(k);
        if (k > 0) expect(ledger.at(-1)!.result.storeDigest).toBe(snapshot.digest);
        const drift = await detectDrift(snapshot, ledger, fileStateFolder(orgDir));
        expect(drift.drifted, `drift at revision ${k}`).toBe(false);
        seen.add(k);
        reads++;
      }
    }
    expect(await writer.exited, writer.stderr()).toEqual({ code: 0, signal: null });
    const last = await new FileOrgStore(root).readSnapshot(ORG);
    expect(expectWholeState(last)).toBe(120);
    console.log(`concurrent readers: ${reads} reads saw ${seen.size} of the 121 states`);
  }, 120_000);
});

describe('capctl readers during capctl apply', () => {
  it('plan only ever has a basis the store had, and drift never reports the applies', async () => {
    const dir = await makeTempDir('capctl-readers-cli-');
    temps.push(dir);
    const root = path.join(dir, 'org-state');
    await copyInto('org-state', root);
    // Two desired states that differ (Dropbox blocked or not): every apply of one after the other changes the store.
    const desiredA = path.join(dir, 'desired-a');
    const desiredB = path.join(dir, 'desired-b');
    await copyInto('examples/acme', desiredA);
    await copyInto('examples/acme', desiredB);
    const dropbox = path.join(desiredB, 'apps/dropbox.yaml');
    await writeFile(dropbox, (await readFile(dropbox, 'utf8')).replace('blocked: true', 'blocked: false'));
    const initial = (await new FileOrgStore(root).readSnapshot('acme-prod')).digest;

    let applying = true;
    const applies = (async () => {
      const results: CliResult[] = [];
      for (let i = 0; i < 4; i++) {
        results.push(await runCapctl(['apply', '--org-state', root, '--desired', i % 2 === 0 ? desiredA : desiredB, '--actor', 'ci-bot@acme.example', '--auto-approve', '--no-commit']));
      }
      applying = false;
      return results;
    })();
    const plans: string[] = [];
    const drifts: CliResult[] = [];
    while (applying) {
      const [plan, drift] = await Promise.all([
        runCapctl(['plan', '--org-state', root, '--desired', desiredA, '--format', 'json']),
        runCapctl(['drift', '--org-state', root]),
      ]);
      expect(plan.code, plan.stderr).toBe(0);
      plans.push((JSON.parse(plan.stdout) as { basis: { storeDigest: string } }).basis.storeDigest);
      drifts.push(drift);
    }
    for (const result of await applies) expect(result.code, result.stderr).toBe(0);
    const ledger = await new FileOrgStore(root).readLedger('acme-prod');
    const states = new Set([initial, ...ledger.map((line) => line.result.storeDigest)]);
    for (const digest of plans) expect(states, 'a plan basis the store never had').toContain(digest);
    for (const drift of drifts) expect(drift.code, drift.stdout + drift.stderr).toBe(0);
  }, 180_000);
});
