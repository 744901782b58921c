// The CI templates in examples/ci/ must not rot: this reads each one, takes every step that runs
// capctl, and runs it as the CI system would (bash, the template's env, `npx` resolving to this
// checkout's capctl) against a copy of the bundled example in a temporary git repository:
// plan on a pull request, apply the saved plan on merge, then the scheduled drift check.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copyInto, makeTempDir, removeDir, repoRoot } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';

/** The capctl steps of a GitHub Actions workflow, job by job, with ${{ matrix.org }} filled in. */
function githubSteps(workflow: { jobs: Record<string, { steps: { run?: string }[] }> }, org: string): Map<string, string[]> {
  const jobs = new Map<string, string[]>();
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const scripts = job.steps.map((s) => s.run ?? '').filter((run) => run.includes('npx capctl'));
    jobs.set(name, scripts.map((s) => s.replaceAll('${{ matrix.org }}', org)));
  }
  return jobs;
}

/** The capctl script lines of a GitLab CI file, job by job ($ORG comes from the environment). */
function gitlabSteps(pipeline: Record<string, { script?: string[] }>): Map<string, string[]> {
  const jobs = new Map<string, string[]>();
  for (const [name, job] of Object.entries(pipeline)) {
    if (name.startsWith('.') || !Array.isArray(job.script)) continue;
    jobs.set(name, job.script.filter((line) => line.includes('npx capctl')));
  }
  return jobs;
}

let dir: string;
let shimDir: string;

beforeAll(async () => {
  shimDir = await makeTempDir('capctl-npx-');
  // `npx capctl ...` in a template runs this checkout's capctl.
  await writeFile(
    path.join(shimDir, 'npx'),
    `#!/usr/bin/env bash\n[ "$1" = capctl ] || { echo "npx shim: only capctl" >&2; exit 127; }\nshift\nexec "${process.execPath}" "${path.join(repoRoot, 'bin/capctl.js')}" "$@"\n`,
  );
  await chmod(path.join(shimDir, 'npx'), 0o755);
});

afterAll(async () => {
  await removeDir(shimDir);
});

async function exampleRepo(env: Record<string, string | undefined>): Promise<string> {
  const repo = await makeTempDir('capctl-ci-');
  await copyInto('examples/acme', path.join(repo, 'desired'));
  await copyInto('org-state', path.join(repo, 'org-state'));
  initRepo(repo, env);
  return repo;
}

