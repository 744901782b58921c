// apply and the user's git: a failed commit leaves the staging area as it was, and a store that git
// ignores is refused before anything changes (not reported as a failed commit after the apply).
import { chmod, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';

const ACTOR = 'ci-bot@acme.example';
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

async function repo(files: Record<string, string> = {}): Promise<{ dir: string; env: Record<string, string | undefined> }> {
  const dir = await makeTempDir('capctl-apply-git-');
  dirs.push(dir);
  const env = gitEnv(dir);
  await copyInto('examples/acme', path.join(dir, 'desired'));
  await copyInto('org-state', path.join(dir, 'org-state'));
  await writeFile(path.join(dir, 'README.md'), 'org repo\n');
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  initRepo(dir, env);
  return { dir, env };
}

function apply(dir: string, env: Record<string, string | undefined>, args: string[] = []) {
  return runCapctl(['apply', '--auto-approve', ...args], { cwd: dir, env: { ...env, CAPCTL_ACTOR: ACTOR } });
}

/** Every file of the org's folder with its bytes. */
async function storeFiles(dir: string): Promise<Record<string, string>> {
  const orgDir = path.join(dir, 'org-state/acme-prod');
  const out: Record<string, string> = {};
  for (const entry of await readdir(orgDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[path.relative(orgDir, path.join(entry.parentPath, entry.name))] = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

describe('a commit that fails', () => {
  it('leaves the index exactly as the user had it, and the next apply records the changes', async () => {
    const { dir, env } = await repo();
    await writeFile(path.join(dir, 'README.md'), 'org repo, edited\n');
    await writeFile(path.join(dir, 'notes.md'), 'new, staged\n');
    git(dir, ['add', 'README.md', 'notes.md'], env);
    const hook = path.join(dir, '.git/hooks/pre-commit');
    await writeFile(hook, '#!/bin/sh\necho "pre-commit: not today" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    const indexBefore = await readFile(path.join(dir, '.git/index'));

    const failed = await apply(dir, env);
    expect(failed.code, failed.stderr).toBe(1);
    expect(Buffer.compare(await readFile(path.join(dir, '.git/index')), indexBefore)).toBe(0);
    expect(git(dir, ['diff', '--cached', '--name-only'], env).trim().split('\n')).toEqual(['README.md', 'notes.md']);
    expect(failed.stdout).toContain('Apply complete: 12 actions applied');
    expect(failed.stdout).toContain('Git commit failed: pre-commit: not today; run the same apply again to record it\n');
    expect(git(dir, ['log', '--format=%s'], env).trim()).toBe('initial');

    await rm(hook);
    const again = await apply(dir, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Recorded in git an earlier apply that had no commit: [0-9a-f]{12} capctl apply acme-prod: /);
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD'], env).split('\n').filter(Boolean).every((f) => f.startsWith('org-state/acme-prod/'))).toBe(true);
    expect(git(dir, ['diff', '--cached', '--name-only'], env).trim().split('\n')).toEqual(['README.md', 'notes.md']);
  });
});

describe('a store that git ignores', () => {
  it('is refused before anything changes, naming the rule, with or without a saved plan', async () => {
    const { dir, env } = await repo({ '.gitignore': 'org-state/\n' });
    const before = await storeFiles(dir);
    const refused = await apply(dir, env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'capctl: git ignores the org store: org-state/acme-prod matches "org-state/" (.gitignore:1), so an apply could not be committed. Nothing was applied: stop ignoring it, or apply with --no-commit\n',
    );
    expect(refused.stdout).not.toContain('Apply complete');
    expect(await storeFiles(dir)).toEqual(before);

    const plan = await runCapctl(['plan', '--out', 'plan.json'], { cwd: dir, env });
    expect(plan.code, plan.stderr).toBe(0);
    const saved = await apply(dir, env, ['plan.json']);
    expect(saved.code).toBe(1);
    expect(saved.stderr).toContain('git ignores the org store');
    expect(await storeFiles(dir)).toEqual(before);

    const uncommitted = await apply(dir, env, ['--no-commit']);
    expect(uncommitted.code, uncommitted.stderr).toBe(0);
    expect(uncommitted.stdout).toContain('Not committed (--no-commit).');
  });

  it('is refused when only the ledger would be ignored, and not when a later rule takes it back', async () => {
    const { dir, env } = await repo({ '.gitignore': '*.jsonl\n' });
    const refused = await apply(dir, env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('git ignores the org store: org-state/acme-prod/ledger.jsonl matches "*.jsonl" (.gitignore:1)');
    expect(Object.keys(await storeFiles(dir))).not.toContain('ledger.jsonl');

    await writeFile(path.join(dir, '.gitignore'), '*.jsonl\n!org-state/**/ledger.jsonl\n');
    const applied = await apply(dir, env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(git(dir, ['show', '--name-only', '--format=', 'HEAD'], env)).toContain('org-state/acme-prod/ledger.jsonl');
  });
});

describe('a revocation that the block of its app covers (R9)', () => {
  it('still gets its Capctl-Revocation trailer; history --revocation finds the apply, and verify agrees', async () => {
    const { dir, env } = await repo({
      'desired/revocations/INC-2099.yaml':
        'apiVersion: capctl/v1\nkind: Revocation\norg: acme-prod\nid: INC-2099\napp: Dropbox\nusers: all\nissuedBefore: 2026-11-20T00:00:00Z\nreason: Shared link leaked\n',
    });
    const applied = await apply(dir, env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Revocation INC-2099 needs no action of its own: this plan blocks "Dropbox"');
    const message = git(dir, ['log', '-1', '--format=%B'], env);
    const trailers = git(dir, ['interpret-trailers', '--parse'], env, message);
    expect(trailers.split('\n').filter((l) => l.startsWith('Capctl-Revocation:'))).toEqual([
      'Capctl-Revocation: INC-2057',
      'Capctl-Revocation: INC-2041',
      'Capctl-Revocation: INC-2099',
    ]);

    const history = await runCapctl(['history', '--revocation', 'INC-2099', '--format', 'json'], { cwd: dir, env });
    expect(history.code, history.stderr).toBe(0);
    const { entries } = JSON.parse(history.stdout) as { entries: { type: string; commit: string }[] };
    expect(entries.filter((e) => e.type === 'apply').map((e) => e.commit)).toEqual([git(dir, ['rev-parse', 'HEAD'], env).trim()]);
    const verify = await runCapctl(['verify'], { cwd: dir, env });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
