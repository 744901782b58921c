// `capctl plan` through the real executable, in child processes, on real folders.
import { cp, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/model/index.js';
import { planDigest } from '../../src/plan/digest.js';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { expectValidPlan } from '../plan/plan-schema.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

async function caseCopy(name: string): Promise<string> {
  const dir = await makeTempDir(`capctl-plan-${name}-`);
  temps.push(dir);
  await copyInto(`test/cases/${name}`, dir);
  return dir;
}

describe('capctl plan', () => {
  it('plans the bundled example: exit 2 with --detailed-exitcode, every kind of change, JSON valid against the schema', async () => {
    const text = await runCapctl(['plan', '--desired', 'examples/acme', '--org-state', 'org-state', '--detailed-exitcode']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(2);
    for (const line of ['+ 2. install DocuSign eSignature', '~ 7. set-policies Slack', 'o 9. unblock Workbench', '! 11. revoke INC-2041 on Slack', 'x 12. block Dropbox']) {
      expect(text.stdout).toContain(line);
    }
    expect(text.stdout).toMatch(/^Plan: 1 to install, 7 to update, 1 to unblock, 1 to block, \d+ sessions to revoke\.$/m);
    expect(text.stdout).not.toContain('\u001b[');

    const json = await runCapctl(['plan', '--desired', 'examples/acme', '--org-state', 'org-state', '--format', 'json']);
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as Plan;
    expectValidPlan(plan);
    expect(new Set(plan.actions.map((a) => a.kind))).toEqual(new Set(['set-org-settings', 'install', 'set-policies', 'set-assignments', 'unblock', 'revoke', 'block']));
    expect(plan.digest).toBe(planDigest(plan));
  });

  it('--out saves the plan atomically, with its basis: the desired commit (+dirty once changed) and its digest', async () => {
    const dir = await caseCopy('r9-revocation');
    const home = await makeTempDir('capctl-plan-home-');
    temps.push(home);
    const env = gitEnv(home);
    initRepo(dir, env);
    const head = git(dir, ['rev-parse', 'HEAD'], env).trim();

    const run = await runCapctl(['plan', '--format', 'json', '--out', 'plans/plan.json', '--actor', 'ci-bot@acme.example'], { cwd: dir, env });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Saved the plan to plans/plan.json');
    const saved = await readFile(path.join(dir, 'plans/plan.json'), 'utf8');
    expect(saved).toBe(run.stdout);
    const plan = JSON.parse(saved) as Plan;
    expectValidPlan(plan);
    expect(plan.basis).toMatchObject({ orgId: '00D5e0000001AcmEAA', storeRevision: 7, desiredCommit: head });
    expect(plan.basis.storeDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.actor).toBe('ci-bot@acme.example');
    expect(plan.digest).toBe(planDigest(plan));
    expect(Date.parse(plan.createdAt)).not.toBeNaN();

    await writeFile(path.join(dir, 'desired/apps/dropbox.yaml'), (await readFile(path.join(dir, 'desired/apps/dropbox.yaml'), 'utf8')) + '# reviewed\n');
    const dirty = await runCapctl(['plan', '--format', 'json'], { cwd: dir, env });
    expect((JSON.parse(dirty.stdout) as Plan).basis.desiredCommit).toBe(`${head}+dirty`);
  });

  it('takes the actor from CAPCTL_ACTOR, and --actor wins over it', async () => {
    const dir = await caseCopy('actor-missing-permissions');
    const fromEnv = await runCapctl(['plan', '--format', 'json'], { cwd: dir, env: { CAPCTL_ACTOR: 'ops-admin@acme.example' } });
    const plan = JSON.parse(fromEnv.stdout) as Plan;
    expect(plan.actor).toBe('ops-admin@acme.example');
    expect(plan.actions.map((a) => a.allowed)).toEqual([false, false, true]);
    const fromFlag = await runCapctl(['plan', '--format', 'json', '--actor', 'ci-bot@acme.example'], { cwd: dir, env: { CAPCTL_ACTOR: 'ops-admin@acme.example' } });
    expect((JSON.parse(fromFlag.stdout) as Plan).actions.every((a) => a.allowed)).toBe(true);
  });

  it('exits 0 without --detailed-exitcode, 0 with no changes, and 1 on plan errors without writing --out', async () => {
    const changes = await caseCopy('unblock');
    expect((await runCapctl(['plan'], { cwd: changes })).code).toBe(0);
    const same = await caseCopy('no-changes');
    const none = await runCapctl(['plan', '--detailed-exitcode'], { cwd: same });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No changes. acme-prod matches the desired state.');
    const broken = await caseCopy('r8-app-not-in-org');
    const failed = await runCapctl(['plan', '--out', 'saved-plan.json', '--format', 'markdown'], { cwd: broken });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^### capctl plan: `acme-prod`\n\n\*\*❌ The plan has 2 errors, so it has no actions\.\*\*/);
    expect(failed.stderr).toContain('saved-plan.json not written');
    await expect(readFile(path.join(broken, 'saved-plan.json'))).rejects.toThrow();
  });

  it('validates and plans an org named constructor like any other slug (no Object.prototype lookup)', async () => {
    const dir = await caseCopy('no-changes');
    await rename(path.join(dir, 'org-state/acme-prod'), path.join(dir, 'org-state/constructor'));
    for (const file of ['desired/org.yaml', 'desired/apps/slack.yaml', 'desired/apps/zoom.yaml', 'org-state/constructor/org.json']) {
      const full = path.join(dir, file);
      await writeFile(full, (await readFile(full, 'utf8')).replaceAll('acme-prod', 'constructor'));
    }
    const validate = await runCapctl(['validate', 'desired'], { cwd: dir });
    expect(validate).toEqual({ code: 0, stdout: 'desired: 3 documents in 3 files, 0 errors, 0 warnings\n', stderr: '' });
    const plan = await runCapctl(['plan', '--detailed-exitcode'], { cwd: dir });
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('No changes. constructor matches the desired state.');
    // A store org `constructor` that no desired file declares: a warning, not a TypeError. (The
    // files now declare acme-prod, which the store must hold too: an org it does not hold is CAP325.)
    await cp(path.join(dir, 'org-state/constructor'), path.join(dir, 'org-state/acme-prod'), { recursive: true });
    const acme = path.join(dir, 'org-state/acme-prod/org.json');
    await writeFile(acme, (await readFile(acme, 'utf8')).replaceAll('constructor', 'acme-prod'));
    await writeFile(path.join(dir, 'desired/org.yaml'), (await readFile(path.join(dir, 'desired/org.yaml'), 'utf8')).replaceAll('constructor', 'acme-prod'));
    for (const app of ['slack', 'zoom']) {
      const full = path.join(dir, `desired/apps/${app}.yaml`);
      await writeFile(full, (await readFile(full, 'utf8')).replaceAll('constructor', 'acme-prod'));
    }
    const undeclared = await runCapctl(['plan', '--org', 'constructor', '--format', 'json'], { cwd: dir });
    expect(undeclared.stderr).not.toContain('TypeError');
    expect(undeclared.code).toBe(0);
    const json = JSON.parse(undeclared.stdout) as Plan;
    expectValidPlan(json);
    expect(json.org.name).toBe('constructor');
    expect(json.diagnostics.map((d) => d.code)).toContain('CAP324');
  });

  it('refuses a malformed store or desired state with a message, never a stack trace', async () => {
    const store = await caseCopy('r11-store-too-many-sessions');
    const r11 = await runCapctl(['plan'], { cwd: store });
    expect(r11.code).toBe(1);
    expect(r11.stderr).toContain('CAP207');
    expect(r11.stderr).not.toContain('internal error');
    const desired = await caseCopy('unblock');
    await writeFile(path.join(desired, 'desired/apps/workbench.yaml'), 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Workbench\nblokced: false\n');
    const bad = await runCapctl(['plan'], { cwd: desired });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/desired\/apps\/workbench\.yaml:5:1 +error +CAP103/);
    expect(bad.stderr).toContain('nothing was planned');
    expect(bad.stdout).toBe('');
    // The desired state is loaded on another thread: its errors still come back as themselves.
    const missing = await runCapctl(['plan', '--desired', 'nowhere'], { cwd: desired });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('capctl: the desired-state folder "nowhere" does not exist\n');
  });

  it('refuses an --out that is a folder, or lies under a file: exit 1, the path named, nothing written', async () => {
    const dir = await caseCopy('unblock');
    await mkdir(path.join(dir, 'plans'));
    const folder = await runCapctl(['plan', '--out', 'plans'], { cwd: dir });
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe('capctl: --out plans is a folder: name the file to save the plan in (for example --out plans/plan.json)\n');
    expect(folder.stdout).toBe('');
    expect(await readdir(path.join(dir, 'plans'))).toEqual([]);

    await writeFile(path.join(dir, 'afile'), 'kept\n');
    const under = await runCapctl(['plan', '--out', 'afile/plan.json'], { cwd: dir });
    expect(under.code).toBe(1);
    expect(under.stderr).toMatch(/^capctl: --out afile\/plan\.json: .*afile is a file, not a folder\n$/);
    expect(await readFile(path.join(dir, 'afile'), 'utf8')).toBe('kept\n');
  });
});
