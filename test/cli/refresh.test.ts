// Changes made outside capctl are never absorbed (SPEC §8), in a real temporary git repository
// holding the bundled example, through real capctl processes: `refresh` records them in an observed
// ledger line and a commit of its own; `apply` records pending ones in a refresh commit before its
// apply commit, or is stale when they touch what a saved plan relied on; `drift` is clean after;
// `history` and `verify` show and check refreshes; a hand-made commit of ledger lines is flagged.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashLedgerLine, nextObservedLine } from '../../src/store/ledger-chain.js';
import type { HistoryEntry, LedgerRecord, ObservedLine } from '../../src/model/index.js';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';

const ACTOR = 'ci-bot@acme.example';
const BOX = 'org-state/acme-prod/apps/0H4UkS9ciyO1J0920p.json';
const OUTLOOK = 'org-state/acme-prod/apps/0H4dB9lK2kFAFcjU5Z.json';
const LEDGER = 'org-state/acme-prod/ledger.jsonl';
let dir: string;
let env: Record<string, string | undefined>;

function capctl(args: string[], cwd = dir) {
  return runCapctl(args, { cwd, env: { ...env, CAPCTL_ACTOR: ACTOR } });
}

async function editJson(file: string, change: (value: Record<string, unknown>) => void): Promise<void> {
  const value = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Record<string, unknown>;
  change(value);
  await writeFile(path.join(dir, file), `${JSON.stringify(value, null, 2)}\n`);
}

/** Blocks Box and ends 3 of its sessions, as an admin clicking in Setup would. */
function blockBoxOutside(): Promise<void> {
  return editJson(BOX, (box) => {
    box.blocked = true;
    box.sessions = (box.sessions as unknown[]).slice(3);
  });
}

