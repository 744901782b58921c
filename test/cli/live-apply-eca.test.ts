// apply on a connected org (issue 15): an external client app's sessions ended through the usage
// resources when it has more users than one page of its users resource holds (100, [S12]): every
// page read, every matching token deleted, the revocation read back done, in exactly the calls
// the estimate gives (salesforce/call-estimate.ts); the token reads and the deletes side by side,
// at most the client's parallelism in flight.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { OrgSnapshot } from '../../src/model/index.js';
import type { RecordedRequest } from '../../src/fake-org/server.js';
import { estimateApplyCalls } from '../../src/salesforce/call-estimate.js';
import { copyInto, repoRoot, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { bundledSnapshot } from '../salesforce/helpers.js';
import { liveFixtures } from '../helpers/live-fixtures.js';

const fixtures = liveFixtures();
const actor = 'ci-bot@acme.example';
const appName = 'Acme Data Bridge';
const appId = '0xIusxAGS3E8yxS9KO';

/** The bundled org with more users, each holding `each` sessions of the external client app (issued in June 2026), so that the app has `users` users in all. */
async function crowded(users: number, each: number): Promise<OrgSnapshot> {
  const snapshot = await bundledSnapshot();
  const app = snapshot.apps.find((a) => a.id === appId)!;
  const template = snapshot.users.find((u) => u.username === 'svc-etl@acme.example')!;
  const added = users - new Set(app.sessions.map((s) => s.user)).size;
  for (let u = 0; u < added; u++) {
    const username = `etl${String(u).padStart(3, '0')}@acme.example`;
    snapshot.users.push({ ...template, username });
    for (let t = 0; t < each; t++) {
      const created = new Date(Date.UTC(2026, 5, 1) + (u * each + t) * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      app.sessions.push({ ...app.sessions[0]!, user: username, created, lastUsed: created });
    }
  }
  return snapshot;
}

/** The requests of the revocation: its usage calls, and its read-back (the app's COUNT() and tokens, with their next pages) right after. */
function revocationCalls(requests: readonly RecordedRequest[]): RecordedRequest[] {
  const isUsage = (r: RecordedRequest): boolean => r.path.includes('/apps/oauth/usage/');
  const first = requests.findIndex(isUsage);
  let end = requests.length - [...requests].reverse().findIndex(isUsage);
  while (end < requests.length && (requests[end]!.soql?.includes(`'${appName}'`) || requests[end]!.pageOf === 'OauthToken')) end++;
  return requests.slice(first, end);
}

/** Applies the saved plan (exit 0) and gives the revocation's requests (revocationCalls). */
async function appliedRevocation({ fake, run }: Pick<Connected, 'fake' | 'run'>): Promise<RecordedRequest[]> {
  const mark = fake.requests.length;
  const applied = await run(['apply', 'plan.json', '--actor', actor]);
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  return revocationCalls(fake.requests.slice(mark));
}

interface Connected {
  root: string;
  fake: Awaited<ReturnType<typeof fixtures.startFake>>;
  run(args: string[]): ReturnType<typeof runCapctl>;
}

/** A git repository with the bundled desired state, connected to the fake serving `snapshot`, refreshed, and a plan saved with a revocation of the bridge's sessions issued before `issuedBefore`. */
async function planned(snapshot: OrgSnapshot, issuedBefore: string): Promise<Connected> {
  const root = await fixtures.tempDir('capctl-live-eca-');
  await copyInto(path.join(repoRoot, 'examples/acme'), path.join(root, 'desired'));
  for (const file of ['docusign.yaml', 'zoom.yaml']) await rm(path.join(root, 'desired/apps', file));
  await writeFile(path.join(root, 'capctl.yaml'), 'orgs:\n  acme-prod:\n    connection: env\n');
  const env = gitEnv(root);
  initRepo(root, env);
  // Each answer waits a little, as a real org's do, so that calls sent together overlap at the fake.
  const fake = await fixtures.startFake({ snapshot, latencyMs: 10 });
  const liveEnv = { ...env, SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken, SF_LOGIN_URL: fake.url };
  const run = (args: string[]) => runCapctl(args, { cwd: root, env: liveEnv });
  const refreshed = await run(['refresh', '--actor', actor]);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  await writeFile(
    path.join(root, 'desired/revocations/INC-3001.yaml'),
    `apiVersion: capctl/v1\nkind: Revocation\norg: acme-prod\nid: INC-3001\napp: ${appName}\nusers: all\nissuedBefore: ${issuedBefore}\nreason: Key rotated\n`,
  );
  git(root, ['add', '-A'], env);
  git(root, ['commit', '-qm', 'desired: end the bridge sessions of June'], env);
  const saved = await run(['plan', '--out', 'plan.json']);
  expect(saved.code, saved.stderr).toBe(0);
  return { root, fake, run };
}

/** The plan's revocation of the bridge. */
function revocationOf(root: string): { kind: string; app?: { id: string }; effects: { sessionsEnded: number } } {
  const plan = JSON.parse(readFileSync(path.join(root, 'plan.json'), 'utf8')) as { actions: { kind: string; app?: { id: string }; effects: { sessionsEnded: number } }[] };
  return plan.actions.find((a) => a.kind === 'revoke' && a.app?.id === appId)!;
}

function revokeLedger(root: string): (number | undefined)[] {
  const ledger = readFileSync(path.join(root, 'org-state/acme-prod/ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action?: { kind: string; app?: { id: string } }; result: { sessionsEnded?: number } });
  return ledger.filter((l) => l.action?.kind === 'revoke' && l.action.app?.id === appId).map((l) => l.result.sessionsEnded);
}

describe('apply: an external client app with more users than a page of its users resource', () => {
  it('reads every page of users (200: two full pages and an empty one), ends every matching session, reads it back done, in the calls estimated', async () => {
    const snapshot = await crowded(200, 2);
    // Every session issued in June (the 392 added, of 196 users, most past the first page) ends; the app's own 8 stay.
    const { root, fake, run } = await planned(snapshot, '2026-07-01T00:00:00Z');
    const revoke = revocationOf(root);
    expect(revoke.effects.sessionsEnded).toBe(392);

    const calls = await appliedRevocation({ fake, run });
    const usage = calls.filter((r) => r.path.includes('/apps/oauth/usage/'));
    const pages = usage.filter((r) => r.path.endsWith('/users'));
    expect(pages.map((r) => r.query)).toEqual(['page=0&pageSize=100', 'page=1&pageSize=100', 'page=2&pageSize=100']);
    const tokenReads = usage.filter((r) => r.method === 'GET' && r.path.endsWith('/tokens'));
    expect(tokenReads).toHaveLength(200);
    const deletes = usage.filter((r) => r.method === 'DELETE');
    const deleted = deletes.map((r) => r.outcome ?? '');
    expect(deleted).toHaveLength(392);
    expect(new Set(deleted).size).toBe(392);
    // The users' token reads, then the deletes, go side by side: more than one, at most the client's parallelism (8), in flight at once.
    for (const side of [tokenReads, deletes]) {
      const most = Math.max(...side.map((r) => r.inFlight));
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(8);
    }
    expect(deleted.every((o) => /^revoked Acme Data Bridge\/etl\d{3}@acme\.example\/2026-06-/.test(o))).toBe(true);
    // The estimate counts the revocation as the executor sends it: the pages, the users' tokens, the deletes, the read-back.
    expect(estimateApplyCalls([[revoke as never]], snapshot.apps).calls).toBe(calls.length);

    const app = JSON.parse(readFileSync(path.join(root, `org-state/acme-prod/apps/${appId}.json`), 'utf8')) as { sessions: { created: string }[] };
    expect(app.sessions).toHaveLength(8);
    expect(revokeLedger(root)).toEqual([392]);
  });

  it('more tokens left than one OauthToken query answers (2,500): read back by chunks of the app\'s holders, only its tokens, in the calls estimated', async () => {
    // Users added to 600 in all with 5 sessions each (R11's most), one a minute from June 1st: the first 300 (of 60 users) end, more than 2,500 stay.
    const snapshot = await crowded(600, 5);
    const held = snapshot.apps.find((a) => a.id === appId)!.sessions.length;
    expect(held - 300).toBeGreaterThan(2500);
    const { root, fake, run } = await planned(snapshot, '2026-06-01T05:00:00Z');
    const revoke = revocationOf(root);
    expect(revoke.effects.sessionsEnded).toBe(300);
    const calls = await appliedRevocation({ fake, run });
    const queries = calls.filter((r) => r.soql?.includes('FROM OauthToken'));
    // COUNT(), then one query per chunk of holders (at most 256 users: 256, 256 and the rest): none reads the org's other tokens.
    expect(queries.map((r) => r.soql!.replace(/ IN \(.*\)/, ' IN (…)'))).toEqual([
      `SELECT COUNT() FROM OauthToken WHERE AppName = '${appName}'`,
      ...Array(3).fill(`SELECT AppName, AppMenuItem.ApplicationId, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken WHERE AppName = '${appName}' AND UserId IN (…)`),
    ]);
    expect(estimateApplyCalls([[revoke as never]], snapshot.apps).calls).toBe(calls.length);
    const app = JSON.parse(readFileSync(path.join(root, `org-state/acme-prod/apps/${appId}.json`), 'utf8')) as { sessions: { created: string }[] };
    expect(app.sessions).toHaveLength(held - 300);
    expect(revokeLedger(root)).toEqual([300]);
  });
});
