// The CI templates in examples/ci/ must not rot: this reads each one, takes every step that runs
// capctl (and the step that writes the JWT key from its secret), and runs it as the CI system would
// (bash, the template's env with its secrets filled in, `npx` resolving to this checkout's capctl)
// against the fake org, connected with the JWT bearer flow as CI connects (SPEC §13), from a
// temporary git repository holding the bundled example's desired state: plan of the live org on a
// pull request, apply the saved plan on merge (refused when the org moved on), then the morning's
// live refresh, which records what changed outside capctl and says so.
import { generateKeyPairSync } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeOrg, type FakeOrg } from '../../src/fake-org/server.js';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { bundledSnapshot } from '../salesforce/helpers.js';

/** One step as the test runs it: its script and its own env (secrets filled in). */
interface Step {
  run: string;
  env: Record<string, string>;
}

/** `${{ secrets.NAME }}` and `${{ matrix.org }}` filled in. */
function fill(text: string, secrets: Record<string, string>, org: string): string {
  return text.replaceAll('${{ matrix.org }}', org).replace(/\$\{\{ secrets\.([A-Z_]+) \}\}/g, (_, name: string) => secrets[name] ?? '');
}

function filled(env: Record<string, string> | undefined, secrets: Record<string, string>, org: string): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, fill(String(v), secrets, org)]));
}

/** The steps of a GitHub Actions workflow that run capctl or connect it, job by job. */
function githubSteps(workflow: { jobs: Record<string, { steps: { run?: string; env?: Record<string, string> }[] }> }, secrets: Record<string, string>, org: string): Map<string, Step[]> {
  const jobs = new Map<string, Step[]>();
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const steps = job.steps.filter((s) => s.run !== undefined && (s.run.includes('npx capctl') || s.run.includes('SF_JWT_KEY_FILE')));
    jobs.set(name, steps.map((s) => ({ run: fill(s.run!, secrets, org), env: filled(s.env, secrets, org) })));
  }
  return jobs;
}

/** The capctl script lines of a GitLab CI file, job by job ($ORG and the CI/CD variables come from the environment). */
function gitlabSteps(pipeline: Record<string, { script?: string[] }>): Map<string, Step[]> {
  const jobs = new Map<string, Step[]>();
  for (const [name, job] of Object.entries(pipeline)) {
    if (name.startsWith('.') || !Array.isArray(job.script)) continue;
    jobs.set(name, job.script.filter((line) => line.includes('npx capctl')).map((run) => ({ run, env: {} })));
  }
  return jobs;
}

let dir: string;
let shimDir: string;
/** The JWT private key as a file (a GitLab File variable; the GitHub template writes its own from the secret). */
let keyFile: string;

beforeAll(async () => {
  shimDir = await makeTempDir('capctl-npx-');
  // `npx capctl ...` in a template runs this checkout's capctl.
  await writeFile(
    path.join(shimDir, 'npx'),
    `#!/usr/bin/env bash\n[ "$1" = capctl ] || { echo "npx shim: only capctl" >&2; exit 127; }\nshift\nexec "${process.execPath}" "${path.join(repoRoot, 'bin/capctl.js')}" "$@"\n`,
  );
  await chmod(path.join(shimDir, 'npx'), 0o755);
  keyFile = path.join(shimDir, 'jwt.key');
  await writeFile(keyFile, privatePem, { mode: 0o600 });
});

afterAll(async () => {
  await removeDir(shimDir);
});

/** The JWT connection CI has: a key pair (the fake checks assertions with its public half), the client id and the integration user. */
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const clientId = 'capctl-ci-client';
const integrationUser = 'ci-bot@acme.example';

/**
 * A git repository with the bundled example's desired state (its two declared apps that no API
 * shows left out: uninstalled, no tokens), capctl.yaml connecting acme-prod with jwt, and the
 * org's state folder from a first live refresh, committed.
 */
async function exampleRepo(env: Record<string, string | undefined>, connect: Record<string, string>): Promise<string> {
  const repo = await makeTempDir('capctl-ci-');
  await copyInto(path.join(repoRoot, 'examples/acme'), path.join(repo, 'desired'));
  for (const file of ['docusign.yaml', 'zoom.yaml']) await rm(path.join(repo, 'desired/apps', file));
  await writeFile(path.join(repo, 'capctl.yaml'), 'orgs:\n  acme-prod:\n    connection: jwt\n');
  await writeFile(path.join(repo, '.gitignore'), 'plan-*\ndrift-*\n*.sarif\n.ci/\n');
  initRepo(repo, env);
  const refreshed = await runCapctl(['refresh', '--actor', integrationUser], { cwd: repo, env: { ...env, ...connect } });
  expect(refreshed.code, refreshed.stderr).toBe(0);
  return repo;
}

