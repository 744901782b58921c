// capctl contain end to end, in a child process, in a real temporary git repository holding the
// bundled example (applied first, so the desired state matches the org): the apps are blocked and
// their sessions ended, the desired state says so, one commit holds both, and afterwards plan says
// No changes, verify is OK, history says who contained what, when and why, and unblocking warns
// (CAPR008). A protected app, missing permissions and a dry run write nothing.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';

let repo: string;
let env: Record<string, string | undefined>;
const reason = 'INC-7731: Zapier and Slack tokens replayed from a vendor breach';

function capctl(args: string[]) {
  return runCapctl(args, { cwd: repo, env });
}

function status(): string {
  return git(repo, ['status', '--porcelain'], env);
}

beforeAll(async () => {
  repo = await makeTempDir('capctl-contain-');
  env = gitEnv(repo);
  await copyInto('examples/acme', path.join(repo, 'desired'));
  await copyInto('org-state', path.join(repo, 'org-state'));
  await writeFile(path.join(repo, '.gitignore'), '.gitconfig-empty\n');
  initRepo(repo, env);
  const applied = await capctl(['apply', '--actor', 'ci-bot@acme.example', '--auto-approve']);
  expect(applied.code, applied.stderr).toBe(0);
  expect(status()).toBe('');
});
afterAll(async () => {
  await removeDir(repo);
});

