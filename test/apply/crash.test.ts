// Crash test with real processes: `capctl apply PLAN` over a plan of many actions (carried out in
// runs of 1, 2, 4, … actions, each run one atomic change) is killed with SIGKILL at moments the seed chooses,
// at least 100 times. After every kill the store reads cleanly, each
// action is either fully applied or not at all (the store's digest is the one the last ledger line
// recorded), and the ledger's chain verifies. Running the same apply again finishes the job without
// doing anything twice: in the end every action has exactly one ledger line, and the summed results
// equal those of one uninterrupted apply.
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan, runLengths } from '../../src/apply/apply-plan.js';
import { verifyTrail } from '../../src/audit/verify-trail.js';
import type { LedgerLine, Plan } from '../../src/model/index.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { fileStateFolder } from '../../src/store/file-layout.js';
import { storeRevision } from '../../src/store/ledger-chain.js';
import { makeTempDir, removeDir, repoRoot } from '../helpers/cli.js';
import { startNode, sleep } from '../helpers/child.js';
import { ADMIN, ORG, savePlan, writeGeneratedOrg } from '../helpers/generated-org.js';
import { prng } from '../helpers/prng.js';
import { testSeed } from '../helpers/seed.js';
import { appliedOnly } from '../helpers/actions.js';

const bin = path.join(repoRoot, 'bin/capctl.js');
const APPS = 24;
const KILLS = 100;
const LANES = 4;

let base: string;
let template: string;
let planFile: string;
let plan: Plan;
let desired: string;

beforeAll(async () => {
  base = await makeTempDir('capctl-apply-crash-');
  const generated = await writeGeneratedOrg(base, APPS);
  template = generated.orgState;
  desired = generated.desired;
  planFile = path.join(base, 'plan.json');
  plan = await savePlan(generated.desired, template, planFile);
});
afterAll(() => removeDir(base));


/** What an action's ledger line says it did, without times and digests. */
function outcome(line: LedgerLine): string {
  return `${line.action.seq} ${line.result.status} ${line.result.sessionsEnded} ${line.result.usersAffected} ${(line.result.files ?? []).join(',')}`;
}

/**
 * After a kill: the dead process's lock is cleared as `capctl unlock` would, and the store, as the
 * next apply will see it, reads cleanly, is exactly where its ledger says, and verifies.
 */
async function checkAfterKill(orgState: string): Promise<number> {
  const store = new FileOrgStore(orgState);
  const holder = await store.lockHolder(ORG);
  if (holder) await store.unlock(ORG, holder.id);
  const snapshot = await store.readSnapshot(ORG);
  const ledger = appliedOnly(await store.readLedger(ORG));
  const expected = ledger.at(-1)?.result.storeDigest ?? plan.basis.storeDigest;
  expect(snapshot.digest, 'the store is exactly where its last ledger line says').toBe(expected);
  expect(snapshot.org.revision, 'no apply writes a counter').toBe(0);
  expect(storeRevision(snapshot.org.revision, ledger)).toBe(ledger.length > 0 ? 1 : 0);
  expect(ledger.map((l) => l.action.seq), 'each action at most once, in order').toEqual(plan.actions.slice(0, ledger.length).map((a) => a.seq));
  expect((await verifyTrail(ORG, fileStateFolder(path.join(orgState, ORG)), ledger)).ok).toBe(true);
  return ledger.length;
}

interface LaneResult {
  kills: number;
  applies: number;
  killedMidway: number;
}

/**
 * Applies the plan to fresh copies of the store, killing runs, until `quota` kills are done and
 * `midwayQuota` of them fell between the first and the last action (a loaded machine lets more kills
 * land after the last action: it kills on until then, up to five times the quota).
 */