/** Runs one step in bash; asynchronously, so that the fake org in this process answers meanwhile. */
function runStep(step: Step, cwd: string, env: Record<string, string | undefined>): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-eo', 'pipefail', '-c', step.run], {
      cwd,
      env: { ...process.env, ...env, ...step.env, PATH: `${shimDir}:${process.env.PATH}`, CI: 'true', NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** Runs a job's steps in order; what a step appends to $GITHUB_ENV is in the env of the steps after it, as on GitHub. */
async function runJob(steps: Step[] | undefined, cwd: string, env: Record<string, string | undefined>): Promise<{ code: number; out: string }> {
  expect(steps, 'the job runs capctl').toBeDefined();
  expect(steps!.some((s) => s.run.includes('npx capctl'))).toBe(true);
  const githubEnv = path.join(cwd, '.ci', 'github-env');
  await writeFile(githubEnv, '');
  let out = '';
  const jobEnv: Record<string, string | undefined> = { ...env, GITHUB_ENV: githubEnv };
  for (const step of steps!) {
    const result = await runStep(step, cwd, jobEnv);
    out += result.out;
    if (result.code !== 0) return { code: result.code, out };
    for (const line of (await readFile(githubEnv, 'utf8')).split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) jobEnv[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return { code: 0, out };
}

/** Someone blocks an app in Setup (the fake's BlacklistedConsumer), or takes the block away. */
function blockInOrg(fake: FakeOrg, appName: string, blocked: boolean): void {
  const blocks = fake.data.metadata.get('BlacklistedConsumer')!;
  if (blocked) blocks.set(`manual_${appName}`, { fullName: `manual_${appName}`, consumerName: appName, consumerKey: 'unknown', masterLabel: appName, blockedByApiWhitelisting: 'false', __lastModified: '2026-11-30T00:00:00.000Z' });
  else blocks.delete(`manual_${appName}`);
}

interface Loop {
  jobs: Map<string, Step[]>;
  names: { plan: string; apply: string; drift: string };
  /** The template's env, the CI/CD variables included. */
  env: Record<string, string | undefined>;
  /** Whether the drift job's last run found the org changed outside capctl (as the template says it). */
  drifted(repo: string, outputs: string): Promise<boolean>;
}

async function checkLoop(loop: Loop, fake: FakeOrg) {
  const { jobs, names, env } = loop;
  dir = await makeTempDir('capctl-ci-');
  // Git, in the test and in the jobs, without the machine's global or system configuration.
  const gitVars = gitEnv(dir);
  const connect = { SF_CLIENT_ID: clientId, SF_USERNAME: integrationUser, SF_LOGIN_URL: fake.url, SF_JWT_KEY_FILE: keyFile };
  const repo = await exampleRepo(gitVars, connect);
  try {
    const outputs = path.join(repo, '.ci', 'github-output');
    await mkdir(path.dirname(outputs), { recursive: true });
    const jobEnv = { ...env, ...gitVars, GITHUB_OUTPUT: outputs, RUNNER_TEMP: dir, CAPCTL_ACTOR: undefined };

    const plan = await runJob(jobs.get(names.plan), repo, jobEnv);
    expect(plan.code, plan.out).toBe(0);
    const saved = JSON.parse(await readFile(path.join(repo, 'plan-acme-prod.json'), 'utf8')) as { actions: unknown[]; org: { name: string } };
    expect(saved.org.name).toBe('acme-prod');
    expect(saved.actions.length).toBeGreaterThan(0);
    expect(await readFile(path.join(repo, 'plan-acme-prod.md'), 'utf8')).toMatch(/acme-prod/);

    // Read live, through the JWT login, as the integration user.
    expect(fake.requests.some((r) => r.grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer')).toBe(true);
    expect(plan.out).toMatch(/API calls to jwt/);

    // The org moves on between review and merge (someone blocks an app in Setup): the saved
    // plan is refused as stale, and nothing is written.
    const head = git(repo, ['rev-parse', 'HEAD'], gitVars).trim();
    blockInOrg(fake, 'Box', true);
    const stale = await runJob(jobs.get(names.apply), repo, jobEnv);
    expect(stale.code, stale.out).toBe(3);
    expect(stale.out).toContain('the store changed since the plan was made');
    expect(git(repo, ['status', '--porcelain', '--', 'org-state'], gitVars)).toBe('');
    expect(git(repo, ['rev-parse', 'HEAD'], gitVars).trim()).toBe(head);
    blockInOrg(fake, 'Box', false);

    const apply = await runJob(jobs.get(names.apply), repo, jobEnv);
    expect(apply.code, apply.out).toBe(0);
    expect(apply.out).toContain(`as ${integrationUser}.`);
    const log = git(repo, ['log', '--format=%s%n%b', `${head}..HEAD`], gitVars);
    expect(log).toMatch(/capctl apply acme-prod/);
    expect(log).toMatch(/Capctl-Plan: sha256:/);
    expect(log).toMatch(new RegExp(`Capctl-Actor: ${integrationUser}`));

    // A re-run of the apply job (CI retried it) finds every action done and changes nothing.
    const rerun = await runJob(jobs.get(names.apply), repo, jobEnv);
    expect(rerun.code, rerun.out).toBe(0);
    expect(git(repo, ['rev-list', '--count', `${head}..HEAD`], gitVars).trim()).toBe('1');

    // The morning's live refresh: nothing moved, nothing recorded.
    const clean = await runJob(jobs.get(names.drift), repo, jobEnv);
    expect(clean.code, clean.out).toBe(0);
    expect(await loop.drifted(repo, outputs)).toBe(false);
    expect(git(repo, ['rev-list', '--count', `${head}..HEAD`], gitVars).trim()).toBe('1');
    // Someone blocks Box in Setup: the refresh records it in a commit of its own, and says so.
    blockInOrg(fake, 'Box', true);
    const drifted = await runJob(jobs.get(names.drift), repo, jobEnv);
    expect(drifted.code, drifted.out).toBe(0);
    expect(drifted.out).toMatch(/Box/);
    expect(await loop.drifted(repo, outputs)).toBe(true);
    expect(git(repo, ['log', '-1', '--format=%s'], gitVars)).toMatch(/^capctl refresh acme-prod: Box blocked/);
    expect(git(repo, ['status', '--porcelain'], gitVars)).toBe('');
  } finally {
    await removeDir(repo);
    await removeDir(dir);
  }
}

describe('CI templates, against the fake org through a JWT connection', () => {
  // Each template against an org of its own, as the bundled example seeds it.
  let fake: FakeOrg;
  beforeEach(async () => {
    fake = await startFakeOrg({ snapshot: await bundledSnapshot(), jwt: { clientId, publicKey: keys.publicKey } });
  });
  afterEach(async () => {
    await fake.close();
  });
  const secretsOf = (): Record<string, string> => ({ SF_CLIENT_ID: clientId, SF_USERNAME: integrationUser, SF_LOGIN_URL: fake.url, SF_JWT_KEY: privatePem });

  it('GitHub Actions: plan of the live org on a pull request, apply the saved plan on merge (refused when stale), a live refresh every morning', async () => {
    const workflow = parse(await readFile(path.join(repoRoot, 'examples/ci/github-actions.yml'), 'utf8')) as {
      env: Record<string, string>;
      jobs: Record<string, { steps: { run?: string; env?: Record<string, string> }[]; concurrency?: { group: string } }>;
    };
    expect(workflow.jobs.plan?.concurrency?.group).toBe(workflow.jobs.apply?.concurrency?.group);
    expect(workflow.jobs.drift?.concurrency?.group).toBe(workflow.jobs.apply?.concurrency?.group);
    // The key comes from a secret, never from the repository.
    expect(JSON.stringify(workflow)).toContain('${{ secrets.SF_JWT_KEY }}');
    const secrets = secretsOf();
    await checkLoop(
      {
        jobs: githubSteps(workflow, secrets, 'acme-prod'),
        names: { plan: 'plan', apply: 'apply', drift: 'drift' },
        env: filled(workflow.env, secrets, 'acme-prod'),
        drifted: async (_repo, outputs) => (await readFile(outputs, 'utf8')).trim().split('\n').at(-1) === 'drifted=true',
      },
      fake,
    );
  }, 600_000);

  it('GitLab CI: the same loop, one pipeline at a time per org, the key a File variable', async () => {
    const pipeline = parse(await readFile(path.join(repoRoot, 'examples/ci/gitlab-ci.yml'), 'utf8')) as Record<string, { script?: string[]; resource_group?: string }> & {
      variables?: Record<string, string>;
    };
    expect(pipeline['capctl-plan']?.resource_group).toBe(pipeline['capctl-apply']?.resource_group);
    expect(pipeline['capctl-drift']?.resource_group).toBe(pipeline['capctl-apply']?.resource_group);
    const variables = { SF_CLIENT_ID: clientId, SF_USERNAME: integrationUser, SF_LOGIN_URL: fake.url };
    await checkLoop(
      {
        jobs: gitlabSteps(pipeline),
        names: { plan: 'capctl-plan', apply: 'capctl-apply', drift: 'capctl-drift' },
        // SF_JWT_KEY_FILE, a File variable, is the path checkLoop writes the key to.
        env: { ...pipeline.variables, ...variables, SF_JWT_KEY_FILE: keyFile, ORG: 'acme-prod' },
        drifted: async (repo) => (await readFile(path.join(repo, 'drift-acme-prod.code'), 'utf8')).trim() === '2',
      },
      fake,
    );
  }, 600_000);
});
