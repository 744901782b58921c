// A connected app's revocation naming more users than one query takes (200, revokeChunks): the
// real capctl in child processes against the fake org (issue 15). The next chunk's query goes out
// while the revokes of the chunk before it are still under way, so that no slot of the client
// waits for it; the calls stay the same (one query per chunk, each token revoked once). A revoke
// refused part way, while others and the next query are in flight: none more is sent, what ended
// is recorded (an observed line), nothing after it is recorded done, and the same apply again
// finishes the job.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../src/fake-org/server.js';
import { copyInto, repoRoot, runCapctl } from '../helpers/cli.js';
import { gitEnv, initRepo } from '../helpers/git.js';
import { liveFixtures, type LiveSetup } from '../helpers/live-fixtures.js';
import { bundledSnapshot } from '../salesforce/helpers.js';

const fixtures = liveFixtures();
const actor = 'ci-bot@acme.example';
const jira = 'Jira Cloud Connector';
/** 600 more users, each holding one Jira session created before the revocation's cutoff. */
const users = Array.from({ length: 600 }, (_, i) => `load-${String(i).padStart(3, '0')}@acme.example`);

/** The bundled org and desired state (less the two apps no API shows), Jira's revocation naming jdoe and the 600; refreshed, planned to plan.json. */
async function setup(): Promise<LiveSetup> {
  const snapshot = await bundledSnapshot();
  snapshot.users.push(...users.map((username) => ({ username, active: true, profile: 'Standard User', permissionSets: [], permissions: [] })));
  const app = snapshot.apps.find((a) => a.name === jira)!;
  app.sessions = [...app.sessions, ...users.map((user, i) => ({ user, created: `2026-10-01T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`, lastUsed: '2026-11-30T00:00:00Z', useCount: 1, flow: 'web-server' as const }))];
  const root = await fixtures.tempDir('capctl-live-overlap-');
  await copyInto(path.join(repoRoot, 'examples/acme'), path.join(root, 'desired'));
  for (const file of ['docusign.yaml', 'zoom.yaml']) await rm(path.join(root, 'desired/apps', file));
  const revocation = path.join(root, 'desired/revocations/INC-2057.yaml');
  await writeFile(revocation, readFileSync(revocation, 'utf8').replace('users: [jdoe@acme.example]', `users: [jdoe@acme.example, ${users.join(', ')}]`));
  await writeFile(path.join(root, 'capctl.yaml'), 'orgs:\n  acme-prod:\n    connection: env\n');
  const env = gitEnv(root);
  initRepo(root, env);
  // Each answer waits a little, as a real org's do, so that calls sent together overlap at the fake.
  const fake = await fixtures.startFake({ snapshot, latencyMs: 5 });
  const liveEnv = { ...env, SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken };
  const s: LiveSetup = { root, env, fake, run: (args, more = {}) => runCapctl(args, { cwd: root, env: { ...liveEnv, ...more } }) };
  const refreshed = await s.run(['refresh', '--actor', actor]);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  const planned = await s.run(['plan', '--out', 'plan.json']);
  expect(planned.code, planned.stderr).toBe(0);
  const plan = JSON.parse(readFileSync(path.join(root, 'plan.json'), 'utf8')) as { actions: { kind: string; app?: { name: string }; effects: { sessionsEnded: number } }[] };
  expect(plan.actions.filter((a) => a.kind === 'revoke').map((a) => `${a.app!.name} ${a.effects.sessionsEnded}`)).toEqual([`${jira} 602`, 'Slack 58']);
  return s;
}

const apply = (s: LiveSetup) => s.run(['apply', 'plan.json', '--actor', actor]);

/** The user a recorded revoke ended a Jira token of (`revoked <app>/<user>/<created>`). */
const userOf = (r: RecordedRequest): string | undefined => (r.outcome?.startsWith(`revoked ${jira}/`) ? r.outcome.split('/')[1] : undefined);

/** Jira's revokes that ended a token: each once, none of a token already gone. */
function jiraRevoked(requests: readonly RecordedRequest[]): string[] {
  const outcomes = requests.filter((r) => r.path === '/services/oauth2/revoke' && r.outcome !== undefined).map((r) => r.outcome!);
  expect(outcomes.filter((o) => !o.startsWith('revoked '))).toEqual([]);
  expect(new Set(outcomes).size).toBe(outcomes.length);
  return outcomes.filter((o) => o.startsWith(`revoked ${jira}/`));
}

