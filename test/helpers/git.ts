// Real temporary git repositories for tests, independent of the machine's git configuration.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The environment a test's git runs in: no global or system configuration, a fixed identity.
 * Pass `identity: false` to leave git without one (to test capctl's fallback identity).
 */
export function gitEnv(home: string, identity = true): Record<string, string | undefined> {
  const empty = path.join(home, '.gitconfig-empty');
  writeFileSync(empty, '');
  return {
    GIT_CONFIG_GLOBAL: empty,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: identity ? 'Test Author' : undefined,
    GIT_AUTHOR_EMAIL: identity ? 'author@test.example' : undefined,
    GIT_COMMITTER_NAME: identity ? 'Test Committer' : undefined,
    GIT_COMMITTER_EMAIL: identity ? 'committer@test.example' : undefined,
    EMAIL: undefined,
  };
}

/** Runs git in `cwd` with `env` and returns its stdout. */
export function git(cwd: string, args: string[], env: Record<string, string | undefined>, input?: string): string {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  return execFileSync('git', args, { cwd, env: merged, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Makes `dir` a git repository with everything in it committed. */
export function initRepo(dir: string, env: Record<string, string | undefined>): void {
  git(dir, ['init', '--quiet', '--initial-branch=main'], env);
  git(dir, ['add', '--all'], env);
  git(dir, ['commit', '--quiet', '--allow-empty', '-m', 'initial'], env);
}

/** Applies `env` to this process (for tests that call src/audit in process). */
export function useEnv(env: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
