// verify and history over a real temporary git repository, with ledgers built from plain data.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordPendingApplies } from '../../src/audit/record-apply.js';
import { verifyTrail } from '../../src/audit/verify-trail.js';
import { readHistory } from '../../src/audit/read-history.js';
import { canonicalJson } from '../../src/plan/digest.js';
import type { LedgerLine } from '../../src/model/index.js';
import { fileStateFolder } from '../../src/store/file-layout.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';
import { git, gitEnv, initRepo, useEnv } from '../helpers/git.js';
import { action, fakeDigest, ledgerOf, result } from '../helpers/actions.js';

let dir: string;
let orgDir: string;
let env: Record<string, string | undefined>;
const saved = { ...process.env };

beforeEach(async () => {
  dir = await makeTempDir();
  env = gitEnv(dir);
  useEnv(env);
  orgDir = path.join(dir, 'org-state/acme-prod');
  await mkdir(path.join(orgDir, 'apps'), { recursive: true });
  await writeFile(path.join(orgDir, 'org.json'), '{"revision": 7}\n');
  await mkdir(path.join(dir, 'desired'));
  await writeFile(path.join(dir, 'desired/slack.yaml'), 'name: Slack\n');
  initRepo(dir, env);
});

afterEach(async () => {
  process.env = { ...saved };
  await removeDir(dir);
});

const inc = (id: string) => ({ revocation: { id, users: 'all' as const, issuedBefore: '2026-11-20T00:00:00Z', reason: 'r' } });
const planA = fakeDigest('a');
const planB = fakeDigest('b');

async function writeLedger(lines: LedgerLine[]): Promise<void> {
  await writeFile(path.join(orgDir, 'ledger.jsonl'), lines.map((l) => `${canonicalJson(l)}\n`).join(''));
}

/** Two applies, each committed: A blocks Dropbox and revokes INC-2041 on Slack, B unblocks Workbench. */
async function twoApplies(): Promise<LedgerLine[]> {
  const a = ledgerOf(planA, [
    [action(1, 'block', 'Dropbox'), { ...result('blocked', 3, 2), files: ['apps/Dropbox.json'] }],
    [action(2, 'revoke', 'Slack', inc('INC-2041')), { ...result('revoked', 4, 1), files: ['apps/Slack.json'] }],
  ]);
  await writeFile(path.join(orgDir, 'apps/Dropbox.json'), '{"blocked": true}\n');
  await writeFile(path.join(orgDir, 'apps/Slack.json'), '{"sessions": []}\n');
  await writeLedger(a);
  expect((await recordPendingApplies('acme-prod', fileStateFolder(orgDir), a, a.length, { planDigest: planA, desiredCommit: null }))[0]!.status).toBe('committed');
  const b = ledgerOf(planB, [[action(1, 'unblock', 'Workbench'), { ...result('unblocked'), files: ['apps/Workbench.json'] }]], 'ops-admin@acme.example', a);
  await writeFile(path.join(orgDir, 'apps/Workbench.json'), '{"blocked": false}\n');
  await writeLedger(b);
  expect((await recordPendingApplies('acme-prod', fileStateFolder(orgDir), b, b.length, { planDigest: planB, desiredCommit: 'abc' }))[0]!.status).toBe('committed');
  return b;
}

describe('recordPendingApplies', () => {
  it('commits each apply once, with only its own files', async () => {
    const ledger = await twoApplies();
    const log = git(dir, ['log', '--format=%s', '--name-only'], env);
    expect(log).toContain('capctl apply acme-prod: revoke 4 sessions (INC-2041), block Dropbox');
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD'], env).trim().split('\n').sort()).toEqual([
      'org-state/acme-prod/apps/Workbench.json',
      'org-state/acme-prod/ledger.jsonl',
    ]);
    // Nothing pending: a second call commits nothing.
    expect(await recordPendingApplies('acme-prod', fileStateFolder(orgDir), ledger, ledger.length, { planDigest: planB, desiredCommit: 'abc' })).toEqual([]);
  });

  it('commits an earlier interrupted apply separately, marked as recorded late', async () => {
    const a = ledgerOf(planA, [[action(1, 'block', 'Dropbox'), { ...result('blocked', 3, 2), files: ['apps/Dropbox.json'] }]]);
    await writeFile(path.join(orgDir, 'apps/Dropbox.json'), '{"blocked": true}\n');
    await writeLedger(a);
    const outcomes = await recordPendingApplies('acme-prod', fileStateFolder(orgDir), a, 1, { planDigest: planB, desiredCommit: null });
    expect(outcomes.map((o) => o.status)).toEqual(['committed']);
    const message = git(dir, ['log', '-1', '--format=%B'], env);
    expect(message).toContain('the next apply recorded it');
    expect(message).toContain('Capctl-Desired-Commit: unknown');
  });
});

