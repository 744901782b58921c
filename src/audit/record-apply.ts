// Records an apply in git: one commit of exactly the store files the apply changed.
import path from 'node:path';
import { commitPaths, openGitRepo, repoPath } from './git-repo.js';

/** What recording an apply did. */
export type RecordOutcome =
  | { status: 'committed'; commit: string; files: string[] }
  | { status: 'not-in-a-repository' }
  | { status: 'nothing-to-commit' };

/**
 * Commits `files` (relative to the org's folder) with `message` when the folder is in a git work
 * tree. Nothing else that is staged or lying around is committed. Without a configured git
 * identity the commit is made as `capctl <actor>`.
 */
export async function recordApplyCommit(orgDir: string, files: readonly string[], message: string, actor: string): Promise<RecordOutcome> {
  const repo = await openGitRepo(orgDir);
  if (!repo) return { status: 'not-in-a-repository' };
  const paths: string[] = [];
  for (const file of [...new Set(files)].sort()) paths.push(await repoPath(repo, path.join(orgDir, file)));
  const commit = await commitPaths(repo, paths, message, { name: 'capctl', email: actor });
  return commit ? { status: 'committed', commit, files: paths } : { status: 'nothing-to-commit' };
}
