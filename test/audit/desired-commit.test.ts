// readDesiredCommit against real git repositories in temporary folders.
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterEach, describe, expect, it } from 'vitest';
import { readDesiredCommit } from '../../src/audit/desired-commit.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

async function repoWithDesired(): Promise<{ root: string; desired: string; head: string }> {
  const root = await makeTempDir('capctl-commit-');
  dirs.push(root);
  const desired = path.join(root, 'desired');
  await mkdir(desired);
  await writeFile(path.join(desired, 'org.yaml'), 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\n');
  await writeFile(path.join(root, 'README.md'), 'hello\n');
  const git = simpleGit({ baseDir: root });
  await git.init();
  await git.addConfig('user.name', 'Test');
  await git.addConfig('user.email', 'test@example.com');
  await git.add('.');
  await git.commit('first');
  return { root, desired, head: (await git.revparse(['HEAD'])).trim() };
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
});