async function ledgerLines(): Promise<LedgerRecord[]> {
  return (await readFile(path.join(dir, LEDGER), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LedgerRecord);
}

function head(): string {
  return git(dir, ['rev-parse', 'HEAD'], env).trim();
}

function storeStatus(): string[] {
  return git(dir, ['status', '--porcelain', '--', 'org-state'], env).split('\n').filter(Boolean);
}

beforeAll(async () => {
  dir = await makeTempDir('capctl-refresh-');
  env = gitEnv(dir);
  await copyInto('examples/acme', path.join(dir, 'desired'));
  await copyInto('org-state', path.join(dir, 'org-state'));
  initRepo(dir, env);
  const first = await capctl(['apply', '--auto-approve']);
  expect(first.code, first.stderr).toBe(0);
}, 60_000);
afterAll(() => removeDir(dir));

describe('refresh', () => {
  it('with nothing changed writes nothing and says so (exit 0)', async () => {
    const before = { head: head(), ledger: await readFile(path.join(dir, LEDGER), 'utf8') };
    const result = await capctl(['refresh']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("No changes: acme-prod is as the ledger's last line recorded it; nothing was written.\n");
    expect(head()).toBe(before.head);
    expect(await readFile(path.join(dir, LEDGER), 'utf8')).toBe(before.ledger);
  });

  it('records an outside edit: one observed line (digest now, chained) and a commit of its own with its trailers', async () => {
    await blockBoxOutside();
    const drift = await capctl(['drift', '--format', 'json']);
    expect(drift.code).toBe(2);
    const { actualDigest } = JSON.parse(drift.stdout) as { actualDigest: string };
    const before = await ledgerLines();

    const result = await capctl(['refresh']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Recorded changes made outside capctl to acme-prod (ledger line ${before.length + 1}):`);
    const after = await ledgerLines();
    expect(after.slice(0, -1)).toEqual(before);
    const line = after.at(-1) as ObservedLine;
    expect(line).toMatchObject({
      seq: before.length + 1,
      kind: 'observed',
      actor: ACTOR,
      prev: before.at(-1)!.hash,
      result: { storeDigest: actualDigest, parts: [{ kind: 'app', appId: '0H4UkS9ciyO1J0920p' }] },
      observed: {
        named: true,
        previousDigest: before.at(-1)!.result.storeDigest,
        changes: [{ file: 'apps/0H4UkS9ciyO1J0920p.json', app: { name: 'Box', id: '0H4UkS9ciyO1J0920p' }, field: 'blocked', before: 'false', after: 'true' }],
        sessions: [{ app: { name: 'Box', id: '0H4UkS9ciyO1J0920p' }, ended: 3, started: 0, used: 0 }],
      },
    });
    expect(line.hash).toBe(hashLedgerLine(line));
    expect(line.result).not.toHaveProperty('files');

    const message = git(dir, ['log', '-1', '--format=%B'], env);
    expect(message.split('\n')[0]).toBe('capctl refresh acme-prod: Box blocked, 3 sessions ended');
    const trailers = git(dir, ['interpret-trailers', '--parse'], env, message).trim().split('\n');
    expect(trailers).toEqual(['Capctl-Org: acme-prod', `Capctl-Actor: ${ACTOR}`, `Capctl-Refresh: ${line.hash}`, `Capctl-Ledger-Seq: ${line.seq}-${line.seq}`]);
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD'], env).trim().split('\n').sort()).toEqual([BOX, LEDGER]);
    expect(storeStatus()).toEqual([]);

    const clean = await capctl(['drift']);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/^No drift: acme-prod is as the last refresh recorded it \(ledger line \d+/);
    // Recorded once: a second refresh has nothing to record.
    expect((await capctl(['refresh'])).stdout).toMatch(/^No changes:/);
  });

  it('history shows the refresh beside the applies; verify checks it', async () => {
    const { entries } = JSON.parse((await capctl(['history', '--org', 'acme-prod', '--format', 'json'])).stdout) as { entries: HistoryEntry[] };
    const applyAndRefresh = entries.filter((e) => e.type !== 'desired-change');
    expect(applyAndRefresh.map((e) => e.type)).toEqual(['refresh', 'apply']);
    expect(applyAndRefresh[0]).toMatchObject({
      subject: 'capctl refresh acme-prod: Box blocked, 3 sessions ended',
      actor: ACTOR,
      sessionsEnded: 3,
      observed: ['Box (apps/0H4UkS9ciyO1J0920p.json): blocked false → true', 'Box: sessions 3 ended'],
    });
    const text = await capctl(['history', '--app', 'Box']);
    expect(text.stdout).toContain('refresh acme-prod by ci-bot@acme.example: 2 changes made outside capctl recorded');
    expect(text.stdout).toContain('~ Box (apps/0H4UkS9ciyO1J0920p.json): blocked false → true');
    const verify = await capctl(['verify']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/^OK: acme-prod: ledger chain of 13 lines intact; 1 apply commit and 1 refresh commit match the ledger\.\n$/);
  });
});

describe('apply with changes made outside capctl', () => {
  it('an unrelated apply records them in a refresh commit first, then its own commit; drift is clean after', async () => {
    const desiredFile = path.join(dir, 'desired/apps/outlook.yaml');
    await writeFile(desiredFile, (await readFile(desiredFile, 'utf8')).replace('ipRelaxation: BYPASS_2FACTOR', 'ipRelaxation: ENFORCE'));
    git(dir, ['commit', '--quiet', '-am', 'Outlook: enforce the second factor'], env);
    await editJson(BOX, (box) => {
      box.blocked = false;
      box.deniedAttempts = 7;
    });
    const start = head();

    const apply = await capctl(['apply', '--auto-approve']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Committed');
    const subjects = git(dir, ['log', '--format=%s', `${start}..HEAD`], env).trim().split('\n');
    expect(subjects).toEqual(['capctl apply acme-prod: update Outlook Integration', 'capctl refresh acme-prod: Box unblocked, Box deniedAttempts changed']);
    // Each commit holds its own files: the outside edit is in the refresh commit, not the apply's.
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD~1'], env).trim().split('\n').sort()).toEqual([BOX, LEDGER]);
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD'], env).trim().split('\n').sort()).toEqual([LEDGER, OUTLOOK].sort()); // no org.json: the revision is the ledger's (no counter written)
    const lines = await ledgerLines();
    expect(lines.slice(-2).map((l) => ('kind' in l ? l.kind : 'applied'))).toEqual(['observed', 'applied']);
    expect(storeStatus()).toEqual([]);

    const drift = await capctl(['drift']);
    expect(drift.code, drift.stdout).toBe(0);
    expect(drift.stdout).toMatch(/^No drift: acme-prod is as the last apply left it/);
    const verify = await capctl(['verify']);
    expect(verify.stdout).toMatch(/^OK: .*; 2 apply commits and 2 refresh commits match the ledger\.\n$/);
  }, 60_000);

  it("an outside edit of the saved plan's app makes the plan stale (exit 3), and nothing is written", async () => {
    const desiredFile = path.join(dir, 'desired/apps/outlook.yaml');
    await writeFile(desiredFile, (await readFile(desiredFile, 'utf8')).replace('ipRelaxation: ENFORCE', 'ipRelaxation: BYPASS'));
    git(dir, ['commit', '--quiet', '-am', 'Outlook: bypass'], env);
    const plan = await capctl(['plan', '--out', path.join(dir, 'plan.json')]);
    expect(plan.code, plan.stderr).toBe(0);
    await editJson(OUTLOOK, (outlook) => {
      (outlook.policies as Record<string, unknown>).ipRelaxation = 'ENFORCE_RELAXREFRESH';
    });
    const before = { head: head(), ledger: await readFile(path.join(dir, LEDGER), 'utf8') };

    const apply = await capctl(['apply', path.join(dir, 'plan.json')]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(3);
    expect(apply.stderr).toContain('the store changed since the plan was made');
    expect(apply.stderr).toContain('Outlook Integration: ipRelaxation was ENFORCE when planned, is ENFORCE_RELAXREFRESH now');
    expect(head()).toBe(before.head);
    expect(await readFile(path.join(dir, LEDGER), 'utf8')).toBe(before.ledger);
    // Still pending, and drift says so; refresh records it.
    expect((await capctl(['drift'])).code).toBe(2);
    const refresh = await capctl(['refresh']);
    expect(refresh.stdout).toContain('Committed');
    expect(git(dir, ['log', '-1', '--format=%s'], env).trim()).toBe('capctl refresh acme-prod: Outlook Integration policies changed');
    expect((await capctl(['drift'])).code).toBe(0);
  }, 60_000);
});

describe('verify', () => {
  it('flags ledger lines that entered git in a commit that is neither an apply nor a refresh', async () => {
    const lines = await ledgerLines();
    const good = (await capctl(['verify'])).code;
    expect(good).toBe(0);
    // A line that chains correctly, appended and committed by hand.
    const forged = nextObservedLine(lines.at(-1), {
      at: '2026-11-30T00:00:00.000Z',
      actor: ACTOR,
      observed: { named: true, changes: [], sessions: [] },
      storeDigest: lines.at(-1)!.result.storeDigest,
    });
    const original = await readFile(path.join(dir, LEDGER), 'utf8');
    await writeFile(path.join(dir, LEDGER), `${original}${JSON.stringify(forged)}\n`);
    git(dir, ['commit', '--quiet', '-am', 'tidy the ledger'], env);
    const verify = await capctl(['verify']);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(
      /^BROKEN: acme-prod: commit [0-9a-f]{12} "tidy the ledger": it added 1 line to org-state\/acme-prod\/ledger\.jsonl, but it is neither an apply commit \(Capctl-Plan\) nor a refresh commit \(Capctl-Refresh\) of this org/,
    );
  });
});

describe('without git', () => {
  it('refresh records that the digest moved (changes not named), once', async () => {
    const bare = await makeTempDir('capctl-refresh-nogit-');
    try {
      await copyInto('examples/acme', path.join(bare, 'desired'));
      await copyInto('org-state', path.join(bare, 'org-state'));
      expect((await capctl(['refresh'], bare)).stdout).toMatch(/^Nothing to compare with: the ledger of acme-prod is empty/);
      expect((await capctl(['apply', '--auto-approve'], bare)).code).toBe(0);
      const box = path.join(bare, BOX);
      await writeFile(box, (await readFile(box, 'utf8')).replace('"blocked": false', '"blocked": true'));
      const result = await capctl(['refresh'], bare);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('(the store moved; what changed cannot be named)');
      expect(result.stdout).toContain('The store is not in a git repository: no commit was made.');
      const last = JSON.parse((await readFile(path.join(bare, LEDGER), 'utf8')).trim().split('\n').at(-1)!) as ObservedLine;
      expect(last).toMatchObject({ kind: 'observed', observed: { named: false, changes: [], sessions: [] } });
      expect((await capctl(['refresh'], bare)).stdout).toMatch(/^No changes:/);
      expect((await capctl(['drift'], bare)).code).toBe(0);
      expect((await capctl(['verify'], bare)).code).toBe(0);
    } finally {
      await removeDir(bare);
    }
  }, 60_000);
});