async function lane(id: number, quota: number, midwayQuota: number, seed: number, reference: string[]): Promise<LaneResult> {
  const random = prng(seed);
  const result: LaneResult = { kills: 0, applies: 0, killedMidway: 0 };
  const total = plan.actions.length;
  const wantMore = (): boolean => (result.kills < quota || result.killedMidway < midwayQuota) && result.kills < quota * 5;
  while (wantMore()) {
    const orgState = path.join(base, `lane-${id}-${result.applies}`);
    await cp(template, orgState, { recursive: true });
    let done = 0;
    for (;;) {
      const child = startNode(bin, ['apply', planFile, '--actor', ADMIN, '--desired', desired, '--org-state', orgState, '--no-commit'], { NO_COLOR: '1', CI: 'true' });
      let killed = false;
      if (wantMore()) {
        // Most kills land while actions are carried out: right after the lines of a run that is not
        // the last (a run's lines come together once it is done), chosen by the seed, while the next
        // run is under way. Some land during start, lock and preflight.
        const ends = runEnds(done, total);
        if (random() < 0.2 || ends.length === 0) await sleep(random() * 1200);
        else await child.waitForLine(new RegExp(`^ {2}[✓-] ${ends[Math.floor(random() * ends.length)]}\\. `));
        killed = child.process.kill('SIGKILL');
      }
      const exit = await child.exited;
      if (exit.signal === 'SIGKILL') {
        result.kills += 1;
        done = await checkAfterKill(orgState);
        if (done > 0 && done < total) result.killedMidway += 1;
        continue;
      }
      expect(exit.code, `seed ${seed}: apply finished (${killed ? 'before the kill' : 'not killed'}): ${child.stderr()}`).toBe(0);
      break;
    }
    result.applies += 1;
    const store = new FileOrgStore(orgState);
    const ledger = appliedOnly(await store.readLedger(ORG));
    expect(ledger.map(outcome), `seed ${seed}: summed results equal one uninterrupted apply`).toEqual(reference);
    expect((await store.readSnapshot(ORG)).digest).toBe(referenceDigest);
    await rm(orgState, { recursive: true, force: true });
  }
  return result;
}

let referenceDigest: string;

/** The seq of the last action of each run but the last, for an apply that starts after `done` actions. */
function runEnds(done: number, total: number): number[] {
  const ends: number[] = [];
  for (const length of runLengths(total - done).slice(0, -1)) ends.push((ends.at(-1) ?? done) + length);
  return ends;
}

describe('apply killed at random moments', () => {
  it(`leaves a store that reads cleanly and verifies after each of ${KILLS} kills, and a rerun converges`, async () => {
    // One uninterrupted apply gives the reference results.
    const clean = path.join(base, 'reference');
    await cp(template, clean, { recursive: true });
    await applyPlan({ store: new FileOrgStore(clean), plan, actor: ADMIN, now: () => new Date(), lockTimeoutMs: 0, command: 'reference' });
    const referenceLedger = appliedOnly(await new FileOrgStore(clean).readLedger(ORG));
    const reference = referenceLedger.map(outcome);
    referenceDigest = (await new FileOrgStore(clean).readSnapshot(ORG)).digest;
    expect(reference).toHaveLength(plan.actions.length);

    const seed = testSeed();
    const results = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i, Math.ceil(KILLS / LANES), Math.floor(KILLS / 4 / LANES) + 1, seed + i, reference)));
    const kills = results.reduce((n, r) => n + r.kills, 0);
    const midway = results.reduce((n, r) => n + r.killedMidway, 0);
    const applies = results.reduce((n, r) => n + r.applies, 0);
    process.stderr.write(`apply crash test (seed ${seed}): ${kills} kills, ${midway} between the first and the last action, ${applies} applies finished (CAPCTL_TEST_SEED=${seed} repeats the choices)\n`);
    expect(kills, `seed ${seed}`).toBeGreaterThanOrEqual(KILLS);
    // The kills must have hit the actions, not only the start-up.
    expect(midway, `seed ${seed}: kills between the first and the last action`).toBeGreaterThan(KILLS / 4);
  }, 240_000);
});
