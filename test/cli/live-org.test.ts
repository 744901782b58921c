// The commands on a connected org (SPEC §13, issue 14 items 5 and 6): the real capctl in child
// processes against the fake org on 127.0.0.1 (started in this process, seeded from the bundled
// example). refresh writes the state folder as read, with its observed line and commit; a refresh
// that sees nothing move (usage counters aside) writes nothing; plan, usage and drift read live
// and write nothing; every fault ends with exit 1, a clean message naming the connection, and the
// store, ledger and git untouched; no token or DeleteToken ever reaches a file, a commit or the output.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../src/fake-org/server.js';
import { fakeConsumerKey } from '../../src/fake-org/seed.js';
import { copyInto, repoRoot, runCapctl, type CliResult } from '../helpers/cli.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { bundledSnapshot } from '../salesforce/helpers.js';
import { liveFixtures, type LiveSetup } from '../helpers/live-fixtures.js';
import { compileSchema } from '../../src/load/schemas.js';
import type { ObservedLine, Plan } from '../../src/model/index.js';
import { planDigest } from '../../src/plan/digest.js';
import { expectValidPlan } from '../plan/plan-schema.js';

const fixtures = liveFixtures();

type Setup = LiveSetup;

/**
 * A git repository with the bundled example's desired state (its two declared apps that no API
 * shows left out: uninstalled, no tokens) and an org-state folder with no org yet; the fake org
 * seeded from the bundled store.
 */
async function setup(): Promise<Setup> {
  const root = await fixtures.tempDir('capctl-live-');
  await copyInto(path.join(repoRoot, 'examples/acme'), path.join(root, 'desired'));
  for (const file of ['docusign.yaml', 'zoom.yaml']) await rm(path.join(root, 'desired/apps', file));
  await writeFile(path.join(root, 'capctl.yaml'), 'orgs:\n  acme-prod:\n    connection: env\n');
  const env = gitEnv(root);
  initRepo(root, env);
  const fake = await fixtures.startFake({ snapshot: await bundledSnapshot() });
  const liveEnv = { ...env, SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken };
  return { root, env, fake, run: (args, extraEnv = {}) => runCapctl(args, { cwd: root, env: { ...liveEnv, ...extraEnv } }) };
}

