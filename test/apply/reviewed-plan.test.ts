// A saved plan is applied only if it is what the reviewed desired state gives (SPEC §8): apply
// reads the desired folder (its digest must be the plan's), plans it again against the store and
// refuses a plan whose actions differ, naming the first difference. Editing a plan file and
// recomputing its digest gets nothing past this; an interrupted apply of the same plan still resumes.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { firstDifference } from '../../src/apply/assert-reviewed.js';
import { RefusedError, type Action, type Plan } from '../../src/model/index.js';
import { planFormatVersion } from '../../src/plan/create-plan.js';
import { planDigest } from '../../src/plan/digest.js';
import { requiredFor } from '../../src/plan/permissions.js';
import { readAndPlanOrg, readReviewedDesired } from '../../src/read-and-plan-org.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { ADMIN, ORG, writeGeneratedOrg } from '../helpers/generated-org.js';

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await removeDir(dir);
});

/** Saves `plan` with its digest recomputed, as someone who edited it would. */
async function forge(file: string, plan: Plan, edit: (plan: Plan) => void): Promise<void> {
  const forged = structuredClone(plan);
  edit(forged);
  forged.digest = planDigest(forged);
  await writeFile(file, JSON.stringify(forged, null, 2));
}

describe('capctl apply PLANFILE holds the plan against the reviewed desired state', () => {
  let dir: string;
  let orgState: string;
  let desired: string;
  let planFile: string;
  let plan: Plan;
  beforeAll(async () => {
    dir = await makeTempDir();
    temps.push(dir);
    ({ orgState, desired } = await writeGeneratedOrg(dir, 6));
    // The reviewed desired state protects App 001: no plan may block it.
    const file = path.join(desired, 'apps.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('unmanagedApps: ignore\n', 'unmanagedApps: ignore\nguards:\n  protectedApps: [App 001]\n'));
    planFile = path.join(dir, 'plan.json');
    const saved = await runCapctl(['plan', '--desired', desired, '--org-state', orgState, '--out', planFile], { cwd: dir });
    expect(saved.code, saved.stderr).toBe(0);
    plan = JSON.parse(await readFile(planFile, 'utf8')) as Plan;
    expect(plan.actions[0]).toMatchObject({ seq: 1, kind: 'set-policies', app: { name: 'App 001' } });
  });

  async function refused(file: string, args: string[] = ['--desired', desired]): Promise<string> {
    const before = await fingerprint(orgState);
    const result = await runCapctl(['apply', file, '--actor', ADMIN, '--org-state', orgState, ...args], { cwd: dir });
    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(result.stdout).toBe('');
    expect(await fingerprint(orgState)).toEqual(before);
    return result.stderr;
  }

  it('a plan edited to block the protected app, its digest recomputed: exit 3 naming the action and field, nothing changed', async () => {
    const file = path.join(dir, 'block-protected.json');
    await forge(file, plan, (p) => {
      const first = p.actions[0]!;
      Object.assign(first, { kind: 'block', reason: 'blocked by the plan', before: { blocked: false }, after: { blocked: true }, requires: requiredFor('block', false) });
    });
    const stderr = await refused(file);
    expect(stderr).toContain(`capctl: the plan is not what the desired state in ${desired} gives: action 1 (block App 001): kind: the plan has "block", the desired state gives "set-policies"; nothing was applied`);
  });

  it('a block of the protected app added at the end: exit 3, the desired state gives no such action', async () => {
    const file = path.join(dir, 'added.json');
    await forge(file, plan, (p) => {
      const app = p.actions[0]!.app!;
      const block: Action = {
        seq: p.actions.length + 1,
        kind: 'block',
        app,
        reason: 'added',
        before: { blocked: false },
        after: { blocked: true },
        requires: requiredFor('block', false),
        effects: { sessionsEnded: 2, usersAffected: 2 },
      };
      p.actions.push(block);
    });
    expect(await refused(file)).toContain(`action ${plan.actions.length + 1} (block App 001): the desired state gives no such action`);
  });

  it('an action removed, or a value changed: the first difference is named', async () => {
    const removed = path.join(dir, 'removed.json');
    await forge(removed, plan, (p) => {
      p.actions = p.actions.filter((a) => a.kind !== 'revoke').map((a, i) => ({ ...a, seq: i + 1 }));
    });
    expect(await refused(removed)).toMatch(/: action \d \((block|set-policies) App 00\d\): kind: the plan has "(block|set-policies)", the desired state gives "revoke"/);
    const changed = path.join(dir, 'changed.json');
    await forge(changed, plan, (p) => {
      p.actions[0]!.after = { ipRelaxation: 'BYPASS_2FACTOR' };
    });
    expect(await refused(changed)).toContain('action 1 (set-policies App 001): after: the plan has {"ipRelaxation":"BYPASS_2FACTOR"}, the desired state gives {"ipRelaxation":"ENFORCE_RELAXREFRESH"}');
  });

  it('an action on an app the org does not list: exit 3 before anything changes, even without the desired state', async () => {
    const file = path.join(dir, 'unlisted.json');
    await forge(file, plan, (p) => {
      p.actions.at(-1)!.app = { name: 'Ghost', id: '0H4000000000GhostA' };
    });
    const last = plan.actions.at(-1)!;
    expect(await refused(file)).toContain(`action ${last.seq} (${last.kind} Ghost) is on app 0H4000000000GhostA, but acme-prod does not list that app: nothing was applied`);
    // The library's applyPlan refuses it too when it is given no desired state to plan again.
    const forged = JSON.parse(await readFile(file, 'utf8')) as Plan;
    const before = await fingerprint(orgState);
    const error = await applyPlan({ store: new FileOrgStore(orgState), plan: forged, actor: ADMIN, now: () => new Date(), lockTimeoutMs: 0, command: 'test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedError);
    expect(await fingerprint(orgState)).toEqual(before);
  });

  it('a createdAt that is no instant (a leap second): refused as not a valid plan (exit 1), saying why, not a stack trace', async () => {
    const file = path.join(dir, 'leap.json');
    await forge(file, plan, (p) => {
      p.createdAt = '2026-11-28T23:59:60Z';
    });
    const before = await fingerprint(orgState);
    const result = await runCapctl(['apply', file, '--actor', ADMIN, '--desired', desired, '--org-state', orgState], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `capctl: ${file} is not a valid plan (format version ${planFormatVersion}): createdAt: "2026-11-28T23:59:60Z" is not a valid instant: a leap second (:60) cannot be used, capctl dates have none; write RFC 3339 with a time zone, e.g. 2026-11-20T00:00:00Z\n`,
    );
    expect(await fingerprint(orgState)).toEqual(before);
    // Given the plan as an object (no file to check), the library refuses it too, before planning again.
    const reviewed = await readReviewedDesired({ desired, org: ORG, store: new FileOrgStore(orgState), storeName: orgState, now: new Date() });
    const error = await applyPlan({
      store: new FileOrgStore(orgState),
      plan: { ...plan, createdAt: '2026-11-28T23:59:60Z' },
      actor: ADMIN,
      now: () => new Date(),
      lockTimeoutMs: 0,
      command: 'test',
      desired: reviewed,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedError);
    expect((error as RefusedError).message).toContain('the plan\'s createdAt, "2026-11-28T23:59:60Z", is not an instant');
    expect(await fingerprint(orgState)).toEqual(before);
  });

  it('a desired folder changed after the plan: exit 3 naming both digests', async () => {
    const file = path.join(desired, 'apps.yaml');
    const original = await readFile(file, 'utf8');
    const edited = original.replace('ipRelaxation: ENFORCE_RELAXREFRESH\n', 'ipRelaxation: BYPASS_2FACTOR\n');
    expect(edited).not.toBe(original);
    await writeFile(file, edited);
    try {
      const stderr = await refused(planFile);
      expect(stderr).toContain(`capctl: the plan was made from another desired state: its basis has desired digest ${plan.basis.desiredDigest}, but ${desired} has sha256:`);
    } finally {
      await writeFile(file, original);
    }
    // Another folder (the default one, here absent from the working folder): exit 1 saying how to give it.
    const result = await runCapctl(['apply', planFile, '--actor', ADMIN, '--org-state', orgState, '--desired', path.join(dir, 'nowhere')], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not exist: applying a saved plan reads the desired state it was made from (give its folder with --desired DIR)');
  });

  it('the plan as it was made applies', async () => {
    const result = await runCapctl(['apply', planFile, '--actor', ADMIN, '--org-state', orgState, '--desired', desired], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Apply complete: ${plan.actions.length} actions applied`);
  });
});

describe('an interrupted apply of a saved plan resumes against the reviewed desired state', () => {
  it('after every action of the bundled example, the rest applies and the store ends as one uninterrupted apply leaves it', async () => {
    const dir = await makeTempDir();
    temps.push(dir);
    const now = new Date('2026-11-29T00:00:00Z');
    const template = path.join(dir, 'template');
    await copyInto('org-state', template);
    const { plan } = await readAndPlanOrg({ desired: 'examples/acme', store: new FileOrgStore(template), storeName: template, now });
    const kinds = new Set(plan.actions.map((a) => a.kind));
    expect(kinds.size, [...kinds].join(', ')).toBeGreaterThanOrEqual(5);
    const reviewed = await readReviewedDesired({ desired: 'examples/acme', org: ORG, store: new FileOrgStore(template), storeName: template, now });
    const apply = (store: FileOrgStore) => applyPlan({ store, plan, actor: 'ci-bot@acme.example', now: () => now, lockTimeoutMs: 0, command: 'test', desired: reviewed });

    const whole = path.join(dir, 'whole');
    await copyInto(template, whole);
    expect((await apply(new FileOrgStore(whole))).status).toBe('applied');
    const expected = (await new FileOrgStore(whole).readSnapshot(ORG)).digest;

    for (let done = 1; done <= plan.actions.length; done++) {
      const orgState = path.join(dir, `after-${done}`);
      await copyInto(template, orgState);
      // What an apply killed after `done` actions leaves: their changes and ledger lines.
      const first = await new FileOrgStore(orgState).carryOut(ORG, plan.actions.slice(0, done), { actor: 'ci-bot@acme.example', planDigest: plan.digest, at: now });
      expect(first.failure).toBeUndefined();
      const report = await apply(new FileOrgStore(orgState));
      expect(report.status, `resumed after ${done}`).toBe(done === plan.actions.length ? 'already-applied' : 'applied');
      expect(report.applied.map((l) => l.action.seq)).toEqual(plan.actions.slice(done).map((a) => a.seq));
      expect((await new FileOrgStore(orgState).readSnapshot(ORG)).digest, `resumed after ${done}`).toBe(expected);
      await removeDir(orgState);
    }
  });
});

describe('firstDifference', () => {
  const block: Action = {
    seq: 1,
    kind: 'block',
    app: { name: 'Slack', id: '0H4000000000SlackA' },
    reason: 'declared blocked',
    before: { blocked: false },
    after: { blocked: true },
    requires: requiredFor('block', false),
    effects: { sessionsEnded: 3, usersAffected: 2, accessBefore: 'all users may self-authorize', accessAfter: 'blocked' },
  };

  it('ignores words and the counts apply makes again, not what the action decides', () => {
    const reworded = { ...block, reason: 'other words', source: { file: 'x.yaml', line: 1, column: 1 }, allowed: true, effects: { ...block.effects, sessionsEnded: 9, usersAffected: 5 } };
    expect(firstDifference([block], [reworded])).toBeUndefined();
    expect(firstDifference([block], [{ ...block, app: { name: 'Slack', id: '0H4000000000OtherA' } }])).toBe(
      'action 1 (block Slack): app: the plan has {"id":"0H4000000000SlackA","name":"Slack"}, the desired state gives {"id":"0H4000000000OtherA","name":"Slack"}',
    );
    expect(firstDifference([block], [{ ...block, requires: requiredFor('revoke', false) }])).toMatch(/^action 1 \(block Slack\): requires: /);
    expect(firstDifference([], [block])).toBe('the desired state gives one more action, block Slack, that the plan does not have');
  });
});

describe('the guards are checked again at apply', () => {
  it('a desired state whose plan now breaks a guard refuses the apply, listing the guard error', async () => {
    const dir = await makeTempDir();
    temps.push(dir);
    const { orgState, desired } = await writeGeneratedOrg(dir, 6);
    const { plan } = await readAndPlanOrg({ desired, store: new FileOrgStore(orgState), storeName: orgState, now: new Date('2026-11-28T12:00:00Z') });
    // The same folder's digest with a guard the plan breaks: as if the rules had changed since the plan.
    const file = path.join(desired, 'apps.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('unmanagedApps: ignore\n', 'unmanagedApps: ignore\nguards:\n  maxSessionsEnded: 1\n'));
    const loaded = await readReviewedDesired({ desired, org: ORG, store: new FileOrgStore(orgState), storeName: orgState, now: new Date() });
    const before = await fingerprint(orgState);
    const error = await applyPlan({
      store: new FileOrgStore(orgState),
      plan,
      actor: ADMIN,
      now: () => new Date(),
      lockTimeoutMs: 0,
      command: 'test',
      desired: { ...loaded, digest: plan.basis.desiredDigest },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedError);
    expect((error as RefusedError).message).toBe(`the desired state in ${desired} gives a plan with 1 error against the store now: nothing was applied`);
    expect((error as RefusedError).diagnostics.map((d) => d.code)).toEqual(['CAP319']);
    expect(await fingerprint(orgState)).toEqual(before);
  });
});
