// The git work tree a folder lives in, through simple-git (the only place git is used).
import { mkdtemp, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';

/** A git work tree: its root (real path) and a git client rooted there. */
export interface GitRepo {
  root: string;
  git: SimpleGit;
}

/** One commit as `git log` reads it, with its trailers as git parses them. */
export interface CommitInfo {
  hash: string;
  authorName: string;
  authorEmail: string;
  /** Author date, ISO 8601 strict. */
  date: string;
  subject: string;
  /** The whole message after the subject (trailers included). */
  body: string;
  /** [key, value] in order, as `git interpret-trailers --parse` would give them. */
  trailers: [string, string][];
  /** Paths the commit changed, relative to the repository root (when asked for). */
  files: string[];
}

/** The git work tree holding `dir`, or undefined when it is not in one (or git is missing). */
export async function openGitRepo(dir: string): Promise<GitRepo | undefined> {
  // Loaded on use: an apply with --no-commit, or outside git, need not pay for it at start.
  const { simpleGit } = await import('simple-git');
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    return undefined;
  }
  try {
    const top = (await simpleGit({ baseDir: real }).raw(['rev-parse', '--show-toplevel'])).trim();
    if (!top) return undefined;
    const root = await realpath(top);
    return { root, git: simpleGit({ baseDir: root }) };
  } catch {
    return undefined;
  }
}

/** `dir` (or a file in it) relative to the repository root, with forward slashes. */
export async function repoPath(repo: GitRepo, target: string): Promise<string> {
  // The target may not exist (a file an action removed): resolve its folder instead.
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    real = path.join(await realpath(path.dirname(target)), path.basename(target));
  }
  const rel = path.relative(repo.root, real).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

/** The commit HEAD points at, or undefined in a repository without commits. */
export async function headCommit(repo: GitRepo): Promise<string | undefined> {
  try {
    return (await repo.git.raw(['rev-parse', '--verify', '--quiet', 'HEAD'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether git knows who commits here (config or environment). */
async function hasIdentity(repo: GitRepo): Promise<boolean> {
  const env = process.env;
  const email = env.GIT_AUTHOR_EMAIL ?? env.GIT_COMMITTER_EMAIL ?? env.EMAIL;
  const name = env.GIT_AUTHOR_NAME ?? env.GIT_COMMITTER_NAME;
  const configured = async (key: string): Promise<boolean> => (await repo.git.raw(['config', '--get', key]).catch(() => '')).trim() !== '';
  return (email !== undefined || (await configured('user.email'))) && (name !== undefined || (await configured('user.name')));
}

/**
 * Commits exactly `paths` (relative to the root) with `message`, whatever else is staged or lying
 * around: other staged changes stay staged and uncommitted. Untracked paths are added first.
 * Returns the new commit, or undefined when the paths hold no change.
 * When git has no identity configured, commits as `fallback`.
 */
export async function commitPaths(
  repo: GitRepo,
  paths: readonly string[],
  message: string,
  fallback: { name: string; email: string },
): Promise<string | undefined> {
  if (paths.length === 0) return undefined;
  return keepingIndexOnFailure(repo, () => stageAndCommit(repo, paths, message, fallback));
}

/**
 * Runs `commit` and, when it fails (a pre-commit hook said no, the disk is full), puts the index
 * (the user's staging area) back byte for byte as it was: what the user had staged stays staged,
 * and nothing capctl staged is left behind.
 */
async function keepingIndexOnFailure<T>(repo: GitRepo, commit: () => Promise<T>): Promise<T> {
  const indexFile = path.resolve(repo.root, (await repo.git.raw(['rev-parse', '--git-path', 'index'])).trim());
  const saved = await readFile(indexFile).catch(() => undefined);
  try {
    return await commit();
  } catch (error) {
    if (saved === undefined) {
      await rm(indexFile, { force: true });
    } else {
      const temporary = `${indexFile}.capctl-restore`;
      await writeFile(temporary, saved);
      await rename(temporary, indexFile);
    }
    if (error instanceof Error) error.message = error.message.trim();
    throw error;
  }
}

async function stageAndCommit(repo: GitRepo, paths: readonly string[], message: string, fallback: { name: string; email: string }): Promise<string | undefined> {
  const literal = ['--literal-pathspecs'];
  await repo.git.raw([...literal, 'add', '--all', '--', ...paths]);
  const changed = (await repo.git.raw([...literal, 'diff', '--cached', '--name-only', 'HEAD', '--', ...paths]).catch(async () =>
    // No HEAD yet: everything staged under the paths is new.
    repo.git.raw([...literal, 'diff', '--cached', '--name-only', '--', ...paths]),
  )).trim();
  if (changed === '') return undefined;
  const identity = (await hasIdentity(repo)) ? [] : ['-c', `user.name=${fallback.name}`, '-c', `user.email=${fallback.email}`];
  // The message goes through a file: a plan of thousands of actions outgrows a command-line argument.
  const dir = await mkdtemp(path.join(tmpdir(), 'capctl-commit-'));
  const file = path.join(dir, 'message');
  try {
    await writeFile(file, message);
    await repo.git.raw([...identity, ...literal, 'commit', '--quiet', '--cleanup=whitespace', '-F', file, '--only', '--', ...paths]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return headCommit(repo);
}

const fieldSep = '\x1f';
const recordSep = '\x1e';
const trailerSep = '\x1d';

/**
 * Commits touching `paths` (all commits when empty), newest first, with their trailers.
 * `withFiles` also lists the paths each commit changed (limited to `paths`).
 */
export async function readCommits(repo: GitRepo, paths: readonly string[], options: { withFiles?: boolean; grep?: string } = {}): Promise<CommitInfo[]> {
  if ((await headCommit(repo)) === undefined) return [];
  const format = ['%H', '%an', '%ae', '%aI', '%s', '%b', `%(trailers:unfold,separator=%x1d)`].join('%x1f');
  const args = ['--literal-pathspecs', 'log', `--format=${recordSep}${format}${fieldSep}`];
  if (options.withFiles) args.push('--name-only');
  if (options.grep) args.push('--fixed-strings', `--grep=${options.grep}`);
  args.push('--', ...paths);
  const out = await repo.git.raw(args);
  const commits: CommitInfo[] = [];
  for (const record of out.split(recordSep).slice(1)) {
    const parts = record.split(fieldSep);
    const [hash, authorName, authorEmail, date, subject, body, trailerText, filesText] = parts as [string, string, string, string, string, string, string, string | undefined];
    const trailers = trailerText
      .split(trailerSep)
      .filter((t) => t.includes(':'))
      .map((t): [string, string] => {
        const at = t.indexOf(':');
        return [t.slice(0, at).trim(), t.slice(at + 1).trim()];
      });
    const files = (filesText ?? '')
      .split('\n')
      .map((f) => f.trim())
      .filter(Boolean);
    commits.push({ hash, authorName, authorEmail, date, subject, body: body.trimEnd(), trailers, files });
  }
  return commits;
}

/** The content of `file` (relative to the root) at `commit`, or undefined when it did not exist there. */
export async function showFileAt(repo: GitRepo, commit: string, file: string): Promise<string | undefined> {
  try {
    return await repo.git.raw(['show', `${commit}:${file}`]);
  } catch {
    return undefined;
  }
}

/** Every value of a trailer key (case-insensitive, as git compares keys). */
export function trailerValues(commit: Pick<CommitInfo, 'trailers'>, key: string): string[] {
  const lower = key.toLowerCase();
  return commit.trailers.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
}
