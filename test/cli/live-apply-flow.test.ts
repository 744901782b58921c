// apply on a connected org (SPEC §8, §13), the flow around the executors: the real capctl in child
// processes against the fake org (started here, seeded from the bundled example). A manual step
// stops the apply with exit 4, saying what to do and where; once it is done in the org (here, out of
// band in the fake), the same apply reads the org, sees it done, records it and goes on, and a live
// plan then has no changes. The actor is the connected user; --actor naming someone else is
// refused (exit 3), and so is an apply the org's remaining daily API allowance cannot pay for.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, releaseLock } from '../../src/store/lock-file.js';
import { runCapctl } from '../helpers/cli.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { bundledSnapshot } from '../salesforce/helpers.js';
import { liveFixtures, type LiveSetup } from '../helpers/live-fixtures.js';

const fixtures = liveFixtures();

type Setup = LiveSetup;

const settingsDoc = 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\nunmanagedApps: ignore\n';
/** Postman: an uninstalled app the bundled org knows only from its tokens. */
const postmanInstalled = 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Postman\ninstalled: true\nowner: api-team@acme.example\n';
/** Slack blocked: an installed app, one block away. */
const slackBlocked = 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Slack\nblocked: true\nowner: it@acme.example\n';

/** A git repository whose desired state declares `docs`, with the org's state folder refreshed from the fake. */
async function setup(docs: string[], fakeOptions: { connectedUser?: string } = {}): Promise<Setup> {
  const root = await fixtures.tempDir('capctl-live-apply-');
  await writeFile(path.join(root, 'capctl.yaml'), 'orgs:\n  acme-prod:\n    connection: env\n');
  await writeFile(path.join(root, '.gitignore'), 'plan.json\n');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.join(root, 'desired'));
  await writeFile(path.join(root, 'desired/org.yaml'), docs.join('---\n'));
  const env = gitEnv(root);
  initRepo(root, env);
  const fake = await fixtures.startFake({ snapshot: await bundledSnapshot(), ...fakeOptions });
  const liveEnv = { ...env, SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken, CAPCTL_ACTOR: undefined };
  const s: Setup = { root, env, fake, run: (args, extraEnv = {}) => runCapctl(args, { cwd: root, env: { ...liveEnv, ...extraEnv } }) };
  const refreshed = await s.run(['refresh', '--actor', 'ci-bot@acme.example']);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  return s;
}

