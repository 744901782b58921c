// readDesiredCommit against real git repositories in temporary folders.
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readDesiredCommit } from '../../src/audit/desired-commit.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';
import { git, gitEnv, initRepo, useEnv } from '../helpers/git.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

async function repoWithDesired(): Promise<{ root: string; desired: string; head: string; env: Record<string, string | undefined> }> {
  const home = await makeTempDir('capctl-commit-home-');
  const root = await makeTempDir('capctl-commit-');
  dirs.push(home, root);
  // readDesiredCommit runs git in this process: no global or system configuration of the machine.
  const env = gitEnv(home);
  useEnv(env);
  const desired = path.join(root, 'desired');
  await mkdir(desired);
  await writeFile(path.join(desired, 'org.yaml'), 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\n');
  await writeFile(path.join(desired, 'app.yaml'), 'apiVersion: capctl/v1\n');
  await writeFile(path.join(root, 'README.md'), 'hello\n');
  initRepo(root, env);
  return { root, desired, head: git(root, ['rev-parse', 'HEAD'], env).trim(), env };
}

describe('readDesiredCommit', () => {
  it('is null outside a git repository', async () => {
    const dir = await makeTempDir('capctl-nogit-');
    dirs.push(dir);
    expect(await readDesiredCommit(dir)).toBeNull();
  });

  it('is the HEAD commit when the desired folder is clean', async () => {
    const { desired, head } = await repoWithDesired();
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(await readDesiredCommit(desired)).toBe(head);
  });

  it('appends +dirty when the desired folder has uncommitted or untracked changes, not for changes elsewhere', async () => {
    const { root, desired, head } = await repoWithDesired();
    await writeFile(path.join(root, 'README.md'), 'changed outside the desired folder\n');
    expect(await readDesiredCommit(desired)).toBe(head);
    await writeFile(path.join(desired, 'new.yaml'), 'apiVersion: capctl/v1\n');
    expect(await readDesiredCommit(desired)).toBe(`${head}+dirty`);
  });

  it('appends +dirty for a modified tracked file and for a staged change in the desired folder', async () => {
    const { desired, head, env } = await repoWithDesired();
    await writeFile(path.join(desired, 'org.yaml'), 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-dev\n');
    expect(await readDesiredCommit(desired)).toBe(`${head}+dirty`);
    git(desired, ['checkout', '--', 'org.yaml'], env);
    expect(await readDesiredCommit(desired)).toBe(head);
    await writeFile(path.join(desired, 'app.yaml'), 'apiVersion: capctl/v1\nkind: ConnectedApp\n');
    git(desired, ['add', 'app.yaml'], env);
    // Staged and the work tree equal to the index: only the index differs from HEAD.
    expect(git(desired, ['status', '--porcelain', '--', '.'], env)).toMatch(/^M {2}desired\/app\.yaml$/m);
    expect(await readDesiredCommit(desired)).toBe(`${head}+dirty`);
  });
});

describe('readDesiredCommit and files git ignores', () => {
  it('appends +dirty for an ignored file the loader reads, not for ignored files it never reads', async () => {
    const { root, desired, head, env } = await repoWithDesired();
    await writeFile(path.join(root, '.gitignore'), '*.local.yaml\n*.bak\n.drafts/\n');
    git(root, ['add', '.gitignore'], env);
    git(root, ['commit', '--quiet', '-m', 'ignore local files'], env);
    const clean = git(root, ['rev-parse', 'HEAD'], env).trim();
    expect(clean).not.toBe(head);
    await writeFile(path.join(desired, 'org.yaml.bak'), 'old\n');
    await mkdir(path.join(desired, '.drafts'));
    await writeFile(path.join(desired, '.drafts/next.yaml'), 'apiVersion: capctl/v1\n');
    expect(await readDesiredCommit(desired)).toBe(clean);
    await mkdir(path.join(desired, 'apps'));
    await writeFile(path.join(desired, 'apps/my app.local.yaml'), 'apiVersion: capctl/v1\n');
    expect(git(root, ['status', '--porcelain', '--', 'desired'], env)).toBe('');
    expect(await readDesiredCommit(desired)).toBe(`${clean}+dirty`);
  });
});