interface Line {
  kind?: string;
  action?: { seq: number; kind: string; app?: { name: string } };
  result: { sessionsEnded?: number };
  observed?: { sessions: { ended: number }[] };
}

function ledger(s: LiveSetup): Line[] {
  return readFileSync(path.join(s.root, 'org-state/acme-prod/ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
}

describe('apply on a connected org: a revocation of more users than one query takes', () => {
  it("asks for the next chunk's tokens while the chunk before it is still being revoked: one query per chunk, each token once", async () => {
    const s = await setup();
    const mark = s.fake.requests.length;
    const applied = await apply(s);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const since = s.fake.requests.slice(mark);
    expect(jiraRevoked(since)).toHaveLength(602);
    // The chunks, as revokeChunks makes them: the 601 usernames in order, 200 a query.
    const named = ['jdoe@acme.example', ...users];
    const chunks = [0, 200, 400, 600].map((from) => named.slice(from, from + 200));
    const queries = since.flatMap((r, at) => (r.soql?.includes('DeleteToken') && r.soql.includes(jira) ? [at] : []));
    expect(queries).toHaveLength(4);
    for (const [k, chunk] of chunks.slice(0, 3).entries()) {
      const mine = new Set(chunk);
      const lastRevoke = since.findLastIndex((r) => r.path === '/services/oauth2/revoke' && mine.has(userOf(r) ?? ''));
      // Chunk k+1's query reached the org before the last revoke of chunk k's tokens did.
      expect(queries[k + 1]!, `chunk ${k + 2}`).toBeLessThan(lastRevoke);
    }
    // Never more than the client's parallelism in flight.
    expect(Math.max(...since.map((r) => r.inFlight))).toBeLessThanOrEqual(8);
    const done = ledger(s).filter((l) => l.action?.kind === 'revoke');
    expect(done.map((l) => `${l.action!.app!.name} ${l.result.sessionsEnded}`)).toEqual([`${jira} 602`, 'Slack 58']);
    const again = await s.run(['plan']);
    expect(again.stdout).toContain('No changes. acme-prod matches the desired state.');
  });

  it('a revoke refused part way, with others and the next query in flight: none more is sent, what ended is recorded, nothing after it done; the same apply again finishes', async () => {
    const s = await setup();
    // Jira's 301st revoke (in its second chunk, the third chunk's query already out) is refused.
    s.fake.inject({ kind: 'server-error', match: 'oauth2/revoke', skip: 300 });
    const mark = s.fake.requests.length;
    const first = await apply(s);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    const since = s.fake.requests.slice(mark);
    const refused = since.findIndex((r) => r.path === '/services/oauth2/revoke' && r.outcome === undefined);
    expect(refused).toBeGreaterThan(0);
    // Only the revokes already under way when the refusal came back: at most 7 beside it.
    expect(since.slice(refused + 1).filter((r) => r.path === '/services/oauth2/revoke').length).toBeLessThanOrEqual(7);
    const ended = jiraRevoked(since).length;
    expect(ended).toBeGreaterThanOrEqual(300);
    const lines = ledger(s);
    expect(lines.at(-1)).toMatchObject({ kind: 'observed', observed: { sessions: [{ ended }] } });
    // Nothing from the revocation on is recorded done.
    expect(lines.filter((l) => l.action?.kind === 'revoke')).toEqual([]);
    expect(first.stdout + first.stderr).toMatch(/Jira Cloud Connector/);

    const second = await apply(s);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(jiraRevoked(s.fake.requests.slice(mark))).toHaveLength(602);
    const done = ledger(s).filter((l) => l.action?.kind === 'revoke');
    expect(done.map((l) => `${l.action!.app!.name} ${l.result.sessionsEnded}`)).toEqual([`${jira} ${602 - ended}`, 'Slack 58']);
    const again = await s.run(['plan']);
    expect(again.stdout).toContain('No changes. acme-prod matches the desired state.');
  });
});