const ledgerOf = (s: Setup): Record<string, unknown>[] =>
  readFileSync(path.join(s.root, 'org-state/acme-prod/ledger.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('apply on a connected org', () => {
  it('stops before a manual install with exit 4 and says where to do it; once done in the org, the same apply records it and goes on; then a live plan has no changes', async () => {
    const s = await setup([settingsDoc, postmanInstalled]);
    const saved = await s.run(['plan', '--out', 'plan.json', '--format', 'json']);
    expect(saved.code, saved.stderr).toBe(0);
    const plan = JSON.parse(saved.stdout) as { actions: { kind: string; app: { name: string }; manual?: { page: string; url: string } }[] };
    expect(plan.actions.map((a) => [a.kind, a.app.name, a.manual])).toEqual([['install', 'Postman', { page: 'oauth-usage', url: `${s.fake.url}/lightning/setup/ConnectedAppsUsage/home` }]]);
    const before = await fingerprint(path.join(s.root, 'org-state'));
    const commits = git(s.root, ['rev-list', '--count', 'HEAD'], s.env);

    const stopped = await s.run(['apply', 'plan.json']);
    expect(stopped.code, stopped.stderr).toBe(4);
    expect(stopped.stdout).toContain('Applying plan sha256:');
    expect(stopped.stdout).toContain('as ci-bot@acme.example.');
    expect(stopped.stdout).toContain('Apply stopped before action 1 (install Postman): a manual step, which no API does.');
    expect(stopped.stdout).toContain(`Do it by hand: install Postman on Setup's Connected Apps OAuth Usage page:\n  ${s.fake.url}/lightning/setup/ConnectedAppsUsage/home\n`);
    expect(stopped.stdout).toContain('Then run the same apply again: it reads the org, sees the step done, and goes on.');
    // Nothing done, nothing written.
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
    expect(git(s.root, ['rev-list', '--count', 'HEAD'], s.env)).toBe(commits);
    // Again, not done yet: stops again, the same way.
    expect((await s.run(['apply', 'plan.json'])).code).toBe(4);

    // Someone installs it in Setup.
    const id = s.fake.installApp('Postman');
    const resumed = await s.run(['apply', 'plan.json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('✓ 1. installed Postman (a manual step: done by hand, seen done on the org)');
    expect(resumed.stdout).toContain('Apply complete: 1 action applied');
    const ledger = ledgerOf(s);
    expect(ledger).toHaveLength(2);
    expect(ledger[1]).toMatchObject({ seq: 2, actor: 'ci-bot@acme.example', action: { kind: 'install', app: { name: 'Postman' } }, result: { status: 'installed', byHand: true } });
    expect(git(s.root, ['log', '-1', '--format=%s'], s.env).trim()).toBe('capctl apply acme-prod: install Postman');
    expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');
    const apps = JSON.parse(readFileSync(path.join(s.root, `org-state/acme-prod/apps/${id}.json`), 'utf8')) as { installed: boolean };
    expect(apps.installed).toBe(true);

    const after = await s.run(['plan']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('No changes. acme-prod matches the desired state.');
    // Re-running the finished apply changes nothing.
    const again = await s.run(['apply', 'plan.json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Nothing left to do');
  });

  it('carries out what comes before the manual step, stops there, and after it is done goes on with what comes after it', async () => {
    const settings = `${settingsDoc}oauthFlows:\n  blockUsernamePassword: true\n`;
    const s = await setup([settings, postmanInstalled, slackBlocked]);
    const saved = await s.run(['plan', '--out', 'plan.json', '--format', 'json']);
    expect(saved.code, saved.stderr).toBe(0);
    const kinds = (JSON.parse(saved.stdout) as { actions: { kind: string; manual?: unknown }[] }).actions.map((a) => `${a.kind}${a.manual ? ' (manual)' : ''}`);
    expect(kinds).toEqual(['set-org-settings', 'install (manual)', 'block']);

    const stopped = await s.run(['apply', 'plan.json']);
    expect(stopped.code, stopped.stderr).toBe(4);
    expect(stopped.stdout).toContain('✓ 1. updated org settings');
    expect(stopped.stdout).toContain('Apply stopped before action 2 (install Postman)');
    expect(stopped.stdout).toContain('Then (1):\n  · 3. block Slack\n');
    expect(ledgerOf(s).map((l) => (l.action as { kind?: string } | undefined)?.kind ?? l.kind)).toEqual(['observed', 'set-org-settings']);
    // What was done before the stop is committed.
    expect(git(s.root, ['log', '-1', '--format=%s'], s.env)).toMatch(/^capctl apply acme-prod: /);
    expect(s.fake.data.metadata.get('OauthOidcSettings')!.get('OauthOidc')!.blockOAuthUnPwFlow).toBe('true');
    const slackBlocks = (): number => [...s.fake.data.metadata.get('BlacklistedConsumer')!.values()].filter((c) => c.consumerName === 'Slack').length;
    expect(slackBlocks()).toBe(0);

    s.fake.installApp('Postman');
    const resumed = await s.run(['apply', 'plan.json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('Resuming: an earlier run applied actions 1-1');
    expect(resumed.stdout).toContain('✓ 2. installed Postman (a manual step: done by hand, seen done on the org)');
    expect(resumed.stdout).toContain('✓ 3. blocked Slack');
    expect(slackBlocks()).toBe(1);
    expect(ledgerOf(s).map((l) => (l.action as { kind?: string } | undefined)?.kind ?? l.kind)).toEqual(['observed', 'set-org-settings', 'install', 'block']);
    expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');
    const after = await s.run(['plan']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('No changes. acme-prod matches the desired state.');
  });

  it('blocking an external client app is a manual step (no API shows its consumer key): apply stops before it with exit 4; once blocked in Setup, the same apply records it', async () => {
    const bridgeBlocked = 'apiVersion: capctl/v1\nkind: ExternalClientApp\norg: acme-prod\nname: Acme Data Bridge\nblocked: true\nowner: data-platform@acme.example\n';
    const s = await setup([settingsDoc, bridgeBlocked]);
    const saved = await s.run(['plan', '--out', 'plan.json', '--format', 'json']);
    expect(saved.code, saved.stderr).toBe(0);
    const plan = JSON.parse(saved.stdout) as { actions: { kind: string; app: { name: string }; manual?: { page: string; url: string } }[] };
    expect(plan.actions.map((a) => [a.kind, a.app.name, a.manual])).toEqual([['block', 'Acme Data Bridge', { page: 'oauth-usage', url: `${s.fake.url}/lightning/setup/ConnectedAppsUsage/home` }]]);
    const before = await fingerprint(path.join(s.root, 'org-state'));
    // Every write the fake took: a metadata save or delete, a record created or deleted, a token revoked.
    const writes = (): number => s.fake.requests.filter((r) => /Metadata$/.test(r.soap?.call ?? '') && !/^(read|list)/.test(r.soap!.call) || r.method === 'DELETE' || /oauth2\/revoke|composite\/sobjects|sobjects\/SetupEntityAccess/.test(r.path)).length;
    const writesBefore = writes();

    const stopped = await s.run(['apply', 'plan.json']);
    expect(stopped.code, stopped.stderr).toBe(4);
    expect(stopped.stdout).toContain('Apply stopped before action 1 (block Acme Data Bridge): a manual step, which no API does.');
    expect(stopped.stdout).toContain(`Do it by hand: block Acme Data Bridge on Setup's Connected Apps OAuth Usage page:\n  ${s.fake.url}/lightning/setup/ConnectedAppsUsage/home\n`);
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
    expect(writes()).toBe(writesBefore);

    // Someone blocks it in Setup: the org lists a block by its name, and its sessions end.
    s.fake.data.metadata.get('BlacklistedConsumer')!.set('Acme_Data_Bridge_Block', { fullName: 'Acme_Data_Bridge_Block', consumerName: 'Acme Data Bridge', masterLabel: 'Acme Data Bridge', consumerKey: 'a-key-no-api-shows', blockedByApiWhitelisting: 'false', __lastModified: new Date().toISOString() });
    s.fake.data.tables.OauthToken = (s.fake.data.tables.OauthToken ?? []).filter((t) => t.AppName !== 'Acme Data Bridge');
    const resumed = await s.run(['apply', 'plan.json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('✓ 1. blocked Acme Data Bridge: ended 8 sessions of 4 users (a manual step: done by hand, seen done on the org)');
    expect(ledgerOf(s).at(-1)).toMatchObject({ action: { kind: 'block', app: { name: 'Acme Data Bridge' } }, result: { byHand: true } });
    expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');
    const after = await s.run(['plan']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('No changes. acme-prod matches the desired state.');
  });

  it("a change beside the manual step (another app's permitted users changed in Setup) makes the saved plan stale: exit 3, nothing written", async () => {
    const s = await setup([settingsDoc, postmanInstalled]);
    expect((await s.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    s.fake.installApp('Postman');
    // An outside change the plan relied on: another app's permitted users changed in Setup.
    const row = s.fake.data.tables.ConnectedApplication!.find((r) => r.Name === 'Slack')!;
    row.OptionsAllowAdminApprovedUsersOnly = !row.OptionsAllowAdminApprovedUsersOnly;
    const before = await fingerprint(path.join(s.root, 'org-state'));
    const stale = await s.run(['apply', 'plan.json']);
    expect(stale.code, stale.stderr).toBe(3);
    expect(stale.stderr).toContain('the store changed since the plan was made');
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
  });

  it('the actor is the connected user: --actor (or CAPCTL_ACTOR) naming someone else is refused with exit 3, nothing written', async () => {
    const s = await setup([settingsDoc, postmanInstalled]);
    expect((await s.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    const before = await fingerprint(path.join(s.root, 'org-state'));
    for (const extra of [{ args: ['--actor', 'auditor@acme.example'], env: {} }, { args: [], env: { CAPCTL_ACTOR: 'auditor@acme.example' } }]) {
      const refused = await s.run(['apply', 'plan.json', ...extra.args], extra.env);
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stderr).toContain('--actor auditor@acme.example is not the connected user: on the connected org acme-prod capctl acts as the user its connection is logged in as, ci-bot@acme.example');
    }
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
    // Naming the connected user is fine.
    expect((await s.run(['apply', 'plan.json', '--actor', 'ci-bot@acme.example'])).code).toBe(4);
  });

  it("the connected user's permissions are read from the org: one that lacks them is refused with exit 3", async () => {
    const s = await setup([settingsDoc, postmanInstalled], { connectedUser: 'auditor@acme.example' });
    const refused = await s.run(['apply', '--auto-approve']);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain('apply refused: auditor@acme.example lacks permissions');
  });

  it("refuses (exit 3) an apply whose estimated calls exceed the org's remaining daily allowance (/limits), and lets one through at exactly the allowance", async () => {
    // Blocking Slack: one upsertMetadata of BlacklistedConsumer; read back, its readMetadata and the COUNT() of Slack's tokens.
    const s = await setup([settingsDoc, slackBlocked]);
    expect((await s.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    const before = await fingerprint(path.join(s.root, 'org-state'));
    s.fake.dailyRemaining = 1;
    const short = await s.run(['apply', 'plan.json']);
    expect(short.code, short.stderr).toBe(3);
    expect(short.stderr).toContain('apply refused: acme-prod has 1 API requests left today (DailyApiRequests Remaining in /limits), and this apply needs about 3 (block 3); nothing was applied.');
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
    s.fake.dailyRemaining = 3;
    const enough = await s.run(['apply', 'plan.json']);
    expect(enough.code, enough.stderr).not.toBe(3);
    expect(enough.stderr).not.toContain('API requests left today');
  });

  it('says its API calls on stderr, one line per live read (planning now, then its own), and carries them in --format json as `api`', async () => {
    const s = await setup([settingsDoc, slackBlocked]);
    const lines = (stderr: string): number[] => [...stderr.matchAll(/^capctl: (\d+) API calls? to env \(http:\/\/127\.0\.0\.1:\d+\); the org's API usage is \d+\/\d+ today$/gm)].map((m) => Number(m[1]));
    const sum = (ns: readonly number[]): number => ns.reduce((a, b) => a + b, 0);
    // The reads of the org in the requests from `from` on: each read asks for the Organization once.
    const orgReads = (from: number): number => s.fake.requests.slice(from).filter((r) => r.soql !== undefined && /\bFROM Organization\b/.test(r.soql)).length;
    // Without a plan file: the plan's read (made under the lock: nothing asked), then the apply's
    // own calls (who is connected, the allowance, its block and read-back), the org not read again.
    let mark = s.fake.requests.length;
    const applied = await s.run(['apply', '--auto-approve', '--format', 'json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(orgReads(mark)).toBe(1);
    const report = JSON.parse(applied.stdout) as { status: string; api: { connection: string; calls: number; apiUsage: { used: number; limit: number }; warnings: string[]; tokensMissing: number }[] };
    expect(report.status).toBe('applied');
    const said = lines(applied.stderr);
    expect(said).toHaveLength(2);
    expect(report.api.map((r) => r.calls)).toEqual(said);
    expect(report.api[0]).toMatchObject({ connection: `env (${s.fake.url})`, warnings: [], tokensMissing: 0 });
    // Every call the fake answered, counted once.
    expect(sum(said)).toBe(s.fake.requests.length - mark);
    // With a plan file, in text: the apply's reads only, each once.
    expect((await s.run(['plan', '--out', 'plan.json'])).code).toBe(0);
    mark = s.fake.requests.length;
    const again = await s.run(['apply', 'plan.json']);
    expect(again.code, again.stderr).toBe(0);
    expect(sum(lines(again.stderr))).toBe(s.fake.requests.length - mark);
    expect(lines(again.stderr)).toHaveLength(1);
    expect(orgReads(mark)).toBe(1);
  });

  it('apply without a question takes the lock before it reads the org: with the lock held by another run, it is refused before any call', async () => {
    const s = await setup([settingsDoc, slackBlocked]);
    const held = await acquireLock(path.join(s.root, 'org-state/acme-prod'), 'acme-prod', { command: 'capctl apply (another run)', user: 'someone@acme.example', timeoutMs: 0 });
    const before = await fingerprint(path.join(s.root, 'org-state'));
    const mark = s.fake.requests.length;
    const refused = await s.run(['apply', '--auto-approve']);
    expect(refused.code, refused.stderr).not.toBe(0);
    expect(refused.stderr).toContain('capctl apply (another run)');
    expect(s.fake.requests.length).toBe(mark);
    expect(await fingerprint(path.join(s.root, 'org-state'))).toEqual(before);
    await releaseLock(path.join(s.root, 'org-state/acme-prod'), held.id);
    const applied = await s.run(['apply', '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
  });

  it('records changes made outside capctl on the live org as a refresh commit of their own before the apply', async () => {
    const s = await setup([settingsDoc, postmanInstalled]);
    // Someone blocks Asana in Setup; the plan made now relies on it (apply plans it again now).
    s.fake.data.metadata.get('BlacklistedConsumer')!.set('capctl_Asana', { fullName: 'capctl_Asana', consumerName: 'Asana', consumerKey: 'unknown', masterLabel: 'Asana', blockedByApiWhitelisting: 'false', __lastModified: '2026-11-30T00:00:00.000Z' });
    const result = await s.run(['apply', '--auto-approve']);
    expect(result.code, result.stderr).toBe(4);
    expect(git(s.root, ['log', '-1', '--format=%s%n%b'], s.env)).toMatch(/^capctl refresh acme-prod: Asana blocked/);
    expect(git(s.root, ['log', '-1', '--format=%(trailers:key=Capctl-Refresh,valueonly)'], s.env).trim()).not.toBe('');
    const ledger = ledgerOf(s);
    expect(ledger.map((l) => l.kind ?? 'applied')).toEqual(['observed', 'observed']);
    const asana = JSON.parse(git(s.root, ['show', `HEAD:org-state/acme-prod/apps/${(s.fake.data.tables.ConnectedApplication!.find((r) => r.Name === 'Asana')!.Id as string)}.json`], s.env)) as { blocked: boolean };
    expect(asana.blocked).toBe(true);
    expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');
  });
});
