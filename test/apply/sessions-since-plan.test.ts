// SPEC §7: a saved plan is stale when what it relied on changed, not when sessions came or went.
// Apply counts again the sessions each action ends, says where the count differs from the plan's,
// and checks the guards on the counts of now.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObservedApp, Plan } from '../../src/model/index.js';
import { planDigest } from '../../src/plan/digest.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { ADMIN, ORG, appId, writeGeneratedOrg } from '../helpers/generated-org.js';

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

async function savePlan(): Promise<Plan> {
  const saved = await runCapctl(['plan', '--desired', desired, '--org-state', orgState, '--out', planFile], { cwd: dir });
  expect(saved.code, saved.stderr).toBe(0);
  return JSON.parse(await readFile(planFile, 'utf8')) as Plan;
}

/** A new session of u1 on app `i`, as a user logging in after the plan was made. */
async function addSession(i: number): Promise<void> {
  const file = path.join(orgState, ORG, 'apps', `${appId(i)}.json`);
  const app = JSON.parse(await readFile(file, 'utf8')) as ObservedApp;
  app.sessions.push({ user: 'u1@acme.example', created: '2026-11-28T12:30:00Z', lastUsed: '2026-11-28T12:30:00Z', useCount: 1, flow: 'web-server' });
  await writeFile(file, `${JSON.stringify(app, null, 2)}\n`);
}

function apply(): ReturnType<typeof runCapctl> {
  return runCapctl(['apply', planFile, '--desired', desired, '--org-state', orgState, '--actor', ADMIN, '--no-commit'], { cwd: dir });
}

describe('sessions that came since the plan', () => {
  it('do not make the plan stale: apply ends them too and says the plan counted fewer', async () => {
    const plan = await savePlan();
    const block = plan.actions.find((a) => a.kind === 'block' && a.app?.id === appId(3))!;
    expect(block.effects.sessionsEnded).toBe(2);
    await addSession(3);
    const result = await apply();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`${block.seq}. blocked App 003: ended 3 sessions of 2 users; the plan counted 2`);
    // The other actions ended what the plan counted: no remark.
    expect(result.stdout.match(/the plan counted/g)).toHaveLength(1);
  });

  it('are counted against the guards again: past maxSessionsEnded now, the apply is refused and nothing is written', async () => {
    const file = path.join(desired, 'apps.yaml');
    // 3 blocks and 3 revocations of 2 sessions each: 12, exactly the limit.
    await writeFile(file, (await readFile(file, 'utf8')).replace('unmanagedApps: ignore\n', 'unmanagedApps: ignore\nguards:\n  maxSessionsEnded: 12\n'));
    const plan = await savePlan();
    expect(plan.summary.sessionsEnded).toBe(12);
    await addSession(3);
    const before = await fingerprint(orgState);
    const result = await apply();
    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(result.stderr).toContain('Guard maxSessionsEnded: this plan would end 13 sessions, more than the 12 allowed');
    expect(await fingerprint(orgState)).toEqual(before);
  });

  it('a plan that records no state digest (made before it was recorded) is held to its store digest', async () => {
    const plan = await savePlan();
    delete (plan.basis as { stateDigest?: string }).stateDigest;
    plan.digest = planDigest(plan);
    await writeFile(planFile, JSON.stringify(plan, null, 2));
    await addSession(3);
    const result = await apply();
    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(result.stderr).toContain('the store changed since the plan was made');
  });

  it('any other change of the store since (denied attempts of an app) still makes it stale: it relies on all but the sessions', async () => {
    await savePlan();
    const file = path.join(orgState, ORG, 'apps', `${appId(2)}.json`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"deniedAttempts": 0', '"deniedAttempts": 5'));
    expect((await apply()).code).toBe(3);
  });

  it('a value the plan relied on that changed still makes it stale', async () => {
    await savePlan();
    const file = path.join(orgState, ORG, 'apps', `${appId(1)}.json`);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"ipRelaxation": "ENFORCE"', '"ipRelaxation": "BYPASS"'));
    await addSession(3);
    const result = await apply();
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('the store changed since the plan was made');
    expect(result.stderr).toContain('App 001: ipRelaxation was ENFORCE when planned, is BYPASS now');
  });
});
