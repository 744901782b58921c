// The git commit a desired-state folder was read at, for a plan's basis: auditors can then tie a
// plan (and the apply that carried it out) to the exact reviewed declaration.
import { headCommit, openGitRepo, repoPath } from './git-repo.js';

/**
 * The HEAD commit of the repository holding `dir`, with `+dirty` when files under `dir` differ
 * from it (changed, staged or untracked); null when `dir` is not in a git work tree or the
 * repository has no commit yet.
 */
export async function readDesiredCommit(dir: string): Promise<string | null> {
  const repo = await openGitRepo(dir);
  if (!repo) return null;
  try {
    const head = await headCommit(repo);
    if (!head) return null;
    const under = await repoPath(repo, dir);
    const status = await repo.git.raw(['--literal-pathspecs', 'status', '--porcelain', '--untracked-files=all', '--', under]);
    return status.trim() === '' ? head : `${head}+dirty`;
  } catch {
    return null;
  }
}
