// The git commit a desired-state folder was read at, for a plan's basis: auditors can then tie a
// plan (and the apply that carried it out) to the exact reviewed declaration.
import { isDesiredFilePath } from '../load/read-desired-files.js';
import { headCommit, openGitRepo, repoPath } from './git-repo.js';

/**
 * The HEAD commit of the repository holding `dir`, with `+dirty` when files under `dir` differ
 * from it (changed, staged or untracked), or when git ignores a file that the loader reads (the
 * commit does not hold it); null when `dir` is not in a git work tree or the repository has no
 * commit yet.
 */
export async function readDesiredCommit(dir: string): Promise<string | null> {
  const repo = await openGitRepo(dir);
  if (!repo) return null;
  try {
    const head = await headCommit(repo);
    if (!head) return null;
    const under = await repoPath(repo, dir);
    // -z: paths unquoted, whatever characters they hold.
    const status = await repo.git.raw(['--literal-pathspecs', 'status', '--porcelain', '-z', '--untracked-files=all', '--ignored', '--', under]);
    const prefix = under === '.' ? '' : `${under}/`;
    const dirty = status.split('\0').some((line) => {
      if (line === '') return false;
      if (!line.startsWith('!! ')) return true;
      const file = line.slice(3);
      return file.startsWith(prefix) && isDesiredFilePath(file.slice(prefix.length));
    });
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}