function actionsOf(stdout: string): string[] {
  const plan = JSON.parse(stdout) as { actions: { kind: string; app?: { name: string }; effects: { sessionsEnded: number } }[] };
  return plan.actions.map((a) => `${a.kind} ${a.app?.name ?? ''} ${a.effects.sessionsEnded}`);
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

/** No secret anywhere: the fake's token and every DeleteToken, in the repository's files, its history, and the output. */
function expectNoSecrets(s: Setup, outputs: CliResult[]): void {
  const deleteTokens = s.fake.data.tables.OauthToken!.map((t) => String(t.DeleteToken));
  expect(deleteTokens.length).toBeGreaterThan(0);
  const secrets = [s.fake.accessToken, ...deleteTokens];
  const texts = [
    ...allFiles(s.root).map((f) => readFileSync(f, 'latin1')),
    git(s.root, ['log', '-p', '--all'], s.env),
    ...outputs.flatMap((o) => [o.stdout, o.stderr]),
  ];
  for (const text of texts) for (const secret of secrets) expect(text.includes(secret)).toBe(false);
  for (const text of texts) expect(text).not.toContain('fake-delete-');
}

const commits = (s: Setup): number => Number(git(s.root, ['rev-list', '--count', 'HEAD'], s.env).trim());

describe('a connected org', () => {
  it('refresh writes the state folder through the fake; then plan gives the actions of the bundled store', async () => {
    const s = await setup();
    const refreshed = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(refreshed.stderr).toMatch(new RegExp(`capctl: \\d+ API calls to env \\(${s.fake.url.replace(/\./g, '\\.')}\\); the org's API usage is \\d+/100000 today`));
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toContain('Committed');
    expect(commits(s)).toBe(2);
    expect(git(s.root, ['log', '-1', '--format=%s%n%b'], s.env)).toMatch(/^capctl refresh acme-prod: /);
    const ledger = readFileSync(path.join(s.root, 'org-state/acme-prod/ledger.jsonl'), 'utf8').trim().split('\n');
    expect(ledger).toHaveLength(1);
    const first = JSON.parse(ledger[0]!) as ObservedLine;
    expect(first).toMatchObject({ seq: 1, kind: 'observed', actor: 'ci-bot@acme.example', prev: 'genesis' });
    // The line names the parts it read (the org, its users, every app), never a file; the commit
    // holds their files, the caches the live store keeps beside them, and the ledger.
    expect(first.result).not.toHaveProperty('files');
    expect(first.result.parts!.slice(0, 2)).toEqual([{ kind: 'app', appId: expect.any(String) }, { kind: 'app', appId: expect.any(String) }]);
    expect(first.result.parts!.filter((p) => p.kind !== 'app')).toEqual([{ kind: 'org' }, { kind: 'users' }]);
    const committed = git(s.root, ['show', '--name-only', '--format=', 'HEAD'], s.env).trim().split('\n');
    expect(committed.filter((f) => !f.startsWith('org-state/acme-prod/apps/')).sort()).toEqual(
      ['.live-metadata.json', '.live-sessions.json', 'ledger.jsonl', 'org.json', 'users.json'].map((f) => `org-state/acme-prod/${f}`),
    );
    expect(committed.length).toBe(first.result.parts!.length + 3);
    expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');

    const live = await s.run(['plan', '--desired', 'desired', '--format', 'json']);
    const offline = await s.run(['plan', '--desired', 'desired', '--format', 'json', '--offline']);
    const bundled = await runCapctl(['plan', '--desired', path.join(s.root, 'desired'), '--org-state', path.join(repoRoot, 'org-state'), '--format', 'json'], { cwd: repoRoot });
    expect(bundled.code).toBe(0);
    expect(actionsOf(live.stdout)).toEqual(actionsOf(bundled.stdout));
    expect(actionsOf(offline.stdout)).toEqual(actionsOf(bundled.stdout));
    expect(actionsOf(bundled.stdout).length).toBeGreaterThan(3);
    expect(live.stderr).toContain('API calls to env (');
    expect(offline.stderr).not.toContain('API call');
    expectNoSecrets(s, [refreshed, live, offline]);
  });

  it('a refresh of an unchanged org writes nothing, nor does one where only usage counters moved; plan, usage and drift write nothing', async () => {
    const s = await setup();
    expect((await s.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
    const before = await fingerprint(path.join(s.root, 'org-state'));
    const again = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes');
    // The metadata cache: no ConnectedApp is read again while its LastModifiedDate has not moved.
    const reads = (from: number) => s.fake.requests.slice(from).filter((r) => r.soap?.call === 'readMetadata' && r.soap.type === 'ConnectedApp');
    expect(reads(0).length).toBeGreaterThan(0);
    const mark = s.fake.requests.length;
    const token = s.fake.data.tables.OauthToken![0]!;
    token.UseCount = Number(token.UseCount) + 5;
    token.LastUsedDate = '2026-06-01T00:00:00.000+0000';
    const counters = await s.run(['refresh', '--actor', 'ci-bot@acme.example', '--format', 'json']);
    expect(counters.code).toBe(0);
    expect(JSON.parse(counters.stdout)).toMatchObject({ status: 'no-changes', api: [{ connection: `env (${s.fake.url})`, calls: expect.any(Number) }] });
    expect(reads(mark)).toEqual([]);
    const others = [
      await s.run(['plan', '--desired', 'desired']),
      await s.run(['usage']),
      await s.run(['drift']),
      await s.run(['import', '--out', 'imported']),
      await s.run(['check']),
    ];
    for (const r of others) expect(r.stderr).toContain('API calls to env (');
    expect(others[1]!.code).toBe(0);
    expect(others[3]!.code).toBe(0);
    expect(others[3]!.stdout).toContain(`from the live org (env (${s.fake.url}))`);
    expect(readdirSync(path.join(s.root, 'imported/apps')).length).toBeGreaterThan(3);
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
    expect(commits(s)).toBe(2);
    expectNoSecrets(s, [again, counters, ...others]);
  });

  it('every command on a connected org says its API calls in --format json too (api, schema-valid, no token)', async () => {
    const s = await setup();
    expect((await s.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
    const api = [{ connection: `env (${s.fake.url})`, calls: expect.any(Number), apiUsage: { used: expect.any(Number), limit: 100000 }, warnings: [], tokensMissing: 0 }];
    const runs = {
      plan: await s.run(['plan', '--desired', 'desired', '--format', 'json', '--out', 'plan.json']),
      usage: await s.run(['usage', '--format', 'json']),
      usageApp: await s.run(['usage', 'Slack', '--format', 'json']),
      drift: await s.run(['drift', '--format', 'json']),
      import: await s.run(['import', '--out', 'imported', '--format', 'json']),
      check: await s.run(['check', '--format', 'json']),
    };
    for (const [name, r] of Object.entries(runs)) {
      const out = JSON.parse(r.stdout) as { api: { calls: number }[] };
      expect(out.api, name).toEqual(api);
      // The same count as the stderr line.
      expect(r.stderr).toContain(`capctl: ${out.api[0]!.calls} API calls to env (`);
      expect(out.api[0]!.calls).toBeGreaterThan(10);
    }
    const plan = JSON.parse(runs.plan.stdout) as Plan;
    expectValidPlan(plan);
    expect(planDigest(plan)).toBe(plan.digest);
    for (const usage of [runs.usage, runs.usageApp]) {
      const validate = compileSchema('usage.schema.json');
      expect(validate(JSON.parse(usage.stdout)) ? [] : validate.errors).toEqual([]);
    }
    // The saved plan carries it too, and apply's checks still take the file (its digest leaves api out).
    const saved = JSON.parse(readFileSync(path.join(s.root, 'plan.json'), 'utf8')) as Plan;
    expect(saved.api).toEqual(api);
    expect(planDigest(saved)).toBe(saved.digest);
    expectNoSecrets(s, Object.values(runs));
  });

  it('--connection with an --org that neither capctl.yaml nor the store knows: that org read live', async () => {
    const s = await setup();
    await rm(path.join(s.root, 'capctl.yaml'));
    await rm(path.join(s.root, 'org-state'), { recursive: true, force: true });
    const on = ['--connection', 'env', '--org', 'acme-prod'];
    const plan = await s.run(['plan', '--desired', 'desired', '--format', 'json', ...on]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(actionsOf(plan.stdout).length).toBeGreaterThan(0);
    const usage = await s.run(['usage', '--format', 'json', ...on]);
    expect(usage.code, usage.stderr).toBe(0);
    expect((JSON.parse(usage.stdout) as { apps: unknown[] }).apps.length).toBeGreaterThan(10);
    const imported = await s.run(['import', '--out', 'imported', ...on]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`from the live org (env (${s.fake.url}))`);
    const check = await s.run(['check', '--format', 'json', ...on]);
    expect(check.stderr).toContain('API calls to env (');
    expect(JSON.parse(check.stdout)).toMatchObject({ org: { name: 'acme-prod' } });
    for (const r of [plan, usage, imported, check]) expect(r.stderr).toContain('API calls to env (');
    // Nothing written by the reads; drift has nothing to compare with yet and says so before any call.
    expect(readdirSync(s.root).filter((f) => !f.startsWith('.')).sort()).toEqual(['desired', 'imported']);
    const calls = s.fake.requests.length;
    const drift = await s.run(['drift', ...on]);
    expect(drift.code).toBe(1);
    expect(drift.stderr).toContain('org acme-prod has no state folder in org-state yet');
    expect(s.fake.requests.length).toBe(calls);
    // refresh starts its state folder.
    const refresh = await s.run(['refresh', '--actor', 'ci-bot@acme.example', ...on]);
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(readdirSync(path.join(s.root, 'org-state/acme-prod'))).toContain('org.json');
    expect((await s.run(['drift', ...on])).code).toBe(0);
    expectNoSecrets(s, [plan, usage, imported, check, drift, refresh]);
  });

  it('drift of a live org: usage counters alone are no drift; an outside block is', async () => {
    const s = await setup();
    expect((await s.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
    const token = s.fake.data.tables.OauthToken![0]!;
    token.UseCount = Number(token.UseCount) + 5;
    token.LastUsedDate = '2026-12-01T00:00:00.000+0000';
    const counters = await s.run(['drift', '--format', 'json']);
    expect(counters.code, counters.stderr).toBe(0);
    expect(JSON.parse(counters.stdout)).toMatchObject({ drifted: false, changes: [] });
    s.fake.data.metadata.get('BlacklistedConsumer')!.delete('capctl_HubSpot');
    const blocked = await s.run(['drift', '--format', 'json']);
    expect(blocked.code).toBe(2);
    const report = JSON.parse(blocked.stdout) as { drifted: boolean; changes: { app?: { name: string }; field: string; before: string; after: string }[] };
    expect(report.drifted).toBe(true);
    expect(report.changes.map((c) => `${c.app?.name} ${c.field} ${c.before} → ${c.after}`)).toEqual(['HubSpot blocked true → false']);
    expectNoSecrets(s, [counters, blocked]);
  });

  it('an app blocked outside capctl: refresh records it, with its commit', async () => {
    const s = await setup();
    expect((await s.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
    s.fake.data.metadata.get('BlacklistedConsumer')!.set('capctl_Asana', {
      fullName: 'capctl_Asana',
      consumerName: 'Asana',
      consumerKey: fakeConsumerKey('Asana'),
      masterLabel: 'Asana',
      blockedByApiWhitelisting: 'false',
      __lastModified: '2026-02-01T00:00:00.000+0000',
    });
    const result = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Asana \(apps\/\w+\.json\): blocked false → true/);
    expect(commits(s)).toBe(3);
    expect(git(s.root, ['log', '-1', '--format=%s'], s.env)).toContain('Asana blocked');
    expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');
    const ledger = readFileSync(path.join(s.root, 'org-state/acme-prod/ledger.jsonl'), 'utf8').trim().split('\n');
    const line = JSON.parse(ledger[1]!) as ObservedLine;
    expect(line).toMatchObject({ seq: 2, kind: 'observed', observed: { named: true } });
    // The line names the part that changed, never a file; the commit holds its file, the ledger and
    // the metadata cache, which now holds the new block (the sessions cache did not move).
    const asana = line.observed.changes.find((c) => c.app?.name === 'Asana')!.app!.id;
    expect(line.result).toEqual({ storeDigest: expect.any(String), parts: [{ kind: 'app', appId: asana }] });
    const committed = git(s.root, ['show', '--name-only', '--format=', 'HEAD'], s.env).trim().split('\n').sort();
    expect(committed).toEqual(['org-state/acme-prod/.live-metadata.json', `org-state/acme-prod/apps/${asana}.json`, 'org-state/acme-prod/ledger.jsonl']);
    const cache = JSON.parse(readFileSync(path.join(s.root, 'org-state/acme-prod/.live-metadata.json'), 'utf8')) as { components: { BlacklistedConsumer: Record<string, { lastModified: string }> } };
    expect(cache.components.BlacklistedConsumer.capctl_Asana!.lastModified).toBe('2026-02-01T00:00:00.000+0000');
    expectNoSecrets(s, [result]);
  });

  const faults: [string, Fault | 'login', RegExp][] = [
    ['REQUEST_LIMIT_EXCEEDED', { kind: 'limit-exceeded', match: 'listMetadata' }, /REQUEST_LIMIT_EXCEEDED/],
    ['an expired session', { kind: 'expire-session' }, /INVALID_SESSION_ID/],
    ['a malformed response', { kind: 'malformed-json', match: '/query' }, /malformed/],
    ['a timeout', { kind: 'hang', match: 'readMetadata' }, /no answer|timed out|timeout/i],
    ['a refused login', 'login', /refused the JWT login/],
  ];
  for (const [what, fault, message] of faults) {
    it(`${what}: refresh, plan, usage, drift, import and check exit 1 with a clean message naming the connection; store, ledger, git untouched, nothing imported`, async () => {
      const s = await setup();
      expect((await s.run(['refresh', '--actor', 'ci-bot@acme.example'])).code).toBe(0);
      // A change the failed refresh must not half-write.
      s.fake.data.metadata.get('BlacklistedConsumer')!.delete('capctl_HubSpot');
      const before = await fingerprint(path.join(s.root, 'org-state'));
      const head = git(s.root, ['rev-parse', 'HEAD'], s.env);
      let extraEnv: Record<string, string | undefined> = { CAPCTL_API_TIMEOUT: '1' };
      let connection = `env (${s.fake.url})`;
      if (fault === 'login') {
        const keyFile = path.join(await fixtures.tempDir('capctl-key-'), 'key.pem');
        await writeFile(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
        extraEnv = { ...extraEnv, SF_CLIENT_ID: 'capctl-ci', SF_USERNAME: 'ci@acme.example', SF_JWT_KEY_FILE: keyFile, SF_LOGIN_URL: s.fake.url };
        connection = `jwt (ci@acme.example at ${s.fake.url})`;
      }
      const args = fault === 'login' ? ['--connection', 'jwt'] : [];
      const results: CliResult[] = [];
      const commands = [['refresh', '--actor', 'ci-bot@acme.example'], ['plan', '--desired', 'desired'], ['usage'], ['drift'], ['import', '--out', 'imported', '--format', 'json'], ['check', '--format', 'json']];
      for (const command of commands) {
        if (fault !== 'login') s.fake.inject({ ...fault, times: 100 });
        const result = await s.run([...command, ...args], extraEnv);
        results.push(result);
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toContain(connection);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(result.stderr).toMatch(/capctl: \d+ API calls? to /);
      }
      expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
      expect(existsSync(path.join(s.root, 'imported'))).toBe(false);
      expect(git(s.root, ['rev-parse', 'HEAD'], s.env)).toBe(head);
      expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');
      expectNoSecrets(s, results);
    });
  }
});