describe('verifyTrail', () => {
  it('passes for a sound ledger whose commits match it', async () => {
    const ledger = await twoApplies();
    expect(await verifyTrail('acme-prod', fileStateFolder(orgDir), ledger)).toMatchObject({ ok: true, ledgerLines: 3, applyCommits: 2 });
  });

  it('names a hand-edited ledger line', async () => {
    const ledger = await twoApplies();
    ledger[1] = { ...ledger[1]!, result: { ...ledger[1]!.result, sessionsEnded: 1 } };
    expect(await verifyTrail('acme-prod', fileStateFolder(orgDir), ledger)).toMatchObject({ ok: false, failure: { kind: 'ledger-line', line: 2 } });
  });

  it('names a commit whose trailers do not match the ledger', async () => {
    const ledger = await twoApplies();
    await writeFile(path.join(orgDir, 'org.json'), '{"revision": 9}\n');
    git(dir, ['add', '--all'], env);
    git(dir, ['commit', '-q', '-m', 'capctl apply acme-prod: forged', '-m', `Capctl-Org: acme-prod\nCapctl-Actor: mallory@acme.example\nCapctl-Plan: ${planA}`], env);
    const report = await verifyTrail('acme-prod', fileStateFolder(orgDir), ledger);
    expect(report).toMatchObject({ ok: false, failure: { kind: 'commit', subject: 'capctl apply acme-prod: forged' } });
    expect(report.failure && 'reason' in report.failure ? report.failure.reason : '').toContain('mallory@acme.example');
  });

  it('names a commit whose ledger head no longer matches (ledger rewritten with recomputed hashes)', async () => {
    const ledger = await twoApplies();
    const rewritten = ledgerOf(planA, [
      [action(1, 'block', 'Dropbox'), { ...result('blocked', 0, 0), files: ['apps/Dropbox.json'] }],
      [action(2, 'revoke', 'Slack', inc('INC-2041')), { ...result('revoked', 4, 1), files: ['apps/Slack.json'] }],
    ]);
    const forged = ledgerOf(planB, [[ledger[2]!.action, ledger[2]!.result]], 'ops-admin@acme.example', rewritten);
    const report = await verifyTrail('acme-prod', fileStateFolder(orgDir), forged);
    expect(report).toMatchObject({ ok: false, failure: { kind: 'commit', reason: expect.stringContaining('rewritten') } });
  });
});

describe('readHistory', () => {
  it('lists applies newest first with their actions, and filters by revocation and app', async () => {
    const ledger = await twoApplies();
    const query = { storeDir: path.join(dir, 'org-state'), ledgerOf: async () => ledger };
    const all = await readHistory(query);
    expect(all.map((e) => e.plan)).toEqual([planB, planA]);
    expect(all[1]).toMatchObject({ actor: 'ci-bot@acme.example', revocations: ['INC-2041'], sessionsEnded: 7 });
    expect(all[1]!.actions.map((a) => a.text)).toEqual(['blocked Dropbox: ended 3 sessions of 2 users', 'revoked 4 sessions of 1 user of Slack (INC-2041)']);
    expect((await readHistory({ ...query, revocation: 'INC-2041' })).map((e) => e.plan)).toEqual([planA]);
    expect((await readHistory({ ...query, app: 'Workbench' })).map((e) => e.plan)).toEqual([planB]);
    expect(await readHistory({ ...query, org: 'other-org' })).toEqual([]);
  });

  it('falls back to the commit body when the ledger is unreadable', async () => {
    await twoApplies();
    const entries = await readHistory({ storeDir: path.join(dir, 'org-state'), ledgerOf: () => Promise.reject(new Error('gone')) });
    expect(entries[1]!.actions.map((a) => [a.text, a.sessionsEnded])).toEqual([
      ['blocked Dropbox: ended 3 sessions of 2 users', 3],
      ['revoked 4 sessions of 1 user of Slack (INC-2041)', 4],
    ]);
  });

  it('includes changes to the desired files', async () => {
    const ledger = await twoApplies();
    await writeFile(path.join(dir, 'desired/slack.yaml'), 'name: Slack\nblocked: true\n');
    git(dir, ['commit', '-q', '-am', 'Block Slack'], env);
    const entries = await readHistory({
      storeDir: path.join(dir, 'org-state'),
      ledgerOf: async () => ledger,
      desired: { root: path.join(dir, 'desired'), files: [path.join(dir, 'desired/slack.yaml')] },
    });
    expect(entries.filter((e) => e.type === 'desired-change').map((e) => [e.subject, e.files])).toEqual([
      ['Block Slack', ['slack.yaml']],
      ['initial', ['slack.yaml']],
    ]);
  });
});
