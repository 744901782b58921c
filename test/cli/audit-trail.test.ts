// The audit trail in a real temporary git repository holding the bundled example (desired state and
// org store): apply commits exactly its files with parseable trailers; history finds the apply of a
// revocation; verify names a hand-edited ledger line; drift reports a block made by editing the store.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/model/index.js';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';

const ACTOR = 'ci-bot@acme.example';
let dir: string;
let env: Record<string, string | undefined>;
let apply: Awaited<ReturnType<typeof runCapctl>>;

function capctl(args: string[]) {
  return runCapctl(args, { cwd: dir, env: { ...env, CAPCTL_ACTOR: ACTOR } });
}

beforeAll(async () => {
  dir = await makeTempDir('capctl-audit-');
  env = gitEnv(dir);
  await copyInto('examples/acme', path.join(dir, 'desired'));
  await copyInto('org-state', path.join(dir, 'org-state'));
  await writeFile(path.join(dir, 'README.md'), 'org repo\n');
  initRepo(dir, env);
  // Something staged and something lying around, which the apply commit must leave alone.
  await writeFile(path.join(dir, 'README.md'), 'org repo, edited\n');
  git(dir, ['add', 'README.md'], env);
  await writeFile(path.join(dir, 'notes.txt'), 'untracked\n');
  apply = await capctl(['apply', '--auto-approve']);
}, 60_000);
afterAll(() => removeDir(dir));

describe('the apply commit', () => {
  it('holds exactly the store files the apply changed and its ledger', () => {
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/Committed [0-9a-f]{12}: capctl apply acme-prod: /);
    const files = git(dir, ['show', '--name-only', '--format=', 'HEAD'], env).trim().split('\n');
    expect(files.every((f) => f.startsWith('org-state/acme-prod/'))).toBe(true);
    expect(files).toContain('org-state/acme-prod/ledger.jsonl');
    expect(files).toContain('org-state/acme-prod/org.json');
    // Nothing else changed in the store, and what was staged before is still staged, not committed.
    expect(git(dir, ['status', '--porcelain'], env).split('\n').filter(Boolean).sort()).toEqual(['?? notes.txt', 'M  README.md']);
  });

  it('has a short subject, a body with every action, and trailers git interpret-trailers parses', () => {
    const message = git(dir, ['log', '-1', '--format=%B'], env);
    const subject = message.split('\n')[0]!;
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^capctl apply acme-prod: .*revoke 60 sessions \(INC-2057, INC-2041\)/);
    expect(message).toContain('blocked Dropbox: ended 25 sessions of 20 users');
    expect(message).toContain('installed DocuSign eSignature');
    const trailers = git(dir, ['interpret-trailers', '--parse'], env, message).trim().split('\n');
    const plan = /^Capctl-Plan: (sha256:[0-9a-f]{64})$/m.exec(message)![1];
    const desiredCommit = git(dir, ['rev-list', '--max-parents=0', 'HEAD'], env).trim();
    expect(trailers).toEqual([
      'Capctl-Org: acme-prod',
      `Capctl-Actor: ${ACTOR}`,
      `Capctl-Plan: ${plan}`,
      `Capctl-Desired-Commit: ${desiredCommit}`,
      'Capctl-Revocation: INC-2057',
      'Capctl-Revocation: INC-2041',
      'Capctl-Ledger-Seq: 1-12',
      expect.stringMatching(/^Capctl-Ledger-Head: sha256:[0-9a-f]{64}$/),
    ]);
  });
});

describe('history', () => {
  it('--revocation finds the apply that carried it out, and the change that declared it', async () => {
    const text = await capctl(['history', '--revocation', 'INC-2041']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/apply acme-prod by ci-bot@acme\.example: 12 actions, 85 sessions ended/);
    expect(text.stdout).toContain('revoked 58 sessions of 43 users of Slack (INC-2041)');
    const json = await capctl(['history', '--revocation', 'INC-2041', '--format', 'json']);
    const { entries } = JSON.parse(json.stdout) as { entries: HistoryEntry[] };
    expect(entries.map((e) => e.type)).toEqual(['apply', 'desired-change']);
    expect(entries[0]).toMatchObject({ actor: ACTOR, org: 'acme-prod', revocations: ['INC-2057', 'INC-2041'], sessionsEnded: 85 });
    expect(entries[1]!.files).toEqual(['revocations/INC-2041.yaml']);
    expect((await capctl(['history', '--revocation', 'INC-9999', '--format', 'json'])).stdout).toContain('"entries": []');
  });

  it('--app lists the applies that acted on the app', async () => {
    const { entries } = JSON.parse((await capctl(['history', '--app', 'Dropbox', '--format', 'json'])).stdout) as { entries: HistoryEntry[] };
    expect(entries[0]!.actions.filter((a) => a.app?.name === 'Dropbox').map((a) => a.text)).toEqual(['blocked Dropbox: ended 25 sessions of 20 users']);
    expect(entries.filter((e) => e.type === 'desired-change').flatMap((e) => e.files)).toEqual(['apps/dropbox.yaml']);
  });
});

describe('verify and drift', () => {
  it('verify passes on the trail as the apply left it; drift finds none', async () => {
    const verify = await capctl(['verify']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toBe('OK: acme-prod: ledger chain of 12 lines intact; 1 apply commit matches the ledger.\n');
    const drift = await capctl(['drift']);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.stdout).toMatch(/^No drift: acme-prod is as the last apply left it/);
  });

  it('a block done by editing the store is drift (exit 2), named by app and field', async () => {
    const file = path.join(dir, 'org-state/acme-prod/apps/0H4UkS9ciyO1J0920p.json');
    const original = await readFile(file, 'utf8');
    expect(original).toContain('"name": "Box"');
    await writeFile(file, original.replace('"blocked": false', '"blocked": true'));
    try {
      const drift = await capctl(['drift']);
      expect(drift.code).toBe(2);
      expect(drift.stdout).toContain('Drift: acme-prod changed since the last apply');
      expect(drift.stdout).toContain('~ Box (apps/0H4UkS9ciyO1J0920p.json): blocked false → true');
      const json = JSON.parse((await capctl(['drift', '--format', 'json'])).stdout) as { drifted: boolean; changes: unknown[] };
      expect(json).toMatchObject({ drifted: true, changes: [{ app: { name: 'Box' }, field: 'blocked', before: 'false', after: 'true' }] });
    } finally {
      await writeFile(file, original);
    }
  });

  it('a hand-edited ledger line makes verify fail, naming the line', async () => {
    const file = path.join(dir, 'org-state/acme-prod/ledger.jsonl');
    const original = await readFile(file, 'utf8');
    const lines = original.split('\n');
    lines[10] = lines[10]!.replace('"sessionsEnded":58', '"sessionsEnded":5');
    expect(lines[10]).not.toBe(original.split('\n')[10]);
    await writeFile(file, lines.join('\n'));
    try {
      const verify = await capctl(['verify']);
      expect(verify.code).toBe(1);
      expect(verify.stdout).toMatch(/^BROKEN: acme-prod: ledger line 11 \(seq 11\): hash is sha256:\w+, but the line's content hashes to sha256:\w+ \(the line was changed after it was written\)/);
    } finally {
      await writeFile(file, original);
    }
  });
});