function runStep(script: string, cwd: string, env: Record<string, string | undefined>): { code: number; out: string } {
  const result = spawnSync('bash', ['-eo', 'pipefail', '-c', script], {
    cwd,
    env: { ...process.env, ...env, PATH: `${shimDir}:${process.env.PATH}`, CI: 'true', NO_COLOR: '1' },
    encoding: 'utf8',
  });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

function runJob(steps: string[] | undefined, cwd: string, env: Record<string, string | undefined>): { code: number; out: string } {
  expect(steps, 'the job runs capctl').toBeDefined();
  expect(steps!.length).toBeGreaterThan(0);
  let out = '';
  for (const step of steps!) {
    const result = runStep(step, cwd, env);
    out += result.out;
    if (result.code !== 0) return { code: result.code, out };
  }
  return { code: 0, out };
}

async function blockInStore(repo: string, appName: string): Promise<void> {
  const appsDir = path.join(repo, 'org-state/acme-prod/apps');
  for (const file of execFileSync('ls', [appsDir], { encoding: 'utf8' }).trim().split('\n')) {
    const text = await readFile(path.join(appsDir, file), 'utf8');
    const app = JSON.parse(text) as { name: string; blocked: boolean; sessions: unknown[] };
    if (app.name !== appName) continue;
    app.blocked = true;
    app.sessions = [];
    await writeFile(path.join(appsDir, file), `${JSON.stringify(app, null, 2)}\n`);
    return;
  }
  throw new Error(`no app ${appName}`);
}

async function checkLoop(jobs: Map<string, string[]>, names: { plan: string; apply: string; drift: string }, env: Record<string, string | undefined>) {
  dir = await makeTempDir('capctl-ci-');
  // Git, in the test and in the jobs, without the machine's global or system configuration.
  const gitVars = gitEnv(dir);
  const repo = await exampleRepo(gitVars);
  try {
    const outputs = path.join(repo, '.github-output');
    await mkdir(path.dirname(outputs), { recursive: true });
    const jobEnv = { ...env, ...gitVars, GITHUB_OUTPUT: outputs };

    const plan = runJob(jobs.get(names.plan), repo, jobEnv);
    expect(plan.code, plan.out).toBe(0);
    const saved = JSON.parse(await readFile(path.join(repo, 'plan-acme-prod.json'), 'utf8')) as { actions: unknown[]; org: { name: string } };
    expect(saved.org.name).toBe('acme-prod');
    expect(saved.actions.length).toBeGreaterThan(0);
    expect(await readFile(path.join(repo, 'plan-acme-prod.md'), 'utf8')).toMatch(/acme-prod/);

    // The org moves on between review and merge (someone blocks an app in Setup): the saved
    // plan is refused as stale, and nothing is written.
    await blockInStore(repo, 'Box');
    const stale = runJob(jobs.get(names.apply), repo, jobEnv);
    expect(stale.code, stale.out).toBe(3);
    expect(git(repo, ['status', '--porcelain', '--', 'org-state'], gitVars)).toMatch(/apps\//);
    git(repo, ['checkout', '--', 'org-state'], gitVars);

    const head = git(repo, ['rev-parse', 'HEAD'], gitVars).trim();
    const apply = runJob(jobs.get(names.apply), repo, jobEnv);
    expect(apply.code, apply.out).toBe(0);
    const log = git(repo, ['log', '--format=%s%n%b', `${head}..HEAD`], gitVars);
    expect(log).toMatch(/capctl apply acme-prod/);
    expect(log).toMatch(/Capctl-Plan: sha256:/);

    // A re-run of the apply job (CI retried it) finds every action done and changes nothing.
    const rerun = runJob(jobs.get(names.apply), repo, jobEnv);
    expect(rerun.code, rerun.out).toBe(0);
    expect(git(repo, ['rev-list', '--count', `${head}..HEAD`], gitVars).trim()).toBe('1');

    const clean = runJob(jobs.get(names.drift), repo, jobEnv);
    expect(clean.code, clean.out).toBe(0);
    await blockInStore(repo, 'Box');
    const drifted = runJob(jobs.get(names.drift), repo, jobEnv);
    expect(drifted.code, drifted.out).toBe(2);
    expect(drifted.out).toMatch(/Box/);
  } finally {
    await removeDir(repo);
    await removeDir(dir);
  }
}

describe('CI templates', () => {
  it('GitHub Actions: plan on a pull request, apply the saved plan on merge (refused when stale), drift on schedule', async () => {
    const workflow = parse(await readFile(path.join(repoRoot, 'examples/ci/github-actions.yml'), 'utf8')) as {
      env: Record<string, string>;
      jobs: Record<string, { steps: { run?: string }[]; concurrency?: { group: string } }>;
    };
    expect(workflow.jobs.plan?.concurrency?.group).toBe(workflow.jobs.apply?.concurrency?.group);
    await checkLoop(githubSteps(workflow, 'acme-prod'), { plan: 'plan', apply: 'apply', drift: 'drift' }, workflow.env);
  });

  it('GitLab CI: the same loop, one pipeline at a time per org', async () => {
    const pipeline = parse(await readFile(path.join(repoRoot, 'examples/ci/gitlab-ci.yml'), 'utf8')) as Record<string, { script?: string[]; resource_group?: string }> & {
      variables: Record<string, string>;
    };
    expect(pipeline['capctl-plan']?.resource_group).toBe(pipeline['capctl-apply']?.resource_group);
    await checkLoop(gitlabSteps(pipeline), { plan: 'capctl-plan', apply: 'capctl-apply', drift: 'capctl-drift' }, { ...pipeline.variables, ORG: 'acme-prod' });
  });
});
