// apply on a connected org, the batching of its writes (issue 15; salesforce-api.md §2): the real
// capctl in child processes against the fake org, whose own record of the requests shows the exact
// calls. Consecutive set-policies actions share one updateMetadata of at most 10 components (10 are
// one call, 11 two); an item refused in the middle of a call leaves a ledger and store that say
// what the org did (the items after it are saved: no AllOrNoneHeader, so they are recorded done
// ahead of it) and the same saved plan again sends only the refused item; a SIGKILL during a batched
// call is settled action by action, nothing done twice; and the call estimate is exactly what the
// executors send, read-backs included.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Action, ObservedApp, OrgSnapshot } from '../../src/model/index.js';
import type { RecordedRequest } from '../../src/fake-org/server.js';
import { plannedRuns } from '../../src/apply/apply-plan.js';
import { estimateApplyCalls } from '../../src/salesforce/call-estimate.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { copyInto, repoRoot, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { verifyChain } from '../../src/store/ledger-chain.js';
import { bundledSnapshot } from '../salesforce/helpers.js';
import { liveFixtures, type LiveSetup } from '../helpers/live-fixtures.js';

const fixtures = liveFixtures();

const actor = 'ci-bot@acme.example';

type Setup = LiveSetup;

const appName = (i: number): string => `Batch App ${String(i).padStart(2, '0')}`;

/** The bundled org with `n` more connected apps (copies of Tableau Online, open to all users, no sessions). */
async function orgWithApps(n: number): Promise<OrgSnapshot> {
  const snapshot = await bundledSnapshot();
  const model = snapshot.apps.find((a) => a.name === 'Tableau Online')!;
  const added: ObservedApp[] = Array.from({ length: n }, (_, i) => ({
    ...structuredClone(model),
    id: `0H4BATCH${String(i + 1).padStart(10, '0')}`,
    name: appName(i + 1),
    sessions: [],
    policies: { ...structuredClone(model.policies!), permittedUsers: 'all-users' },
  }));
  return { ...snapshot, apps: [...snapshot.apps, ...added] };
}

/**
 * A git repository connecting acme-prod to the fake: `bundled` — the bundled desired state (less its
 * two apps no API shows) — or only settings that ignore unmanaged apps; plus `n` added apps each
 * declared admin-approved (one set-policies action each). Refreshed once, the plan saved.
 */
