// The git commit a desired-state folder was read at, for a plan's basis: auditors can then tie a
// plan (and the apply that carried it out) to the exact reviewed declaration.
import path from 'node:path';
import { simpleGit } from 'simple-git';

/**
 * The HEAD commit of the repository holding `dir`, with `+dirty` when files under `dir` differ
 * from it (changed, staged or untracked); null when `dir` is not in a git work tree or the
 * repository has no commit yet.
 */
export async function readDesiredCommit(dir: string): Promise<string | null> {
  let git;
  try {
    git = simpleGit({ baseDir: path.resolve(dir) });
  } catch {
    return null;
  }
  try {
    if (!(await git.checkIsRepo())) return null;
    const head = (await git.revparse(['HEAD'])).trim();
    const status = await git.raw(['status', '--porcelain', '--untracked-files=all', '--', '.']);
    return status.trim() === '' ? head : `${head}+dirty`;
  } catch {
    return null;
  }
}
