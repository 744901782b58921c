// capctl apply through the real CLI: refusals (exit 3, the store byte for byte unchanged), no
// terminal without --auto-approve, and applies started while another holds the org.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/model/index.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';
import { sleep, startNode } from '../helpers/child.js';
import { ADMIN, ORG, writeGeneratedOrg } from '../helpers/generated-org.js';
import { appliedOnly } from '../helpers/actions.js';

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await removeDir(dir);
});

/** A generated org and its plan, saved with `capctl plan --out`. */
async function generated(apps: number): Promise<{ dir: string; orgState: string; desired: string; planFile: string; plan: Plan }> {
  const dir = await makeTempDir();
  temps.push(dir);
  const { orgState, desired } = await writeGeneratedOrg(dir, apps);
  const planFile = path.join(dir, 'plan.json');
  const saved = await runCapctl(['plan', '--desired', desired, '--org-state', orgState, '--out', planFile, '--format', 'json'], { cwd: dir });
  expect(saved.code, saved.stderr).toBe(0);
  return { dir, orgState, desired, planFile, plan: JSON.parse(await readFile(planFile, 'utf8')) as Plan };
}

describe('capctl apply refuses, and changes nothing', () => {
  let g: Awaited<ReturnType<typeof generated>>;
  beforeAll(async () => {
    g = await generated(6);
  });

  async function refusal(args: string[]): Promise<string> {
    const before = await fingerprint(g.orgState);
    const result = await runCapctl(['apply', ...args, '--org-state', g.orgState], { cwd: g.dir });
    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(await fingerprint(g.orgState)).toEqual(before);
    return result.stderr;
  }

  it('an actor lacking a permission: the message lists each action and the permission', async () => {
    const stderr = await refusal([g.planFile, '--actor', 'helpdesk@acme.example']);
    expect(stderr).toContain('capctl: apply refused: helpdesk@acme.example lacks permissions for 4 of 6 actions; nothing was applied');
    expect(stderr).toMatch(/CAP401 {2}action \d \(block App 003\) needs .*: helpdesk@acme\.example lacks CustomizeApplication, ModifyAllData/);
    expect(stderr).toMatch(/CAP401 {2}action \d \(set-policies App 004\) needs .*: helpdesk@acme\.example lacks CustomizeApplication, ModifyAllData/);
  });

  it('a plan file edited by hand', async () => {
    const edited = path.join(g.dir, 'edited.json');
    const plan = JSON.parse(await readFile(g.planFile, 'utf8')) as Plan;
    plan.actions[0]!.reason = 'edited by hand';
    await writeFile(edited, JSON.stringify(plan, null, 2));
    expect(await refusal([edited, '--actor', ADMIN])).toMatch(/edited\.json was altered after it was made: its digest is sha256:\w+, but its content hashes to sha256:\w+/);
  });

  it('a plan saved by an older capctl (format version 1, reasons as words): exit 3, make it again', async () => {
    const { planDigest } = await import('../../src/plan/digest.js');
    const { renderReason } = await import('../../src/render/reason-text.js');
    // What capctl 0.1 saved: the same plan with formatVersion 1 and each reason a sentence, its digest intact.
    const old = structuredClone(g.plan) as Omit<Plan, 'formatVersion'> & { formatVersion: number };
    old.formatVersion = 1;
    for (const action of old.actions) action.reason = renderReason(action, old.org.name);
    const file = path.join(g.dir, 'format-1.json');
    await writeFile(file, JSON.stringify({ ...old, digest: planDigest(old as unknown as Plan) }, null, 2));
    const stderr = await refusal([file, '--actor', ADMIN, '--auto-approve']);
    expect(stderr).toContain(
      `capctl: ${file} is a plan of format version 1, saved by an older capctl; this capctl applies format version 2 only: make the plan again with \`capctl plan --out ${file}\` and review it`,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a plan for another org', async () => {
    // A second org in the same store, and a plan made for it.
    const other = await generated(3);
    const otherOrg = path.join(g.orgState, 'other-org');
    await mkdir(otherOrg);
    const store = new FileOrgStore(other.orgState);
    const snapshot = await store.readSnapshot(ORG);
    await writeFile(path.join(otherOrg, 'org.json'), `${JSON.stringify({ ...snapshot.org, name: 'other-org', id: '00D5e0000001OthEAA' }, null, 2)}\n`);
    await writeFile(path.join(otherOrg, 'users.json'), `${JSON.stringify(snapshot.users, null, 2)}\n`);
    try {
      expect(await refusal([g.planFile, '--actor', ADMIN, '--org', 'other-org'])).toContain('the plan is for org acme-prod (00D5e0000001AcmEAA), not other-org');
    } finally {
      await removeDir(otherOrg);
    }
    // And a plan whose org is not in this store at all.
    const foreign = JSON.parse(await readFile(g.planFile, 'utf8')) as Plan;
    const { planDigest } = await import('../../src/plan/digest.js');
    const moved = { ...foreign, org: { name: 'acme-sandbox', id: foreign.org.id } };
    await writeFile(path.join(g.dir, 'foreign.json'), JSON.stringify({ ...moved, digest: planDigest(moved) }));
    expect(await refusal([path.join(g.dir, 'foreign.json'), '--actor', ADMIN])).toContain('the plan is for org acme-sandbox (00D5e0000001AcmEAA), which');
  });

  it('a plan made before the store changed, saying what changed', async () => {
    const store = new FileOrgStore(g.orgState);
    const app = (await store.readSnapshot(ORG)).apps.find((a) => a.name === 'App 003')!;
    const file = path.join(g.orgState, ORG, 'apps', `${app.id}.json`);
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('"blocked": false', '"blocked": true').replace(/"sessions": \[[^\]]*\]/s, '"sessions": []'));
    try {
      const stderr = await refusal([g.planFile, '--actor', ADMIN]);
      expect(stderr).toContain('the store changed since the plan was made: make a new plan.');
      expect(stderr).toContain('App 003: blocked was false when planned, is true now');
    } finally {
      await writeFile(file, original);
    }
  });

  it('no terminal and no --auto-approve: asks for the flag (exit 1), nothing applied', async () => {
    const before = await fingerprint(g.orgState);
    const result = await runCapctl(['apply', '--actor', ADMIN, '--desired', g.desired, '--org-state', g.orgState], { cwd: g.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('there is no terminal: pass --auto-approve');
    expect(await fingerprint(g.orgState)).toEqual(before);
  });

  it('no actor: says how to name one', async () => {
    const result = await runCapctl(['apply', g.planFile, '--org-state', g.orgState], { cwd: g.dir, env: { CAPCTL_ACTOR: undefined } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--actor USERNAME, or CAPCTL_ACTOR');
  });

  it('a plan forged with its digest recomputed but not a valid plan: exit 1 saying where, nothing applied', async () => {
    const { planDigest } = await import('../../src/plan/digest.js');
    const forgeries: { name: string; forge: (plan: Plan) => void; message: string }[] = [
      { name: 'null-action', forge: (p) => (p.actions as unknown[]).push(null), message: `actions.${g.plan.actions.length}: expected a mapping, got nothing` },
      { name: 'null-diagnostic', forge: (p) => (p.diagnostics as unknown[]).push(null), message: `diagnostics.${g.plan.diagnostics.length}: expected a mapping, got nothing` },
      { name: 'requires-object', forge: (p) => ((p.actions[0] as { requires: unknown }).requires = { foo: 1 }), message: 'actions.0.requires: ' },
      { name: 'requires-null', forge: (p) => ((p.actions[0] as { requires: unknown }).requires = null), message: 'actions.0.requires: expected A permission name, or all / any of several expressions, got nothing' },
      {
        name: 'revocation-users-number',
        forge: (p) => ((p.actions.find((a) => a.kind === 'revoke')!.revocation as { users: unknown }).users = 5),
        message: '.revocation.users: expected all, or a list of usernames, got the number 5',
      },
    ];
    for (const { name, forge, message } of forgeries) {
      const plan = structuredClone(g.plan);
      forge(plan);
      const file = path.join(g.dir, `${name}.json`);
      await writeFile(file, JSON.stringify({ ...plan, digest: planDigest(plan) }));
      const before = await fingerprint(g.orgState);
      const result = await runCapctl(['apply', file, '--actor', ADMIN, '--auto-approve', '--org-state', g.orgState], { cwd: g.dir });
      expect(result.code, `${name}: ${result.stdout}${result.stderr}`).toBe(1);
      expect(result.stderr, name).toContain(`capctl: ${file} is not a valid plan (format version 2): `);
      expect(result.stderr, name).toContain(message);
      expect(result.stderr, name).not.toMatch(/TypeError|\n\s+at /);
      expect(result.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(await fingerprint(g.orgState), name).toEqual(before);
    }
  });
});

describe('capctl apply', () => {
  it('applies a saved plan, saying what it did in the past tense; again, it has nothing left to do', async () => {
    const g = await generated(6);
    const first = await runCapctl(['apply', g.planFile, '--org-state', g.orgState], { cwd: g.dir, env: { CAPCTL_ACTOR: ADMIN } });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('✓ 1. updated policies of App 001: ipRelaxation ENFORCE → ENFORCE_RELAXREFRESH');
    expect(first.stdout).toMatch(/✓ \d\. revoked 2 sessions of 2 users of App 002 \(INC-2\)/);
    expect(first.stdout).toMatch(/✓ \d\. blocked App 003: ended 2 sessions of 2 users/);
    expect(first.stdout).toContain('Apply complete: 6 actions applied, 8 sessions ended. acme-prod is at store revision 1.');
    expect(first.stdout).toContain('The store is not in a git repository: no commit was made.');
    const again = await runCapctl(['apply', g.planFile, '--org-state', g.orgState, '--actor', ADMIN], { cwd: g.dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing left to do: every action of this plan was applied before (ledger lines 1-6).');
    // Without a plan file, with --auto-approve: the fresh plan has no actions.
    const fresh = await runCapctl(['apply', '--auto-approve', '--actor', ADMIN, '--desired', g.desired, '--org-state', g.orgState, '--format', 'json'], { cwd: g.dir });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ status: 'no-changes', applied: [] });
  });

  it('applies started while another holds the org: one exits 3 naming the holder, two wait and run one after the other', async () => {
    // The holder is a process that takes the lock as apply does and keeps it until told: an apply
    // of a small org is over before a second process has started.
    const g = await generated(60);
    const holder = startNode(path.join(repoRoot, 'test/store/fixtures/hold-lock.mjs'), [g.orgState, ORG]);
    expect(await holder.waitForLine(/^\{/), holder.stderr()).toBe(true);
    const bin = path.join(repoRoot, 'bin/capctl.js');
    const args = ['apply', g.planFile, '--actor', ADMIN, '--desired', g.desired, '--org-state', g.orgState];
    const env = { NO_COLOR: '1', CI: 'true' };
    const refused = startNode(bin, [...args, '--lock-timeout', '0'], env);
    expect((await refused.exited).code, refused.stderr()).toBe(3);
    expect(refused.stderr()).toMatch(/acme-prod is locked by user holder-user.*running "capctl apply \(hold-lock test\)"/s);
    const waiting = [startNode(bin, [...args, '--lock-timeout', '120'], env), startNode(bin, [...args, '--lock-timeout', '120'], env)];
    for (const child of waiting) {
      while (!child.stderr().includes('Waiting up to 120s for the lock of acme-prod, held by holder-user')) {
        expect(child.process.exitCode, child.stderr()).toBeNull();
        await sleep(20);
      }
    }
    holder.process.stdin!.write('release\n');
    expect(await holder.exited).toEqual({ code: 0, signal: null });
    const exits = await Promise.all(waiting.map((child) => child.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    // Whichever took the lock first applied every action; the other found nothing left to do.
    const outputs = waiting.map((child) => child.lines.join('\n'));
    const n = g.plan.actions.length;
    expect(outputs.filter((o) => o.includes(`Apply complete: ${n} actions applied`))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('Nothing left to do'))).toHaveLength(1);
    // Every action was carried out exactly once.
    const ledger = appliedOnly(await new FileOrgStore(g.orgState).readLedger(ORG));
    expect(ledger.map((l) => l.action.seq)).toEqual(g.plan.actions.map((a) => a.seq));
  });
});
