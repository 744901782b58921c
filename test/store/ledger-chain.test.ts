// The ledger's hash chain, on plain data.
import { describe, expect, it } from 'vitest';
import { GENESIS, hashLedgerLine, nextLedgerLine, nextObservedLine, opensApply, storeRevision, trailingLinesOfPlan, verifyChain } from '../../src/store/ledger-chain.js';
import type { LedgerRecord } from '../../src/model/index.js';
import { canonicalJson, sha256 } from '../../src/plan/digest.js';
import { action, fakeDigest, ledgerOf, result } from '../helpers/actions.js';

const planA = fakeDigest('a');
const planB = fakeDigest('b');

function sample() {
  return ledgerOf(planA, [
    [action(1, 'install', 'Slack'), result('installed')],
    [action(2, 'block', 'Dropbox'), result('blocked', 25, 18)],
    [action(3, 'revoke', 'Slack', { revocation: { id: 'INC-2041', users: 'all', issuedBefore: '2026-11-20T00:00:00Z', reason: 'leak' } }), result('revoked', 12, 8)],
  ]);
}

describe('ledger lines', () => {
  it('chain from genesis, one seq more per line, each hash over the line without hash', () => {
    const lines = sample();
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(lines[0]!.prev).toBe(GENESIS);
    expect(lines[1]!.prev).toBe(lines[0]!.hash);
    const { hash, ...rest } = lines[2]!;
    expect(hash).toBe(sha256(canonicalJson(rest)));
    expect(hashLedgerLine(lines[2]!)).toBe(hash);
  });

  it('a sound chain verifies', () => {
    expect(verifyChain(sample())).toBeUndefined();
    expect(verifyChain([])).toBeUndefined();
  });

  it('an edited line is named, with the reason', () => {
    const lines = sample();
    lines[1] = { ...lines[1]!, result: { ...lines[1]!.result, sessionsEnded: 3 } };
    expect(verifyChain(lines)).toMatchObject({ line: 2, seq: 2, reason: expect.stringContaining('was changed') });
  });

  it('an edited line whose hash was recomputed breaks the next line', () => {
    const lines = sample();
    const edited = { ...lines[0]!, actor: 'someone-else@acme.example' };
    lines[0] = { ...edited, hash: hashLedgerLine(edited) };
    expect(verifyChain(lines)).toMatchObject({ line: 2, reason: expect.stringContaining('prev') });
  });

  it('a removed or reordered line breaks the chain', () => {
    const lines = sample();
    expect(verifyChain([lines[0]!, lines[2]!])).toMatchObject({ line: 2, reason: expect.stringContaining('seq is 3') });
    expect(verifyChain([lines[1]!, lines[0]!])).toMatchObject({ line: 1 });
  });

  it('trailing lines of a plan are the interrupted or finished work of that plan', () => {
    const first = sample();
    const more = ledgerOf(planB, [[action(1, 'unblock', 'Workbench'), result('unblocked')]], 'ci-bot@acme.example', first);
    expect(trailingLinesOfPlan(more, planB).map((l) => l.seq)).toEqual([4]);
    expect(trailingLinesOfPlan(more, planA)).toEqual([]);
    expect(trailingLinesOfPlan(first, planA)).toHaveLength(3);
  });

  it('nextLedgerLine continues an existing ledger', () => {
    const lines = sample();
    const next = nextLedgerLine(lines.at(-1), { at: '2026-11-28T11:00:00.000Z', actor: 'x', plan: planB, action: action(1, 'unblock', 'W'), result: result('unblocked') });
    expect(next).toMatchObject({ seq: 4, prev: lines[2]!.hash });
    expect(verifyChain([...lines, next])).toBeUndefined();
  });

  it('an action opens an apply unless the last applied line before it is of its own plan (observed lines skipped)', () => {
    const lines = sample();
    expect(opensApply([], planA)).toBe(true);
    expect(opensApply(lines, planB)).toBe(true);
    expect(opensApply(lines, planA)).toBe(false);
    const observed = nextObservedLine(lines.at(-1), {
      at: '2026-11-28T11:00:00.000Z',
      actor: 'x',
      observed: { named: true, previousDigest: lines.at(-1)!.result.storeDigest, changes: [], sessions: [] },
      storeDigest: fakeDigest('c'),
    });
    // A partial failure recorded as an observed line: the re-run goes on with the same apply.
    expect(opensApply([...lines, observed], planA)).toBe(false);
    expect(opensApply([...lines, observed], planB)).toBe(true);
    expect(opensApply([observed], planA)).toBe(true);
  });

  it('the revision is the base plus the applies the ledger records, each counted once', () => {
    const first = sample(); // one apply of three actions
    expect(storeRevision(7, [])).toBe(7);
    expect(storeRevision(7, first.slice(0, 1))).toBe(8);
    expect(storeRevision(7, first)).toBe(8);
    const observed = nextObservedLine(first.at(-1), {
      at: '2026-11-28T11:00:00.000Z',
      actor: 'x',
      observed: { named: true, previousDigest: first.at(-1)!.result.storeDigest, changes: [], sessions: [] },
      storeDigest: fakeDigest('c'),
    });
    // The same apply resumed after an observed line: still one apply.
    const after = (previous: LedgerRecord[], plan: string): LedgerRecord[] => [
      ...previous,
      nextLedgerLine(previous.at(-1), { at: '2026-11-28T12:00:00.000Z', actor: 'x', plan, action: action(4, 'unblock', 'W'), result: result('unblocked') }),
    ];
    const resumed = after([...first, observed], planA);
    expect(storeRevision(7, resumed)).toBe(8);
    const other = after(resumed, planB);
    expect(storeRevision(7, other)).toBe(9);
    // planA again after planB: another apply.
    expect(storeRevision(7, after(other, planA))).toBe(10);
  });

  it('lines written before the revision came from the ledger (with result.files) are in the base already', () => {
    // A state folder written by an older capctl: its apply raised org.json's revision (to 9) as it wrote these lines.
    const old = ledgerOf(planA, [
      [action(1, 'install', 'Slack'), { ...result('installed'), files: ['apps/0Hx1.json', 'org.json'] }],
      [action(2, 'block', 'Dropbox'), { ...result('blocked'), files: ['apps/0Hx2.json'] }],
    ]);
    expect(storeRevision(9, old)).toBe(9);
    // This capctl goes on from 9: the apply of another plan is 10, the old apply resumed stays 9.
    expect(storeRevision(9, ledgerOf(planB, [[action(1, 'unblock', 'W'), result('unblocked')]], 'x', old))).toBe(10);
    expect(storeRevision(9, ledgerOf(planA, [[action(3, 'unblock', 'W'), result('unblocked')]], 'x', old))).toBe(9);
  });
});
