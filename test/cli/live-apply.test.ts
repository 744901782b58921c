// apply on a connected org (SPEC §8, §13; issue 15): the real capctl in child processes against the
// fake org on 127.0.0.1 (started in this process, seeded from the bundled example). The fake's own
// call log shows the exact calls of each action kind; refresh → plan --out → apply → plan gives
// `No changes`; every fault (limit, expired session, a refused item, a timeout) leaves a ledger and
// a store that say exactly what happened, and the same apply run again finishes the job; a SIGKILL
// at random points never makes a token be revoked twice nor an action be recorded twice.
import { generateKeyPairSync } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeOrgOptions, RecordedRequest } from '../../src/fake-org/server.js';
import { copyInto, repoRoot, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { prng } from '../helpers/prng.js';
import { testSeed } from '../helpers/seed.js';
import { bundledSnapshot } from '../salesforce/helpers.js';
import { liveFixtures, type LiveSetup } from '../helpers/live-fixtures.js';

const fixtures = liveFixtures();

const actor = 'ci-bot@acme.example';

type Setup = LiveSetup;

/** A git repository with the bundled desired state (less its two apps no API shows), capctl.yaml connecting acme-prod, refreshed once. */
async function setup(connection = 'env', fakeOptions: Partial<FakeOrgOptions> = {}, extraEnv: Record<string, string> = {}): Promise<Setup> {
  const root = await fixtures.tempDir('capctl-live-apply-');
  await copyInto(path.join(repoRoot, 'examples/acme'), path.join(root, 'desired'));
  for (const file of ['docusign.yaml', 'zoom.yaml']) await rm(path.join(root, 'desired/apps', file));
  await writeFile(path.join(root, 'capctl.yaml'), `orgs:\n  acme-prod:\n    connection: ${connection}\n`);
  const env = gitEnv(root);
  initRepo(root, env);
  const fake = await fixtures.startFake({ snapshot: await bundledSnapshot(), ...fakeOptions });
  const liveEnv = { ...env, SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken, SF_LOGIN_URL: fake.url, ...extraEnv };
  const s: Setup = { root, env, fake, run: (args, more = {}) => runCapctl(args, { cwd: root, env: { ...liveEnv, ...more } }) };
  const refreshed = await s.run(['refresh', '--actor', actor]);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  return s;
}

/** Plans and saves the plan (plan.json, outside the store). */
async function savePlan(s: Setup): Promise<void> {
  const planned = await s.run(['plan', '--out', 'plan.json']);
  expect(planned.code, planned.stderr).toBe(0);
}

const applyPlan = (s: Setup, more: Record<string, string | undefined> = {}) => s.run(['apply', 'plan.json', '--actor', actor], more);

interface Line {
  seq: number;
  kind?: string;
  action?: { seq: number; kind: string; app?: { name: string } };
  result: { status?: string; sessionsEnded?: number; storeDigest: string };
  observed?: { changes: unknown[]; sessions: { ended: number }[] };
}

function ledger(s: Setup): Line[] {
  const text = readFileSync(path.join(s.root, 'org-state/acme-prod/ledger.jsonl'), 'utf8').trim();
  return text.split('\n').map((l) => JSON.parse(l) as Line);
}

const actionLines = (s: Setup): Line[] => ledger(s).filter((l) => l.kind !== 'observed');

/** The writes the fake received (no reads), as `call type names×items` or `METHOD path`. */
function writes(requests: readonly RecordedRequest[]): string[] {
  return requests
    .filter((r) => (r.soap ? /Metadata$/.test(r.soap.call) && !/^(read|list)/.test(r.soap.call) : r.method !== 'GET'))
    .map((r) => (r.soap ? `${r.soap.call} ${r.soap.type} ${(r.soap.fullNames ?? []).join(',')} ×${r.items}` : `${r.method} ${r.path.replace(/\/services\/data\/v[0-9.]+/, '')}${r.items !== undefined ? ` ×${r.items}` : ''}`));
}

/** Every token revoked: none twice, and no revoke of a token already gone. */
function expectEachTokenRevokedOnce(requests: readonly RecordedRequest[]): string[] {
  const outcomes = requests.filter((r) => r.path === '/services/oauth2/revoke').map((r) => r.outcome ?? '(no answer)');
  expect(outcomes.filter((o) => !o.startsWith('revoked '))).toEqual([]);
  expect(new Set(outcomes).size).toBe(outcomes.length);
  return outcomes;
}

async function expectNoChanges(s: Setup): Promise<void> {
  const again = await s.run(['plan']);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toContain('No changes. acme-prod matches the desired state.');
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe('apply on a connected org', () => {
  it('carries out every action kind of the bundled plan with exactly its calls, records each as the org shows it, and a live plan then has no changes', async () => {
    const s = await setup();
    const deleteTokens = s.fake.data.tables.OauthToken!.map((t) => String(t.DeleteToken));
    // An org that reads back a consumer secret: capctl must never send it (the fake refuses an update that does).
    for (const component of s.fake.data.metadata.get('ConnectedApp')!.values()) (component.oauthConfig as Record<string, unknown>).consumerSecret = 'fake-consumer-secret';
    await savePlan(s);
    const mark = s.fake.requests.length;
    const applied = await applyPlan(s);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply complete: 9 actions applied, 85 sessions ended.');
    const calls = writes(s.fake.requests.slice(mark));
    expect(calls.filter((c) => !c.startsWith('POST /services/oauth2/revoke'))).toEqual([
      // set-org-settings: the OAuth flows component read, then sent back changed.
      'upsertMetadata OauthOidcSettings OauthOidc ×1',
      // set-policies: each app's ConnectedApp read and sent back whole; consecutive ones in one call.
      'updateMetadata ConnectedApp Outlook_Integration ×1',
      // set-assignments: both new assignments in one sObject Collections call.
      'POST /composite/sobjects ×2',
      'updateMetadata ConnectedApp Slack,Tableau_Online ×2',
      // unblock, then (after the revocations) block.
      'deleteMetadata BlacklistedConsumer capctl_Workbench ×1',
      'upsertMetadata BlacklistedConsumer capctl_0H4lSJO1NW9H8g8sD3 ×1',
    ]);
    // revoke: one call per matching token (2 of Jira for jdoe, 58 of Slack), each once.
    expect(expectEachTokenRevokedOnce(s.fake.requests.slice(mark))).toHaveLength(60);
    // Every batch read what it changes before and after: ConnectedApp metadata was read twice per policy call, each read naming the batch.
    const reads = s.fake.requests.slice(mark).filter((r) => r.soap?.call === 'readMetadata' && r.soap.type === 'ConnectedApp');
    expect(reads.map((r) => (r.soap!.fullNames ?? []).join(','))).toEqual(['Outlook_Integration', 'Outlook_Integration', 'Slack,Tableau_Online', 'Slack,Tableau_Online']);

    const lines = ledger(s);
    expect(lines.map((l) => l.kind ?? l.action!.kind)).toEqual(['observed', 'set-org-settings', 'set-policies', 'set-assignments', 'set-policies', 'set-policies', 'unblock', 'revoke', 'revoke', 'block']);
    expect(lines.slice(1).map((l) => l.result.sessionsEnded)).toEqual([0, 0, 0, 0, 0, 0, 2, 58, 25]);
    expect(existsSync(path.join(s.root, 'org-state/acme-prod/.live-intent.json'))).toBe(false);
    expect(git(s.root, ['log', '-1', '--format=%s'], s.env)).toMatch(/^capctl apply acme-prod: /);
    expect(git(s.root, ['status', '--porcelain'], s.env).split('\n').filter((l) => l !== '' && !l.endsWith('plan.json'))).toEqual([]);

    // The org shows it: a live plan has no changes, and a refresh finds nothing to record.
    await expectNoChanges(s);
    const refreshed = await s.run(['refresh', '--actor', actor]);
    expect(refreshed.stdout).toContain('No changes');
    // Applying it again changes nothing.
    const again = await applyPlan(s);
    expect(again.code, again.stderr).toBe(0);
    expect(writes(s.fake.requests.slice(mark)).length).toBe(calls.length);

    // No DeleteToken, no access token anywhere.
    const texts = [...allFiles(s.root).map((f) => readFileSync(f, 'latin1')), git(s.root, ['log', '-p', '--all'], s.env), applied.stdout, applied.stderr];
    for (const text of texts) for (const secret of [s.fake.accessToken, ...deleteTokens]) expect(text.includes(secret)).toBe(false);
  });

  it("a revocation sends its tokens side by side: more than one and at most the client's parallelism (8) in flight at once, each token once", async () => {
    // Each answer waits a little, as a real org's do, so that calls sent together overlap at the fake.
    const s = await setup('env', { latencyMs: 10 });
    await savePlan(s);
    const mark = s.fake.requests.length;
    const applied = await applyPlan(s);
    expect(applied.code, applied.stderr).toBe(0);
    const revokes = s.fake.requests.slice(mark).filter((r) => r.path === '/services/oauth2/revoke');
    // 2 of Jira, 58 of Slack.
    expect(expectEachTokenRevokedOnce(revokes)).toHaveLength(60);
    const most = Math.max(...revokes.map((r) => r.inFlight));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
    await expectNoChanges(s);
  });

  it("a revocation past OauthToken's 2,500-row cap: each query asks for what it ends (created before the cutoff, of the users named), so tokens it keeps never hide the ones it ends", async () => {
    // Slack gets 3,000 sessions created after the revocation's cutoff, Jira 3,000 of users it does
    // not name, each ahead of the app's own in the fake's table: an answer of all the app's tokens
    // would be capped at 2,500 that the revocation keeps.
    // 600 more users, 5 sessions each (R11: no user holds more than 5 of one app).
    const snapshot = await bundledSnapshot();
    const users = Array.from({ length: 600 }, (_, i) => `load-${String(i).padStart(3, '0')}@acme.example`);
    snapshot.users.push(...users.map((username) => ({ username, active: true, profile: 'Standard User', permissionSets: [], permissions: [] })));
    const extra = (n: number, created: (i: number) => string) =>
      Array.from({ length: n }, (_, i) => ({ user: users[i % users.length]!, created: created(i), lastUsed: '2026-11-30T00:00:00Z', useCount: 1, flow: 'web-server' as const }));
    const second = (i: number) => `${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`;
    for (const app of snapshot.apps) {
      if (app.name === 'Slack') app.sessions = [...extra(3000, (i) => `2026-11-2${1 + Math.floor(i / 3600)}T10:${second(i)}Z`), ...app.sessions];
      if (app.name === 'Jira Cloud Connector') app.sessions = [...extra(3000, (i) => `2026-10-0${1 + Math.floor(i / 3600)}T10:${second(i)}Z`), ...app.sessions];
    }
    const s = await setup('env', { snapshot });
    await savePlan(s);
    const plan = JSON.parse(readFileSync(path.join(s.root, 'plan.json'), 'utf8')) as { actions: { kind: string; app?: { name: string }; effects: { sessionsEnded: number } }[] };
    expect(plan.actions.filter((a) => a.kind === 'revoke').map((a) => `${a.app!.name} ${a.effects.sessionsEnded}`)).toEqual(['Jira Cloud Connector 2', 'Slack 58']);
    const mark = s.fake.requests.length;
    const applied = await applyPlan(s);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const since = s.fake.requests.slice(mark);
    expect(expectEachTokenRevokedOnce(since)).toHaveLength(60);
    const asked = since.filter((r) => r.soql?.includes('DeleteToken')).map((r) => r.soql!.replace(/'005\w+'/, "'<jdoe>'"));
    expect(asked).toEqual([
      "SELECT UserId, CreatedDate, DeleteToken FROM OauthToken WHERE AppName = 'Jira Cloud Connector' AND CreatedDate < 2026-11-25T12:00:00Z AND UserId IN ('<jdoe>')",
      "SELECT UserId, CreatedDate, DeleteToken FROM OauthToken WHERE AppName = 'Slack' AND CreatedDate < 2026-11-20T00:00:00Z",
    ]);
    await expectNoChanges(s);
  });

  it('an external client app: policies through its ExtlClntAppOauthConfigurablePolicies, assignments created and deleted by sObject Collections, sessions ended through the usage resources', async () => {
    const s = await setup();
    const file = path.join(s.root, 'desired/apps/integrations.yaml');
    const yaml = readFileSync(file, 'utf8');
    await writeFile(file, yaml.replace('  profiles: [Integration User]\n---', '  profiles: []\n  permissionSets: [API Integration]\n  ipRelaxation: BYPASS\n---'));
    await writeFile(
      path.join(s.root, 'desired/revocations/INC-3000.yaml'),
      'apiVersion: capctl/v1\nkind: Revocation\norg: acme-prod\nid: INC-3000\napp: Acme Data Bridge\nusers: [svc-etl@acme.example]\nissuedBefore: 2026-11-01T00:00:00Z\nreason: Key rotated\n',
    );
    git(s.root, ['add', '-A'], s.env);
    git(s.root, ['commit', '-qm', 'desired: Acme Data Bridge'], s.env);
    await savePlan(s);
    const plan = JSON.parse(readFileSync(path.join(s.root, 'plan.json'), 'utf8')) as { actions: { kind: string; app?: { name: string }; effects: { sessionsEnded: number } }[] };
    const bridge = plan.actions.filter((a) => a.app?.name === 'Acme Data Bridge').map((a) => `${a.kind} ${a.effects.sessionsEnded}`);
    expect(bridge).toEqual(['set-policies 0', 'set-assignments 0', 'revoke 2']);
    const mark = s.fake.requests.length;
    const applied = await applyPlan(s);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const since = s.fake.requests.slice(mark);
    const calls = writes(since);
    expect(calls.filter((c) => c.includes('ExtlClntApp'))).toEqual(['updateMetadata ExtlClntAppOauthConfigurablePolicies Acme_Data_Bridge_oauthPlcy ×1']);
    // One create (the permission set) in one call, one delete (the profile's assignment) by sObject Collections.
    const composite = calls.filter((c) => c.startsWith('POST /composite'));
    expect(composite).toEqual(['POST /composite/sobjects ×1', 'POST /composite/sobjects ×2']);
    expect(calls.filter((c) => /^DELETE \/(composite|sobjects)\//.test(c))).toEqual(['DELETE /composite/sobjects ×1']);
    const usage = since.filter((r) => r.path.includes('/apps/oauth/usage/')).map((r) => `${r.method} ${r.path.replace(/.*\/apps\/oauth\/usage/, '')}`);
    expect(usage.filter((u) => u.startsWith('GET'))).toEqual([expect.stringMatching(/^GET \/0xIusxAGS3E8yxS9KO\/users$/), expect.stringMatching(/^GET \/0xIusxAGS3E8yxS9KO\/005\d+\/tokens$/)]);
    expect(usage.filter((u) => u.startsWith('DELETE'))).toEqual([expect.stringMatching(/^DELETE \/tokens\/0CQ/), expect.stringMatching(/^DELETE \/tokens\/0CQ/)]);
    // Sent side by side: in whichever order they arrive.
    expect(since.filter((r) => r.method === 'DELETE' && r.path.includes('/tokens/')).map((r) => r.outcome).sort()).toEqual([
      'revoked Acme Data Bridge/svc-etl@acme.example/2026-08-31T00:59:52.000+0000',
      'revoked Acme Data Bridge/svc-etl@acme.example/2026-10-19T22:26:36.000+0000',
    ]);
    const app = JSON.parse(readFileSync(path.join(s.root, 'org-state/acme-prod/apps/0xIusxAGS3E8yxS9KO.json'), 'utf8')) as { policies: unknown; sessions: unknown[] };
    expect(app.policies).toMatchObject({ profiles: [], permissionSets: ['API Integration'], ipRelaxation: 'BYPASS' });
    expect(app.sessions).toHaveLength(6);
    await expectNoChanges(s);
  });

  // A terminal for stderr only: util-linux `script` runs the apply on a pseudo-terminal, its stdout sent to a file.
  const hasScript = /util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '');
  it.skipIf(!hasScript)('on a terminal, a revocation shows its sessions ending on the progress bar (stderr); piped, no bar', async () => {
    const s = await setup();
    await savePlan(s);
    const terminal = { CI: undefined, TERM: 'xterm-256color', NO_COLOR: undefined };
    // Piped: no bar, no label.
    const piped = await s.run(['apply', 'plan.json', '--actor', actor, '--format', 'json'], terminal);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toMatch(/revoking|[█░]/);
    // Again on a new org, on a terminal.
    await s.fake.close();
    const t = await setup();
    await savePlan(t);
    const out = path.join(t.root, 'stdout.txt');
    const shown = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', 'exec "$CAPCTL_NODE" "$CAPCTL_BIN" apply plan.json --actor "$CAPCTL_ACTOR_NAME" >"$CAPCTL_OUT"', '/dev/null'], {
        cwd: t.root,
        env: { ...process.env, ...t.env, ...terminal, SF_INSTANCE_URL: t.fake.url, SF_ACCESS_TOKEN: t.fake.accessToken, CAPCTL_NODE: process.execPath, CAPCTL_BIN: path.join(repoRoot, 'bin/capctl.js'), CAPCTL_ACTOR_NAME: actor, CAPCTL_OUT: out },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, text }));
    });
    expect(shown.code, shown.text).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('Apply complete: 9 actions applied, 85 sessions ended.');
    // The bar of the actions, then the revocations' own counts (Jira's 2, Slack's 58) under their label.
    expect(shown.text).toMatch(/applying to acme-prod \[[█░]+\] \d+\/9/);
    expect(shown.text).toMatch(/revoking the sessions of Slack \[[█░]+\] \d+\/58/);
    expect(shown.text).toMatch(/revoking the sessions of Jira Cloud Connector \[[█░]+\] \d+\/2/);
  });

  it('limit exceeded: the actions before it are recorded, it is not; the same apply again finishes the job', async () => {
    const s = await setup();
    await savePlan(s);
    s.fake.inject({ kind: 'limit-exceeded', match: 'updateMetadata' });
    const first = await applyPlan(s);
    expect(first.code).toBe(1);
    expect(first.stdout + first.stderr).toContain('REQUEST_LIMIT_EXCEEDED');
    expect(actionLines(s).map((l) => l.action!.kind)).toEqual(['set-org-settings']);
    expect(git(s.root, ['log', '-1', '--format=%s'], s.env)).toMatch(/^capctl apply acme-prod: /);
    const second = await applyPlan(s);
    expect(second.code, second.stderr).toBe(0);
    expect(actionLines(s).map((l) => l.action!.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expectEachTokenRevokedOnce(s.fake.requests);
    await expectNoChanges(s);
  });

  it('a metadata item refused: the apply stops there, saying what the org said; the same apply again finishes the job', async () => {
    const s = await setup();
    await savePlan(s);
    s.fake.inject({ kind: 'refuse-item', match: 'deleteMetadata' });
    const first = await applyPlan(s);
    expect(first.code).toBe(1);
    expect(first.stdout + first.stderr).toContain('FIELD_INTEGRITY_EXCEPTION');
    expect(actionLines(s).map((l) => l.action!.kind)).toEqual(['set-org-settings', 'set-policies', 'set-assignments', 'set-policies', 'set-policies']);
    const second = await applyPlan(s);
    expect(second.code, second.stderr).toBe(0);
    expect(actionLines(s).map((l) => l.action!.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expectNoChanges(s);
  });

  it('an expired session on a JWT connection: it logs in again once and goes on', async () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyDir = await fixtures.tempDir('capctl-key-');
    const keyFile = path.join(keyDir, 'key.pem');
    await writeFile(keyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const jwtEnv = { SF_CLIENT_ID: 'capctl-ci', SF_USERNAME: actor, SF_JWT_KEY_FILE: keyFile };
    const s = await setup('jwt', { jwt: { clientId: 'capctl-ci', publicKey: key.publicKey } }, jwtEnv);
    await savePlan(s);
    const mark = s.fake.requests.length;
    s.fake.inject({ kind: 'expire-session', match: 'composite/sobjects' });
    const applied = await applyPlan(s);
    expect(applied.code, applied.stderr).toBe(0);
    const since = s.fake.requests.slice(mark);
    expect(since.filter((r) => r.path === '/services/oauth2/token')).toHaveLength(2); // the login, and one more
    // The refused create changed nothing; sent again after the new login, it created both.
    expect(writes(since).filter((c) => c.startsWith('POST /composite'))).toEqual(['POST /composite/sobjects', 'POST /composite/sobjects ×2']);
    expect(since.filter((r) => r.path.endsWith('/composite/sobjects')).map((r) => r.outcome)).toEqual([undefined, 'created 2 of 2']);
    expect(actionLines(s)).toHaveLength(9);
  });

  it('a timeout whose write went through: read back, recorded done, never done twice', async () => {
    const s = await setup();
    await savePlan(s);
    // The block (the second upsertMetadata) is carried out, but its answer never comes.
    s.fake.inject({ kind: 'apply-then-hang', match: 'upsertMetadata', skip: 1 });
    const mark = s.fake.requests.length;
    const applied = await applyPlan(s, { CAPCTL_API_TIMEOUT: '1' });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(writes(s.fake.requests.slice(mark)).filter((c) => c.includes('BlacklistedConsumer capctl_0H4'))).toHaveLength(1);
    expect(actionLines(s).map((l) => l.action!.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expectNoChanges(s);
  });

  it('a timeout part way through a revocation: what ended is recorded, the rest is done by the same apply again, no token twice', async () => {
    const s = await setup();
    await savePlan(s);
    // From Slack's 10th revoke on, each is carried out but never answered: the 8 in flight at once
    // (the client's parallelism) hang, none more is sent once the first times out, and the read-back
    // finds the revocation not finished (9 answered and 8 carried out).
    s.fake.inject({ kind: 'apply-then-hang', match: 'oauth2/revoke', skip: 11, times: 8 });
    const first = await applyPlan(s, { CAPCTL_API_TIMEOUT: '1' });
    expect(first.code).toBe(1);
    const lines = ledger(s);
    expect(lines.at(-1)).toMatchObject({ kind: 'observed', observed: { changes: [], sessions: [{ ended: 17 }] } });
    expect(actionLines(s).map((l) => l.action!.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const second = await applyPlan(s);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(actionLines(s).map((l) => l.action!.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(actionLines(s).find((l) => l.action!.seq === 8)!.result.sessionsEnded).toBe(41);
    expect(expectEachTokenRevokedOnce(s.fake.requests)).toHaveLength(60);
    await expectNoChanges(s);
  });

  it('killed at random points (SIGKILL): every re-run converges, no token is revoked twice, no action recorded twice', async () => {
    const seed = testSeed();
    const random = prng(seed);
    const s = await setup();
    await savePlan(s);
    const bin = path.join(repoRoot, 'bin/capctl.js');
    for (let round = 0; round < 4; round++) {
      const mark = s.fake.requests.length;
      // Kill after a random number of the fake's answers (the whole apply makes about 120 calls).
      const target = mark + 1 + Math.floor(random() * 110);
      const child = spawn(process.execPath, [bin, 'apply', 'plan.json', '--actor', actor], {
        cwd: s.root,
        env: { ...process.env, ...s.env, NO_COLOR: '1', CI: 'true', SF_INSTANCE_URL: s.fake.url, SF_ACCESS_TOKEN: s.fake.accessToken },
        stdio: 'ignore',
      });
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      const watch = setInterval(() => {
        if (s.fake.requests.length >= target) child.kill('SIGKILL');
      }, 1);
      await exited;
      clearInterval(watch);
      const lines = actionLines(s).map((l) => l.action!.seq);
      expect(new Set(lines).size, `seed ${seed}, round ${round}`).toBe(lines.length);
      // The dead process's lock is cleared as its message says: `capctl unlock ORG LOCK_ID`.
      const lockFile = path.join(s.root, 'org-state/acme-prod/.lock');
      if (existsSync(lockFile)) {
        const { id } = JSON.parse(readFileSync(lockFile, 'utf8')) as { id: string };
        const unlocked = await s.run(['unlock', 'acme-prod', id]);
        expect(unlocked.code, unlocked.stderr).toBe(0);
      }
    }
    const last = await applyPlan(s);
    expect(last.code, `seed ${seed}: ${last.stdout}${last.stderr}`).toBe(0);
    expect(actionLines(s).map((l) => l.action!.seq), `seed ${seed}`).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(expectEachTokenRevokedOnce(s.fake.requests), `seed ${seed}`).toHaveLength(60);
    await expectNoChanges(s);
  });
});
