// applyOrg as a library, in this process: a saved plan applied to a file store in a real temporary
// git repository (the report, the reporter's events in order, the commit), and a plan made now
// that the confirm question cancels (nothing changed, nothing committed).
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, applyOrg, type ApplyReporter, type Plan } from '../../src/index.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';
import { git, gitEnv, initRepo, useEnv } from '../helpers/git.js';
import { ADMIN, ORG, savePlan, writeGeneratedOrg } from '../helpers/generated-org.js';

const now = new Date('2026-11-28T12:00:00Z');
const saved = { ...process.env };
let dir: string;
let env: Record<string, string | undefined>;
let orgState: string;
let desired: string;

beforeEach(async () => {
  dir = await makeTempDir();
  env = gitEnv(dir);
  useEnv(env);
  ({ orgState, desired } = await writeGeneratedOrg(dir, 3));
  initRepo(dir, env);
});

afterEach(async () => {
  process.env = { ...saved };
  await removeDir(dir);
});

/** A reporter that writes down each event it hears, by name. */
function recorder(): { events: string[]; reporter: ApplyReporter } {
  const events: string[] = [];
  return {
    events,
    reporter: {
      warnings: (d) => events.push(`warnings ${d.length}`),
      planned: (plan) => events.push(`planned ${plan.actions.length}`),
      waiting: (holder, org) => events.push(`waiting ${org} ${holder.user}`),
      started: (start, plan) => events.push(`started ${plan.org.name} ${start.actor} ${start.remaining.length}`),
      progress: (done, total) => events.push(`progress ${done}/${total}`),
      applied: (line) => events.push(`applied ${line.seq} ${line.action.kind} ${line.result.status}`),
      finished: () => events.push('finished'),
      apiCalls: (reports) => events.push(`api ${reports.length}`),
    },
  };
}

describe('applyOrg', () => {
  it('applies a saved plan: the report, the reporter told each step in order, and the git commit of the store', async () => {
    const planFile = path.join(dir, 'plan.json');
    const plan = await savePlan(desired, orgState, planFile, now);
    expect(plan.actions.length).toBeGreaterThan(1);
    const { events, reporter } = recorder();

    const report = await applyOrg({ desired, orgState, planFile, actor: ADMIN, now: () => now, reporter });

    expect(report.status).toBe('applied');
    expect(report.org).toBe(ORG);
    expect(report.actor).toBe(ADMIN);
    expect(report.planDigest).toBe(plan.digest);
    expect(report.applied.map((l) => l.action.seq)).toEqual(plan.actions.map((a) => a.seq));
    const n = plan.actions.length;
    expect(events).toEqual([
      `started ${ORG} ${ADMIN} ${n}`,
      ...report.applied.flatMap((line, i) => [`progress ${i + 1}/${n}`, `applied ${line.seq} ${line.action.kind} ${line.result.status}`]),
      'finished',
    ]);
    // The commit is the repository's HEAD, carries the plan's trailers, and leaves the store clean.
    const commit = report.commit;
    expect(commit?.status).toBe('committed');
    if (commit?.status !== 'committed') return;
    expect(git(dir, ['rev-parse', 'HEAD'], env).trim()).toBe(commit.commit);
    const body = git(dir, ['log', '-1', '--format=%B'], env);
    expect(body).toContain(`Capctl-Plan: ${plan.digest}`);
    expect(body).toContain(`Capctl-Actor: ${ADMIN}`);
    expect(commit.files).toContain(`org-state/${ORG}/ledger.jsonl`);
    expect(git(dir, ['status', '--porcelain', '--', 'org-state'], env)).toBe('');

    // Applied again, the same plan is done already: nothing carried out, no new commit.
    const again = await applyOrg({ desired, orgState, planFile, actor: ADMIN, now: () => now });
    expect(again.status).toBe('already-applied');
    expect(git(dir, ['rev-parse', 'HEAD'], env).trim()).toBe(commit.commit);
  });

  it('plans now and asks first: a cancelled question changes nothing and commits nothing', async () => {
    const head = git(dir, ['rev-parse', 'HEAD'], env);
    const before = await fingerprint(orgState);
    const { events, reporter } = recorder();
    const asked: Plan[] = [];
    const applying = applyOrg({
      desired,
      orgState,
      actor: ADMIN,
      now: () => now,
      reporter,
      confirm: async (plan) => {
        asked.push(plan);
        throw new AbortedError('Apply cancelled: nothing was changed.');
      },
    });
    await expect(applying).rejects.toThrow(AbortedError);
    expect(asked).toHaveLength(1);
    expect(events).toEqual([`planned ${asked[0]!.actions.length}`]);
    expect(await fingerprint(orgState)).toEqual(before);
    expect(git(dir, ['rev-parse', 'HEAD'], env)).toBe(head);
  });

  it('needs the actor on a file-store org, before anything is read or asked', async () => {
    const { events, reporter } = recorder();
    await expect(applyOrg({ desired, orgState, now: () => now, reporter })).rejects.toThrow('apply needs the user it runs as: --actor USERNAME, or CAPCTL_ACTOR');
    expect(events).toEqual([]);
  });
});