async function setup(n: number, bundled = false): Promise<Setup> {
  const root = await fixtures.tempDir('capctl-live-batch-');
  if (bundled) {
    await copyInto(path.join(repoRoot, 'examples/acme'), path.join(root, 'desired'));
    const { rm } = await import('node:fs/promises');
    for (const file of ['docusign.yaml', 'zoom.yaml']) await rm(path.join(root, 'desired/apps', file));
  } else {
    await mkdir(path.join(root, 'desired/apps'), { recursive: true });
    await writeFile(path.join(root, 'desired/org.yaml'), 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\nunmanagedApps: ignore\n');
  }
  for (let i = 1; i <= n; i++) {
    await writeFile(
      path.join(root, `desired/apps/batch-${i}.yaml`),
      `apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: ${appName(i)}\nowner: it@acme.example\ninstalled: true\npolicies:\n  permittedUsers: admin-approved\n  permissionSets: [Tableau Viewers]\n  refreshTokenPolicy: specific_lifetime:90:DAYS\n`,
    );
  }
  await writeFile(path.join(root, 'capctl.yaml'), 'orgs:\n  acme-prod:\n    connection: env\n');
  await writeFile(path.join(root, '.gitignore'), 'plan.json\n');
  const env = gitEnv(root);
  initRepo(root, env);
  const fake = await fixtures.startFake({ snapshot: await orgWithApps(n) });
  const liveEnv = { ...env, SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken, CAPCTL_ACTOR: undefined };
  const s: Setup = { root, env, fake, run: (args) => runCapctl(args, { cwd: root, env: liveEnv }) };
  const refreshed = await s.run(['refresh', '--actor', actor]);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  const planned = await s.run(['plan', '--out', 'plan.json']);
  expect(planned.code, planned.stderr).toBe(0);
  return s;
}

interface Line {
  seq: number;
  kind?: string;
  action?: Action;
  result?: { aheadOf?: number };
  observed?: { changes: { app?: { name: string }; field: string }[] };
}

const ledger = (s: Setup): Line[] =>
  readFileSync(path.join(s.root, 'org-state/acme-prod/ledger.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

const actionLines = (s: Setup): Line[] => ledger(s).filter((l) => l.kind !== 'observed');

/** The updateMetadata ConnectedApp calls among `requests`, as the names each carried. */
const policyWrites = (requests: readonly RecordedRequest[]): string[][] => requests.filter((r) => r.soap?.call === 'updateMetadata' && r.soap.type === 'ConnectedApp').map((r) => r.soap!.fullNames ?? []);

const fullName = (i: number): string => appName(i).replace(/ /g, '_');

async function expectNoChanges(s: Setup): Promise<void> {
  const again = await s.run(['plan']);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toContain('No changes. acme-prod matches the desired state.');
}

/** The requests after the preflight's read (its last is /limits or userinfo): the actions' calls. */
function afterPreflight(requests: readonly RecordedRequest[]): RecordedRequest[] {
  const last = Math.max(...['/limits', '/services/oauth2/userinfo'].map((p) => requests.findLastIndex((r) => r.path.endsWith(p))));
  return requests.slice(last + 1);
}

/**
 * What the fake holds of app `i`'s policies now (its ConnectedApp component and its row), and a
 * function that puts them back: as if the org had refused its item of a later call.
 */
function keepApp(s: Setup, i: number): () => void {
  const apps = s.fake.data.metadata.get('ConnectedApp')!;
  const component = structuredClone(apps.get(fullName(i))!);
  const row = s.fake.data.tables.ConnectedApplication!.find((r) => r.Name === appName(i))!;
  const { OptionsAllowAdminApprovedUsersOnly, LastModifiedDate } = row;
  return () => {
    apps.set(fullName(i), component);
    Object.assign(row, { OptionsAllowAdminApprovedUsersOnly, LastModifiedDate });
  };
}

/** Calls `then` once, as soon as the fake has been sent an updateMetadata ConnectedApp (checked every millisecond). */
function onPolicyWrite(s: Setup, then: () => void): () => void {
  const watch = setInterval(() => {
    if (policyWrites(s.fake.requests).length === 0) return;
    clearInterval(watch);
    then();
  }, 1);
  return () => clearInterval(watch);
}

describe('apply on a connected org: batched writes', () => {
  it('10 policy changes are one updateMetadata (and one readMetadata before and after), 11 are two; the estimate is exactly the calls', async () => {
    for (const [n, calls] of [
      [10, [Array.from({ length: 10 }, (_, i) => fullName(i + 1))]],
      [11, [Array.from({ length: 10 }, (_, i) => fullName(i + 1)), [fullName(11)]]],
    ] as const) {
      const s = await setup(n);
      const plan = JSON.parse(readFileSync(path.join(s.root, 'plan.json'), 'utf8')) as { actions: Action[] };
      expect(plan.actions.map((a) => a.kind)).toEqual(Array.from({ length: n }, () => 'set-policies'));
      const mark = s.fake.requests.length;
      const applied = await s.run(['apply', 'plan.json']);
      expect(applied.code, applied.stderr).toBe(0);
      const since = s.fake.requests.slice(mark);
      expect(policyWrites(since)).toEqual(calls);
      const batches = calls.length;
      expect(since.filter((r) => r.soap?.call === 'readMetadata' && r.soap.type === 'ConnectedApp')).toHaveLength(2 * batches);
      expect(since.filter((r) => r.soql?.includes('FROM ConnectedApplication WHERE Id IN'))).toHaveLength(batches);
      const stored = await new FileOrgStore(path.join(s.root, 'org-state')).readSnapshot('acme-prod');
      expect(afterPreflight(since)).toHaveLength(estimateApplyCalls(plannedRuns({ remaining: plan.actions, doneByHand: [] }, true), stored.apps).calls);
      expect(afterPreflight(since)).toHaveLength(4 * batches);
      expect(actionLines(s).map((l) => l.action!.seq)).toEqual(plan.actions.map((a) => a.seq));
      await expectNoChanges(s);
      await fixtures.closeFakes();
    }
  });

  it("the estimate of the bundled plan (every kind) is exactly the calls its apply makes after the preflight's read", async () => {
    const s = await setup(0, true);
    const plan = JSON.parse(readFileSync(path.join(s.root, 'plan.json'), 'utf8')) as { actions: Action[] };
    const stored = await new FileOrgStore(path.join(s.root, 'org-state')).readSnapshot('acme-prod');
    const estimate = estimateApplyCalls(plannedRuns({ remaining: plan.actions, doneByHand: [] }, true), stored.apps);
    const mark = s.fake.requests.length;
    const applied = await s.run(['apply', 'plan.json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(afterPreflight(s.fake.requests.slice(mark))).toHaveLength(estimate.calls);
  });

  it('an item refused in the middle of a call: the one before it is done, it is not, the one after it (saved by the org) is done ahead of it; the same saved plan again sends only the refused item', async () => {
    const s = await setup(3);
    s.fake.inject({ kind: 'refuse-item', match: 'updateMetadata', item: 1 });
    const first = await s.run(['apply', 'plan.json']);
    expect(first.code).toBe(1);
    expect(first.stdout + first.stderr).toContain('FIELD_INTEGRITY_EXCEPTION');
    expect(first.stdout + first.stderr).toContain('no AllOrNoneHeader');
    expect(first.stdout).toContain('the same apply again goes on with action 2');
    expect(first.stdout).toMatch(/✓ 3\. updated policies of Batch App 03: .* \(ahead of action 2: the org saved it in the same call, and not that one\)\n/);
    expect(first.stdout).toMatch(/Not done \(1\):\n {2}· 2\. /);
    expect(policyWrites(s.fake.requests)).toEqual([[fullName(1), fullName(2), fullName(3)]]);
    // Each action the org saved is this plan's line: no observed line, the third marked as done ahead of the second.
    expect(ledger(s).filter((l) => l.kind === 'observed')).toHaveLength(1); // the first refresh's
    expect(actionLines(s).map((l) => [l.action!.app!.name, l.result?.aheadOf])).toEqual([
      [appName(1), undefined],
      [appName(3), 2],
    ]);
    expect(existsSync(path.join(s.root, 'org-state/acme-prod/.live-intent.json'))).toBe(false);
    // The store says what the org shows: a live plan has only the refused action left.
    const planned = await s.run(['plan', '--format', 'json']);
    expect((JSON.parse(planned.stdout) as { actions: Action[] }).actions.map((a) => `${a.kind} ${a.app!.name}`)).toEqual([`set-policies ${appName(2)}`]);
    const again = await s.run(['apply', 'plan.json']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('Resuming: an earlier run applied actions 1, 3 (ledger lines 2-3); continuing with the others, in plan order.');
    expect(again.stdout).toContain('Apply complete: 3 actions applied (2 by an earlier run)');
    expect(policyWrites(s.fake.requests).slice(1)).toEqual([[fullName(2)]]);
    expect(actionLines(s).map((l) => l.action!.seq)).toEqual([1, 3, 2]);
    await expectNoChanges(s);
    // The ledger's chain holds, and each run committed what it recorded: the work tree is clean.
    expect(verifyChain(await new FileOrgStore(path.join(s.root, 'org-state')).readLedger('acme-prod'))).toBeUndefined();
    expect(git(s.root, ['status', '--porcelain'], s.env)).toBe('');
    expect(git(s.root, ['log', '-2', '--format=%s'], s.env).trim().split('\n')).toEqual(['capctl apply acme-prod: update Batch App 02', 'capctl apply acme-prod: update Batch App 01, Batch App 03']);
    // Run once more, it is done: nothing sent, nothing recorded.
    const lines = ledger(s).length;
    const writes = policyWrites(s.fake.requests).length;
    const done = await s.run(['apply', 'plan.json']);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toContain('Nothing left to do: every action of this plan was applied before');
    expect([ledger(s).length, policyWrites(s.fake.requests).length]).toEqual([lines, writes]);
  });

  it('an item refused again when the same saved plan runs again: it stops again with what the org said, nothing recorded twice; planned again, apply finishes the job', async () => {
    const s = await setup(3);
    s.fake.inject({ kind: 'refuse-item', match: 'updateMetadata', item: 1 });
    const first = await s.run(['apply', 'plan.json']);
    expect(first.code).toBe(1);
    const after = ledger(s);
    s.fake.inject({ kind: 'refuse-item', match: 'updateMetadata', item: 0 });
    const again = await s.run(['apply', 'plan.json']);
    expect(again.code).toBe(1);
    // The same failure, in the same words (less what the first run's call saved besides).
    const failed = (out: string): string => out.split('\n').find((l) => l.startsWith('Apply failed'))!;
    expect(failed(again.stdout)).toMatch(/^Apply failed at action 2 \(set-policies Batch App 02\): .*FIELD_INTEGRITY_EXCEPTION: the org refused this component/);
    expect(failed(first.stdout).startsWith(failed(again.stdout))).toBe(true);
    expect(again.stdout).toMatch(/Not done \(1\):\n {2}· 2\. /);
    expect(policyWrites(s.fake.requests)).toEqual([[1, 2, 3].map(fullName), [fullName(2)]]);
    // Nothing moved, nothing recorded: the ledger is as the first run left it.
    expect(ledger(s)).toEqual(after);
    expect(existsSync(path.join(s.root, 'org-state/acme-prod/.live-intent.json'))).toBe(false);
    const replanned = await s.run(['apply', '--auto-approve']);
    expect(replanned.code, replanned.stdout + replanned.stderr).toBe(0);
    expect(policyWrites(s.fake.requests).slice(2)).toEqual([[fullName(2)]]);
    expect(actionLines(s).map((l) => l.action!.app!.name)).toEqual([1, 3, 2].map(appName));
    await expectNoChanges(s);
  });

  it('killed (SIGKILL) while a batched call is in flight: the same apply again records each action of it once, and sends nothing twice', async () => {
    const s = await setup(4);
    // The call is carried out, but its answer never comes: the process is killed waiting for it.
    s.fake.inject({ kind: 'apply-then-hang', match: 'updateMetadata' });
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/capctl.js'), 'apply', 'plan.json'], {
      cwd: s.root,
      env: { ...process.env, ...s.env, NO_COLOR: '1', CI: 'true', CAPCTL_ACTOR: '', SF_INSTANCE_URL: s.fake.url, SF_ACCESS_TOKEN: s.fake.accessToken },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const watch = setInterval(() => {
      if (policyWrites(s.fake.requests).length > 0) child.kill('SIGKILL');
    }, 1);
    await exited;
    clearInterval(watch);
    const intent = JSON.parse(readFileSync(path.join(s.root, 'org-state/acme-prod/.live-intent.json'), 'utf8')) as { actions: Action[] };
    expect(intent.actions.map((a) => a.app!.name)).toEqual([1, 2, 3, 4].map(appName));
    expect(actionLines(s)).toEqual([]);
    const { id } = JSON.parse(readFileSync(path.join(s.root, 'org-state/acme-prod/.lock'), 'utf8')) as { id: string };
    expect((await s.run(['unlock', 'acme-prod', id])).code).toBe(0);
    const again = await s.run(['apply', 'plan.json']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(policyWrites(s.fake.requests)).toEqual([[1, 2, 3, 4].map(fullName)]);
    const seqs = actionLines(s).map((l) => l.action!.seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(existsSync(path.join(s.root, 'org-state/acme-prod/.live-intent.json'))).toBe(false);
    await expectNoChanges(s);
  });
  it('killed while a batched call is in flight, the org having saved all but its second item: the same apply records the others (the later ones ahead of it) and sends only that one', async () => {
    const s = await setup(4);
    const undo = keepApp(s, 2);
    s.fake.inject({ kind: 'apply-then-hang', match: 'updateMetadata' });
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/capctl.js'), 'apply', 'plan.json'], {
      cwd: s.root,
      env: { ...process.env, ...s.env, NO_COLOR: '1', CI: 'true', CAPCTL_ACTOR: '', SF_INSTANCE_URL: s.fake.url, SF_ACCESS_TOKEN: s.fake.accessToken },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const stop = onPolicyWrite(s, () => {
      undo();
      child.kill('SIGKILL');
    });
    await exited;
    stop();
    expect(actionLines(s)).toEqual([]);
    const { id } = JSON.parse(readFileSync(path.join(s.root, 'org-state/acme-prod/.lock'), 'utf8')) as { id: string };
    expect((await s.run(['unlock', 'acme-prod', id])).code).toBe(0);
    const again = await s.run(['apply', 'plan.json']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(policyWrites(s.fake.requests)).toEqual([[1, 2, 3, 4].map(fullName), [fullName(2)]]);
    expect(actionLines(s).map((l) => [l.action!.seq, l.result?.aheadOf])).toEqual([
      [1, undefined],
      [3, 2],
      [4, 2],
      [2, undefined],
    ]);
    expect(ledger(s).filter((l) => l.kind === 'observed')).toHaveLength(1); // the first refresh's
    expect(existsSync(path.join(s.root, 'org-state/acme-prod/.live-intent.json'))).toBe(false);
    await expectNoChanges(s);
  });

  it('a batched call timed out, the org having saved all but its second item: read back, the others are recorded (the later ones ahead of it), none sent again; the same apply again sends only that one', async () => {
    const s = await setup(4);
    const undo = keepApp(s, 2);
    s.fake.inject({ kind: 'apply-then-hang', match: 'updateMetadata' });
    const stop = onPolicyWrite(s, undo);
    const env = { ...s.env, SF_INSTANCE_URL: s.fake.url, SF_ACCESS_TOKEN: s.fake.accessToken, CAPCTL_ACTOR: undefined };
    const first = await runCapctl(['apply', 'plan.json'], { cwd: s.root, env: { ...env, CAPCTL_API_TIMEOUT: '1' } });
    stop();
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect(first.stdout).toMatch(/Apply failed at action 2 \(set-policies Batch App 02\): .*read back, the store shows it was not done/);
    expect(first.stdout).toMatch(/Not done \(1\):\n {2}· 2\. /);
    expect(policyWrites(s.fake.requests)).toEqual([[1, 2, 3, 4].map(fullName)]);
    expect(actionLines(s).map((l) => [l.action!.seq, l.result?.aheadOf])).toEqual([
      [1, undefined],
      [3, 2],
      [4, 2],
    ]);
    const again = await s.run(['apply', 'plan.json']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(policyWrites(s.fake.requests)).toEqual([[1, 2, 3, 4].map(fullName), [fullName(2)]]);
    expect(actionLines(s).map((l) => l.action!.seq)).toEqual([1, 3, 4, 2]);
    await expectNoChanges(s);
  });
});
