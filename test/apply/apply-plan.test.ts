// applyPlan through each backend (the real file store in temporary folders, and the in-memory
// store), through the ports: each action once, the revision up by one per apply, resuming after a
// failure, and refusals that leave the store exactly as it was (the file store byte for byte).
// What only the file store has (files, maxChangeBytes, git) is tested on it alone.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, runLengths } from '../../src/apply/apply-plan.js';
import { storeRevision, verifyChain } from '../../src/store/ledger-chain.js';
import { readPlanFile } from '../../src/apply/read-plan-file.js';
import { RefusedError, type Action, type LedgerLine, type Plan } from '../../src/model/index.js';
import { planDigest } from '../../src/plan/digest.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { fileStateFolder } from '../../src/store/file-layout.js';
import type { CarryOutContext, CarryOutResult, OrgStore } from '../../src/store/org-store.js';
import { backends, planWith, type OpenBackend } from '../helpers/backends.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { copyInto, makeTempDir, removeDir } from '../helpers/cli.js';
import { ADMIN, ORG, savePlan, writeGeneratedOrg } from '../helpers/generated-org.js';
import { appliedOnly } from '../helpers/actions.js';

let dir: string;
let orgState: string;
let desired: string;
let planFile: string;

beforeEach(async () => {
  dir = await makeTempDir();
  ({ orgState, desired } = await writeGeneratedOrg(dir, 9));
  planFile = path.join(dir, 'plan.json');
});
afterEach(() => removeDir(dir));

const now = () => new Date('2026-11-28T13:00:00Z');

function apply(plan: Plan, actor = ADMIN, store: OrgStore = new FileOrgStore(orgState)) {
  return applyPlan({ store, plan, actor, now, lockTimeoutMs: 0, command: 'test' });
}

