// Where the preflight resumes a plan whose earlier run did an action ahead of its turn: a live org's
// metadata call saves each item on its own, so an item the org saved beside one it refused is this
// plan's line of its action, marked `aheadOf` the one not done (live-org-store.ts). The done
// actions are then the plan's first ones plus such lines; anything else is not a run of the plan.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preflight } from '../../src/apply/preflight.js';
import { StalePlanError, type Action, type LedgerLine, type LedgerRecord, type OrgSnapshot, type Plan } from '../../src/model/index.js';
import { nextLedgerLine } from '../../src/store/ledger-chain.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { planWith } from '../helpers/backends.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';
import { ADMIN, ORG, writeGeneratedOrg } from '../helpers/generated-org.js';

let dir: string;
let plan: Plan;
let snapshot: OrgSnapshot;

beforeEach(async () => {
  dir = await makeTempDir();
  const { orgState, desired } = await writeGeneratedOrg(dir, 9);
  const store = new FileOrgStore(orgState);
  plan = await planWith(store, desired);
  snapshot = await store.readSnapshot(ORG);
});
afterEach(() => removeDir(dir));

/** A ledger of this plan's lines for the actions `seqs` (`[seq, aheadOf]` for one done ahead), the last at the store's digest. */
function ledgerOf(...seqs: (number | [number, number])[]): LedgerRecord[] {
  const lines: LedgerRecord[] = [];
  for (const [i, entry] of seqs.entries()) {
    const [seq, aheadOf] = typeof entry === 'number' ? [entry, undefined] : entry;
    const action = plan.actions.find((a) => a.seq === seq)!;
    const storeDigest = i === seqs.length - 1 ? snapshot.digest : `sha256:${String(i).padStart(64, '0')}`;
    const result = { status: 'updated' as const, sessionsEnded: 0, usersAffected: 0, storeDigest, ...(aheadOf !== undefined ? { aheadOf } : {}) };
    lines.push(nextLedgerLine(lines.at(-1), { at: '2026-11-28T12:30:00.000Z', actor: ADMIN, plan: plan.digest, action, result }));
  }
  return lines;
}

const seqs = (actions: readonly Action[]): number[] => actions.map((a) => a.seq);
const start = (ledger: LedgerRecord[]) => preflight({ plan, snapshot, ledger, actor: ADMIN });

describe('the preflight resuming a plan with actions done ahead of their turn', () => {
  it('goes on with the actions not done, in plan order: the one they were saved beside first', () => {
    expect(plan.actions).toHaveLength(9);
    const found = start(ledgerOf(1, [3, 2], [4, 2]));
    expect(seqs(found.remaining)).toEqual([2, 5, 6, 7, 8, 9]);
    expect(found.resumed.map((l) => l.action.seq)).toEqual([1, 3, 4]);
    expect(found.firstRun).toBe(false);
    // The one they were ahead of, done since: the rest follow in order.
    expect(seqs(start(ledgerOf(1, [3, 2], 2, 4)).remaining)).toEqual([5, 6, 7, 8, 9]);
    expect(seqs(start(ledgerOf(1, [3, 2], 2)).remaining)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(seqs(start(ledgerOf([2, 1], 1)).remaining)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    // Every action done, one ahead of its turn: nothing left.
    expect(start(ledgerOf(1, [3, 2], 2, 4, 5, 6, 7, 8, 9)).remaining).toEqual([]);
  });

  it("an older ledger's lines (the plan's first actions, none marked) resume after the last one as before", () => {
    expect(seqs(start(ledgerOf(1, 2, 3)).remaining)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(start(ledgerOf(1, 2, 3, 4, 5, 6, 7, 8, 9)).remaining).toEqual([]);
  });

  it('refuses as stale what is not a run of the plan: a gap no line explains, a line ahead of an action done or of a later one, an action twice', () => {
    const stale = [
      ledgerOf(1, 3), // 2 skipped, 3 not marked ahead of it
      ledgerOf([3, 2]), // ahead of 2 while 1 is not done either
      ledgerOf(1, [4, 3]), // ahead of 3, but 2 is the first not done
      ledgerOf(1, [2, 2]), // ahead of itself
      ledgerOf(1, [3, 2], [3, 2]), // 3 twice
      ledgerOf(1, [3, 2], 3), // 3 twice, the second as if in order
      ledgerOf(1, 1), // 1 twice
    ];
    for (const ledger of stale) expect(() => start(ledger), JSON.stringify(ledger.map((l) => [(l as LedgerLine).action.seq, (l as LedgerLine).result.aheadOf]))).toThrow(StalePlanError);
  });

  it('refuses a line ahead of its turn that names another action than the plan has at its seq', () => {
    const ledger = ledgerOf(1, [3, 2]);
    const line = ledger[1]! as LedgerLine;
    const other = plan.actions.find((a) => a.seq === 4)!;
    ledger[1] = nextLedgerLine(ledger[0], { at: line.at, actor: ADMIN, plan: plan.digest, action: { ...other, seq: 3 }, result: line.result });
    expect(() => start(ledger)).toThrow(StalePlanError);
  });
});