describe('capctl contain', () => {
  it('refuses a protected app (guard), and an actor without the permissions: nothing written', async () => {
    const head = git(repo, ['rev-parse', 'HEAD'], env);
    const guarded = await capctl(['contain', 'Salesforce CLI', '--reason', reason, '--actor', 'ci-bot@acme.example']);
    expect(guarded.code).toBe(1);
    expect(guarded.stdout).toContain('CAP318  Guard protectedApps: "Salesforce CLI" is protected');
    expect(guarded.stderr).toContain('nothing was contained');
    expect(status()).toBe('');

    const weak = await capctl(['contain', 'Zapier', '--reason', reason, '--actor', 'auditor@acme.example']);
    expect(weak.code).toBe(3);
    expect(status()).toBe('');
    expect(git(repo, ['rev-parse', 'HEAD'], env)).toBe(head);

    const none = await capctl(['contain', 'Zapr', '--reason', reason, '--actor', 'ci-bot@acme.example']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('lists no app named "Zapr"');
    const noReason = await capctl(['contain', 'Zapier', '--actor', 'ci-bot@acme.example']);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('--reason');
    expect(status()).toBe('');
  });

  it('--dry-run shows the plan and writes nothing; --vendor picks the apps declared with that vendor', async () => {
    const jira = path.join(repo, 'desired/apps/jira.yaml');
    await writeFile(jira, `${await readFile(jira, 'utf8')}vendor: Atlassian\n`);
    git(repo, ['commit', '--quiet', '-am', 'Jira is made by Atlassian'], env);
    const dry = await capctl(['contain', '--vendor', 'atlassian', '--reason', reason, '--actor', 'ci-bot@acme.example', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('x 1. block Jira Cloud Connector');
    expect(dry.stdout).toContain('Dry run: nothing was written.');
    expect(status()).toBe('');
  });

  it('contains: blocks and revokes now, one commit with the desired and the store change; then plan says No changes and verify is OK', async () => {
    const slackBefore = await readFile(path.join(repo, 'desired/apps/slack.yaml'), 'utf8');
    const head = git(repo, ['rev-parse', 'HEAD'], env).trim();
    const run = await capctl(['contain', 'Zapier', 'Slack', '--reason', reason, '--actor', 'ci-bot@acme.example']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Contained in acme-prod: "Zapier" (CONTAIN-');
    expect(run.stdout).toContain('To let "Zapier", "Slack" back in, once the incident is closed:');
    expect(status()).toBe('');

    // One commit, holding the desired files and the store files.
    expect(git(repo, ['rev-list', '--count', `${head}..HEAD`], env).trim()).toBe('1');
    const files = git(repo, ['show', '--name-only', '--format=', 'HEAD'], env).trim().split('\n').sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'desired/apps/slack.yaml',
        'desired/apps/zapier.yaml',
        expect.stringMatching(/^desired\/revocations\/contain-\d{8}-slack\.yaml$/),
        expect.stringMatching(/^desired\/revocations\/contain-\d{8}-zapier\.yaml$/),
        'org-state/acme-prod/apps/0H4IoCf9Q22Wb81JyK.json',
        'org-state/acme-prod/apps/0H4Hp000000TN1xKAG.json',
        'org-state/acme-prod/ledger.jsonl',
      ]),
    );
    const trailers = git(repo, ['interpret-trailers', '--parse'], env, git(repo, ['log', '-1', '--format=%B'], env));
    expect(trailers).toMatch(new RegExp(`^Capctl-Contain: CONTAIN-\\d{8}-zapier Zapier \\(0H4IoCf9Q22Wb81JyK\\): ${reason}$`, 'm'));

    // blocked: true written into Slack's declaration; every comment and other byte kept.
    const slackAfter = await readFile(path.join(repo, 'desired/apps/slack.yaml'), 'utf8');
    expect(slackAfter).toBe(slackBefore.replace('# the app\'s label as the org\'s OAuth usage page lists it\n', "# the app's label as the org's OAuth usage page lists it\nblocked: true\n"));
    const store = JSON.parse(await readFile(path.join(repo, 'org-state/acme-prod/apps/0H4IoCf9Q22Wb81JyK.json'), 'utf8')) as { blocked: boolean; sessions: unknown[] };
    expect(store).toMatchObject({ blocked: true, sessions: [] });

    const plan = await capctl(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toContain('No changes. acme-prod matches the desired state.');
    const verify = await capctl(['verify']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/^OK: acme-prod/);

    const history = await capctl(['history', '--app', 'Zapier']);
    expect(history.stdout).toContain('apply acme-prod by ci-bot@acme.example');
    expect(history.stdout).toMatch(new RegExp(`contained: CONTAIN-\\d{8}-zapier Zapier \\(0H4IoCf9Q22Wb81JyK\\): ${reason}`));
  });

  it('a later plan that unblocks a contained app warns with who contained it, when and why (CAPR008)', async () => {
    const slack = path.join(repo, 'desired/apps/slack.yaml');
    const text = await readFile(slack, 'utf8');
    await writeFile(slack, text.replace('blocked: true', 'blocked: false'));
    const plan = await capctl(['plan']);
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toMatch(new RegExp(`warning  CAPR008  this plan unblocks "Slack" \\(0H4Hp000000TN1xKAG\\), contained by ci-bot@acme.example on \\S+ \\(CONTAIN-\\d{8}-slack: ${reason}\\)`));
    await writeFile(slack, text);
  });

  it('apps the org already has blocked, with no session left: nothing applied, the desired change committed alone with its trailers', async () => {
    const head = git(repo, ['rev-parse', 'HEAD'], env).trim();
    const ledger = await readFile(path.join(repo, 'org-state/acme-prod/ledger.jsonl'), 'utf8');
    // Zapier: blocked by the containment above (declared blocked: true); Copado: blocked in the org, declared by no file.
    const run = await capctl(['contain', 'Zapier', 'Copado', '--reason', 'INC-7740: second wave', '--actor', 'ci-bot@acme.example']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Nothing to apply: the plan has no actions.');
    expect(run.stdout).toMatch(/Contained in acme-prod: "Zapier" \(CONTAIN-\d{8}-zapier-2\), "Copado" \(CONTAIN-\d{8}-copado\): acme-prod already matched \(blocked, no session left\), so nothing was applied\.\n/);
    expect(run.stdout).toMatch(/\nCommitted [0-9a-f]{12}: capctl contain acme-prod: Zapier, Copado \(CONTAIN-\d{8}-zapier-2, CONTAIN-\d{8}-copado\): already contained, nothing applied\n/);
    expect(status()).toBe('');

    expect(git(repo, ['rev-list', '--count', `${head}..HEAD`], env).trim()).toBe('1');
    const files = git(repo, ['show', '--name-only', '--format=', 'HEAD'], env).trim().split('\n').sort();
    expect(files).toEqual([
      'desired/apps/copado.yaml',
      expect.stringMatching(/^desired\/revocations\/contain-\d{8}-copado\.yaml$/),
      expect.stringMatching(/^desired\/revocations\/contain-\d{8}-zapier-2\.yaml$/),
    ]);
    expect(await readFile(path.join(repo, 'org-state/acme-prod/ledger.jsonl'), 'utf8')).toBe(ledger);
    const trailers = git(repo, ['interpret-trailers', '--parse'], env, git(repo, ['log', '-1', '--format=%B'], env));
    expect(trailers).toContain('Capctl-Org: acme-prod\nCapctl-Actor: ci-bot@acme.example\n');
    expect(trailers).toMatch(/^Capctl-Contain: CONTAIN-\d{8}-copado Copado \(\w{18}\): INC-7740: second wave$/m);

    const plan = await capctl(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).toContain('No changes. acme-prod matches the desired state.');
    const verify = await capctl(['verify']);
    expect(verify.code, verify.stdout).toBe(0);
    const history = await capctl(['history', '--app', 'Copado']);
    expect(history.stdout).toMatch(/desired state changed by .+\n {4}capctl contain acme-prod: Zapier, Copado .*already contained, nothing applied\n {4}~ apps\/copado\.yaml\n/);
  });

  it('with --no-commit, that desired change is written and the output says to commit it', async () => {
    const run = await capctl(['contain', 'Zapier', '--reason', 'INC-7741', '--actor', 'ci-bot@acme.example', '--no-commit']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Not committed (--no-commit): commit the desired files to record the containment.\n');
    expect(status()).toMatch(/^\?\? desired\/revocations\/contain-\d{8}-zapier-3\.yaml\n?$/);
  });
});