describe.each(backends)('applyPlan on the $name', (backend) => {
  let b: OpenBackend;
  beforeEach(async () => {
    b = await backend.open(orgState);
  });
  const applyTo = (plan: Plan, actor = ADMIN, store = b.reopen()) => apply(plan, actor, store);

  it('carries out every action once, with one ledger line each and the revision up by one', async () => {
    const plan = await planWith(b.store, desired);
    expect(plan.actions.map((a) => a.kind).sort()).toEqual([...Array(3).fill('block'), ...Array(3).fill('revoke'), ...Array(3).fill('set-policies')].sort());
    const report = await applyTo(plan);
    expect(report).toMatchObject({ status: 'applied', revisionBefore: 0, revisionAfter: 1, resumed: [] });
    const store = b.reopen();
    const ledger = appliedOnly(await store.readLedger(ORG));
    expect(verifyChain(ledger)).toBeUndefined();
    expect(ledger.map((l) => l.action.seq)).toEqual(plan.actions.map((a) => a.seq));
    expect(ledger.every((l) => l.plan === plan.digest && l.actor === ADMIN)).toBe(true);
    const snapshot = await store.readSnapshot(ORG);
    // The revision comes from the ledger: no action wrote a counter.
    expect(snapshot.org.revision).toBe(0);
    expect(storeRevision(snapshot.org.revision, ledger)).toBe(1);
    expect(ledger.at(-1)!.result.storeDigest).toBe(snapshot.digest);
    // Each line names the parts of the state its action changed (here an app each), never files.
    expect(ledger.every((l) => l.result.files === undefined && l.result.parts?.length === 1 && l.result.parts[0]!.kind === 'app' && l.result.parts[0]!.appId === l.action.app!.id)).toBe(true);
    expect(ledger.reduce((n, l) => n + l.result.sessionsEnded, 0)).toBe(12);

    // Planning again gives no actions; applying the same plan again changes nothing.
    expect((await planWith(b.reopen(), desired)).actions).toEqual([]);
    const before = await b.state();
    expect((await applyTo(plan)).status).toBe('already-applied');
    expect(await b.state()).toEqual(before);
  });

  it('a plan without actions applies nothing and leaves the revision as it is', async () => {
    await applyTo(await planWith(b.store, desired));
    const empty = await planWith(b.reopen(), desired);
    const before = await b.state();
    const report = await applyTo(empty);
    expect(report).toMatchObject({ status: 'no-changes', applied: [], revisionAfter: 1 });
    expect(await b.state()).toEqual(before);
  });

  it('stops at a failed action, reports what was done, and the same plan resumes after it', async () => {
    const plan = await planWith(b.store, desired);
    // Action 5 is the second of the run 4–7 (runs of 1, 2, 4, …): the store carries out action 4 and reports 5.
    const first = await applyTo(plan, ADMIN, failingAt(b.reopen(), 5, 'report'));
    expect(first).toMatchObject({ status: 'failed', failure: { action: { seq: 5 }, message: 'the org did not answer' } });
    expect(first.applied.map((l) => l.action.seq)).toEqual([1, 2, 3, 4]);
    expect(first.notDone.map((a) => a.seq)).toEqual([5, 6, 7, 8, 9]);

    const second = await applyTo(plan);
    expect(second.status).toBe('applied');
    expect(second.resumed.map((l) => l.action.seq)).toEqual([1, 2, 3, 4]);
    expect(second.applied.map((l) => l.action.seq)).toEqual([5, 6, 7, 8, 9]);
    const ledger = appliedOnly(await b.reopen().readLedger(ORG));
    expect(ledger.map((l) => l.action.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // One apply, however many runs: the revision went up once.
    expect(storeRevision((await b.reopen().readSnapshot(ORG)).org.revision, ledger)).toBe(1);
  });

  it('reports a run the store could not write from its first action, with nothing of it applied', async () => {
    const plan = await planWith(b.store, desired);
    const first = await applyTo(plan, ADMIN, failingAt(b.reopen(), 5, 'throw'));
    expect(first).toMatchObject({ status: 'failed', failure: { action: { seq: 4 }, message: 'the org did not answer' } });
    expect(first.applied.map((l) => l.action.seq)).toEqual([1, 2, 3]);
    expect(first.notDone.map((a) => a.seq)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(appliedOnly(await b.reopen().readLedger(ORG)).map((l) => l.action.seq)).toEqual([1, 2, 3]);
    expect((await applyTo(plan)).applied.map((l) => l.action.seq)).toEqual([4, 5, 6, 7, 8, 9]);
  });
  it('refuses to write a value the store would not read (a plan edited with its digest recomputed), after the actions before it', async () => {
    const plan = structuredClone(await planWith(b.store, desired));
    const edited = plan.actions.find((a) => a.kind === 'set-policies')!;
    edited.after = { ...edited.after, ipRelaxation: 'WHATEVER' };
    plan.digest = planDigest(plan);
    const report = await applyTo(plan);
    expect(report.status).toBe('failed');
    expect(report.failure?.action.seq).toBe(edited.seq);
    // The file store names the file it would write; the in-memory one, the app.
    const where = backend.files ? `apps/${edited.app!.id}\\.json` : `app ${edited.app!.id}`;
    expect(report.failure?.message).toMatch(new RegExp(`it would write an invalid ${where}: policies\\.ipRelaxation: "WHATEVER" is not one of ENFORCE, BYPASS_2FACTOR, `));
    expect(report.applied.map((l) => l.action.seq)).toEqual(plan.actions.filter((a) => a.seq < edited.seq).map((a) => a.seq));
    // The store still reads, and holds exactly what its ledger says.
    const store = b.reopen();
    const ledger = await store.readLedger(ORG);
    expect((await store.readSnapshot(ORG)).digest).toBe(ledger.at(-1)?.result.storeDigest ?? plan.basis.storeDigest);
  });
});

describe('FileOrgStore.carryOut', () => {
  it('gives a run of actions the ledger lines and files of carrying them out one at a time', async () => {
    const plan = await savePlan(desired, orgState, planFile);
    const single = path.join(dir, 'single');
    await copyInto(orgState, single);
    const context = { actor: ADMIN, planDigest: plan.digest, at: now() };
    const whole = await new FileOrgStore(orgState).carryOut(ORG, plan.actions, { ...context });
    expect(whole.failure).toBeUndefined();
    const oneByOne = new FileOrgStore(single);
    for (const action of plan.actions) await oneByOne.carryOut(ORG, [action], context);
    const ledger = await new FileOrgStore(single).readLedger(ORG);
    expect(ledger).toHaveLength(9);
    expect(whole.applied).toEqual(ledger);
    expect(await new FileOrgStore(orgState).readLedger(ORG)).toEqual(ledger);
    expect(await fingerprint(orgState)).toEqual(await fingerprint(single));
  });

  it('writes a run whose files pass maxChangeBytes as several changes, with the same result', async () => {
    const plan = await savePlan(desired, orgState, planFile);
    const small = path.join(dir, 'small');
    await copyInto(orgState, small);
    const context = { actor: ADMIN, planDigest: plan.digest, at: now() };
    let journals = 0;
    const store = new FileOrgStore(small, { maxChangeBytes: 1, onCommitStep: (step) => void (step === 'journal-written' && journals++) });
    expect((await store.carryOut(ORG, plan.actions, context)).failure).toBeUndefined();
    expect(journals).toBe(plan.actions.length);
    await new FileOrgStore(orgState).carryOut(ORG, plan.actions, context);
    expect(await new FileOrgStore(small).readLedger(ORG)).toEqual(await new FileOrgStore(orgState).readLedger(ORG));
    expect(await fingerprint(small)).toEqual(await fingerprint(orgState));
  });

  it('reports a change that cannot be written at its first action, keeping those written before it', async () => {
    const plan = await savePlan(desired, orgState, planFile);
    let temps = 0;
    const diskFull = new Error('ENOSPC: no space left on device');
    const store = new FileOrgStore(orgState, {
      maxChangeBytes: 1,
      onCommitStep: (step) => {
        if (step === 'temps-written' && ++temps === 3) throw diskFull;
      },
    });
    const result = await store.carryOut(ORG, plan.actions, { actor: ADMIN, planDigest: plan.digest, at: now() });
    expect(result.failure).toEqual({ index: 2, error: diskFull, outcome: 'failed', retryable: true });
    expect(result.applied.map((l) => l.action.seq)).toEqual([1, 2]);
    const reader = new FileOrgStore(orgState);
    const ledger = await reader.readLedger(ORG);
    expect(ledger).toEqual(result.applied);
    expect((await reader.readSnapshot(ORG)).digest).toBe(ledger.at(-1)!.result.storeDigest);
  });
});

describe('runLengths', () => {
  it('starts with one action and doubles up to 32, covering every action once', () => {
    expect(runLengths(0)).toEqual([]);
    expect(runLengths(1)).toEqual([1]);
    expect(runLengths(9)).toEqual([1, 2, 4, 2]);
    expect(runLengths(100)).toEqual([1, 2, 4, 8, 16, 32, 32, 5]);
    for (const n of [3, 31, 63, 64, 491]) expect(runLengths(n).reduce((a, b) => a + b, 0)).toBe(n);
  });
});

/**
 * The real store, except for the run holding action `seq`: with 'report', it carries out the
 * actions before it and reports `seq` as failed, as the store does for an action it cannot carry
 * out; with 'throw', the whole run rejects, as when the disk fails.
 */
function failingAt<S extends OrgStore>(real: S, seq: number, how: 'report' | 'throw'): S {
  const error = new Error('the org did not answer');
  return Object.assign(Object.create(real) as S, {
    carryOut: async (org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult> => {
      const index = actions.findIndex((a) => a.seq === seq);
      if (index === -1) return real.carryOut(org, actions, context);
      if (how === 'throw') throw error;
      const before = index > 0 ? (await real.carryOut(org, actions.slice(0, index), context)).applied : [];
      return { applied: before, failure: { index, error } };
    },
  });
}

describe.each(backends)('refusals leave the $name exactly as it was', (backend) => {
  let b: OpenBackend;
  beforeEach(async () => {
    b = await backend.open(orgState);
  });

  async function refused(run: () => Promise<unknown>): Promise<string> {
    const before = await b.state();
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RefusedError);
    expect(await b.state()).toEqual(before);
    return (error as RefusedError).message + (error as RefusedError).diagnostics.map((d) => `\n${d.message}`).join('');
  }

  it('an actor lacking a permission: each action and what it lacks', async () => {
    const plan = await planWith(b.store, desired);
    const message = await refused(() => apply(plan, 'helpdesk@acme.example', b.reopen()));
    expect(message).toContain('helpdesk@acme.example lacks permissions for 6 of 9 actions; nothing was applied');
    expect(message).toMatch(/action \d+ \(block App 003\) needs ViewSetup AND ManageUsers AND CustomizeApplication AND \(ModifyAllData OR ManageRemoteAccess\): helpdesk@acme\.example lacks CustomizeApplication, ModifyAllData/);
    expect(message).toMatch(/action \d+ \(set-policies App 001\) needs .*: helpdesk@acme\.example lacks CustomizeApplication, ModifyAllData/);
    expect(message).not.toContain('revoke');
  });

  it('an unknown or inactive actor', async () => {
    const plan = await planWith(b.store, desired);
    expect(await refused(() => apply(plan, 'nobody@acme.example', b.reopen()))).toContain('nobody@acme.example is not a user of acme-prod');
    expect(await refused(() => apply(plan, 'gone@acme.example', b.reopen()))).toContain('not an active user');
  });

  it('a plan for another org', async () => {
    const plan = await planWith(b.store, desired);
    const foreign = { ...plan, org: { name: ORG, id: '00D000000000OtherA' }, basis: { ...plan.basis, orgId: '00D000000000OtherA' } };
    foreign.digest = planDigest(foreign);
    expect(await refused(() => apply(foreign, ADMIN, b.reopen()))).toContain('the plan is for org acme-prod (00D000000000OtherA), not acme-prod (00D5e0000001AcmEAA)');
  });

  it('a plan made before the store changed says what changed since', async () => {
    const plan = await planWith(b.store, desired);
    // Another apply blocks App 001 first (its plan: a desired state that blocks it).
    const other = path.join(dir, 'other');
    await import('node:fs/promises').then((fs) => fs.mkdir(other));
    await writeFile(path.join(other, 'a.yaml'), 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\nunmanagedApps: ignore\n---\napiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: App 001\nblocked: true\n');
    await apply(await planWith(b.reopen(), other), ADMIN, b.reopen());
    const message = await refused(() => apply(plan, ADMIN, b.reopen()));
    expect(message).toContain('the store changed since the plan was made');
    expect(message).toContain('store revision was 0 when the plan was made, it is 1 now');
    expect(message).toMatch(/applied since \(ledger line 1, .*\): blocked App 001: ended 2 sessions of 2 users/);
  });
});

describe('a plan file edited by hand', () => {
  it('is refused, and nothing is written', async () => {
    await savePlan(desired, orgState, planFile);
    const before = await fingerprint(orgState);
    const plan = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(planFile, 'utf8'))) as Plan;
    plan.actions = plan.actions.filter((a) => a.kind !== 'block');
    await writeFile(planFile, JSON.stringify(plan, null, 2));
    const error = await readPlanFile(planFile).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RefusedError);
    expect(await fingerprint(orgState)).toEqual(before);
    expect((error as RefusedError).message).toContain('was altered after it was made');
  });
});

describe('applyPlan with the git audit trail', () => {
  it('a failed apply commits what it did; the run that resumes it commits the rest; the trail verifies', async () => {
    const { git, gitEnv, initRepo, useEnv } = await import('../helpers/git.js');
    const { recordPendingApplies } = await import('../../src/audit/record-apply.js');
    const { verifyTrail } = await import('../../src/audit/verify-trail.js');
    const saved = { ...process.env };
    const env = gitEnv(dir);
    useEnv(env);
    try {
      initRepo(dir, env);
      const plan = await savePlan(desired, orgState, planFile);
      const orgDir = fileStateFolder(path.join(orgState, ORG));
      const audit = { recordPending: (ledger: readonly LedgerLine[], upTo: number, current: Parameters<typeof recordPendingApplies>[4]) => recordPendingApplies(ORG, orgDir, ledger, upTo, current) };
      const failing = failingAt(new FileOrgStore(orgState), 5, 'report');
      const first = await applyPlan({ store: failing, plan, actor: ADMIN, now, lockTimeoutMs: 0, command: 'test', audit });
      expect(first).toMatchObject({ status: 'failed', commit: { status: 'committed' } });
      const second = await applyPlan({ store: new FileOrgStore(orgState), plan, actor: ADMIN, now, lockTimeoutMs: 0, command: 'test', audit });
      expect(second).toMatchObject({ status: 'applied', commit: { status: 'committed' } });
      const trailers = git(dir, ['log', '-2', '--format=%(trailers:key=Capctl-Ledger-Seq,valueonly)'], env).split('\n').filter(Boolean);
      expect(trailers).toEqual(['5-9', '1-4']);
      expect(git(dir, ['status', '--porcelain'], env).trim()).toBe('?? plan.json');
      const report = await verifyTrail(ORG, orgDir, await new FileOrgStore(orgState).readLedger(ORG));
      expect(report).toMatchObject({ ok: true, applyCommits: 2, ledgerLines: 9 });
    } finally {
      process.env = saved;
    }
  });
});

describe('a stale plan of the bundled example', () => {
  it('names only values the plan was made from, not those its own earlier actions leave', async () => {
    const { copyInto } = await import('../helpers/cli.js');
    const { readAndPlanOrg } = await import('../../src/read-and-plan-org.js');
    const { readFile } = await import('node:fs/promises');
    const bundled = path.join(dir, 'bundled');
    await copyInto('org-state', bundled);
    const store = new FileOrgStore(bundled);
    const { plan } = await readAndPlanOrg({ desired: 'examples/acme', store, storeName: bundled, now: new Date('2026-11-29T00:00:00Z') });
    // DocuSign is installed, then its policies set: the second action's `before` is the install's defaults.
    expect(plan.actions.filter((a) => a.app?.name === 'DocuSign eSignature').map((a) => a.kind)).toEqual(['install', 'set-assignments', 'set-policies']);
    const snapshot = await store.readSnapshot(ORG);
    const slack = snapshot.apps.find((a) => a.name === 'Slack')!;
    const file = path.join(bundled, ORG, 'apps', `${slack.id}.json`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"permittedUsers": "all-users"', '"permittedUsers": "admin-approved"'));
    const error = await applyPlan({ store: new FileOrgStore(bundled), plan, actor: 'ci-bot@acme.example', now, lockTimeoutMs: 0, command: 'test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedError);
    const message = (error as RefusedError).message;
    expect(message).toContain('Slack: permittedUsers was all-users when planned, is admin-approved now');
    expect(message).not.toContain('DocuSign');
  });
});
