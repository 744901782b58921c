// Recording an apply in a real temporary git repository: exactly the apply's files are committed.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordApplyCommit } from '../../src/audit/record-apply.js';
import { readCommits, openGitRepo } from '../../src/audit/git-repo.js';
import { renderApplyCommitMessage } from '../../src/render/apply-commit-message.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';
import { git, gitEnv, initRepo, useEnv } from '../helpers/git.js';
import { action, fakeDigest, ledgerOf, result } from '../helpers/actions.js';

let dir: string;
let env: Record<string, string | undefined>;
const saved = { ...process.env };

beforeEach(async () => {
  dir = await makeTempDir();
  env = gitEnv(dir);
  useEnv(env);
  const org = path.join(dir, 'org-state/acme-prod');
  await mkdir(path.join(org, 'apps'), { recursive: true });
  await writeFile(path.join(org, 'org.json'), '{"revision": 7}\n');
  await writeFile(path.join(org, 'apps/A.json'), '{"blocked": false}\n');
  await writeFile(path.join(dir, 'README.md'), 'hello\n');
  initRepo(dir, env);
});

afterEach(async () => {
  process.env = { ...saved };
  await removeDir(dir);
});

const plan = fakeDigest('d');
const lines = ledgerOf(plan, [
  [action(1, 'block', 'Dropbox'), result('blocked', 3, 2)],
  [action(2, 'revoke', 'Slack', { revocation: { id: 'INC-2041', users: 'all', issuedBefore: '2026-11-20T00:00:00Z', reason: 'r' } }), result('revoked', 4, 1)],
  [action(3, 'revoke', 'Jira', { revocation: { id: 'INC-2057', users: ['jdoe@acme.example'], issuedBefore: '2026-11-20T00:00:00Z', reason: 'r' } }), result('revoked', 1, 1)],
]);
const message = renderApplyCommitMessage({ org: 'acme-prod', actor: 'ci-bot@acme.example', planDigest: plan, desiredCommit: 'abc123', lines });

describe('recordApplyCommit', () => {
  it('commits exactly the given files; staged and stray changes stay as they were', async () => {
    const org = path.join(dir, 'org-state/acme-prod');
    await writeFile(path.join(dir, 'README.md'), 'staged change\n');
    git(dir, ['add', 'README.md'], env);
    await writeFile(path.join(dir, 'stray.txt'), 'untracked\n');
    await writeFile(path.join(org, 'org.json'), '{"revision": 8}\n');
    await writeFile(path.join(org, 'apps/A.json'), '{"blocked": true}\n');
    await writeFile(path.join(org, 'ledger.jsonl'), '{}\n');

    const outcome = await recordApplyCommit(org, ['org.json', 'apps/A.json', 'ledger.jsonl'], message, 'ci-bot@acme.example');
    expect(outcome.status).toBe('committed');
    const files = git(dir, ['show', '--name-only', '--format=', 'HEAD'], env).trim().split('\n').sort();
    expect(files).toEqual(['org-state/acme-prod/apps/A.json', 'org-state/acme-prod/ledger.jsonl', 'org-state/acme-prod/org.json']);
    // README.md is still staged (and not committed); stray.txt still untracked.
    expect(git(dir, ['diff', '--cached', '--name-only'], env).trim()).toBe('README.md');
    expect(git(dir, ['status', '--porcelain', '--', 'stray.txt'], env).trim()).toBe('?? stray.txt');
    expect(git(dir, ['show', 'HEAD:README.md'], env)).toBe('hello\n');
  });

  it('writes trailers that git interpret-trailers parses, and reads them back', async () => {
    const org = path.join(dir, 'org-state/acme-prod');
    await writeFile(path.join(org, 'ledger.jsonl'), '{}\n');
    await recordApplyCommit(org, ['ledger.jsonl'], message, 'ci-bot@acme.example');
    const body = git(dir, ['log', '-1', '--format=%B'], env);
    const parsed = git(dir, ['interpret-trailers', '--parse'], env, body).trim().split('\n');
    expect(parsed).toEqual([
      'Capctl-Org: acme-prod',
      'Capctl-Actor: ci-bot@acme.example',
      `Capctl-Plan: ${plan}`,
      'Capctl-Desired-Commit: abc123',
      'Capctl-Revocation: INC-2041',
      'Capctl-Revocation: INC-2057',
      'Capctl-Ledger-Seq: 1-3',
      `Capctl-Ledger-Head: ${lines[2]!.hash}`,
    ]);
    const repo = (await openGitRepo(org))!;
    const [latest] = await readCommits(repo, ['org-state'], { withFiles: true });
    expect(latest!.subject).toBe('capctl apply acme-prod: revoke 5 sessions (INC-2041, INC-2057), block Dropbox');
    expect(latest!.trailers.filter(([k]) => k === 'Capctl-Revocation').map(([, v]) => v)).toEqual(['INC-2041', 'INC-2057']);
    expect(latest!.files).toEqual(['org-state/acme-prod/ledger.jsonl']);
    expect(latest!.authorEmail).toBe('author@test.example');
  });

  it('commits as capctl <actor> when git has no identity', async () => {
    useEnv(gitEnv(dir, false));
    const org = path.join(dir, 'org-state/acme-prod');
    await writeFile(path.join(org, 'ledger.jsonl'), '{}\n');
    await recordApplyCommit(org, ['ledger.jsonl'], message, 'ci-bot@acme.example');
    expect(git(dir, ['log', '-1', '--format=%an <%ae>|%cn <%ce>'], gitEnv(dir, false)).trim()).toBe('capctl <ci-bot@acme.example>|capctl <ci-bot@acme.example>');
  });

  it('commits nothing when the files hold no change, and nothing outside a repository', async () => {
    const org = path.join(dir, 'org-state/acme-prod');
    expect(await recordApplyCommit(org, ['org.json'], message, 'x')).toEqual({ status: 'nothing-to-commit' });
    const outside = await makeTempDir();
    try {
      expect(await recordApplyCommit(outside, ['org.json'], message, 'x')).toEqual({ status: 'not-in-a-repository' });
    } finally {
      await removeDir(outside);
    }
  });
});
