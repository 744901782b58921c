// A connected org's state folder (SPEC §13): the commands that read capctl's own record of it —
// `verify` (the ledger's chain and its commits), `history`, `approval-url` — work on the folder as
// the last refresh recorded it, with no API call; `contain`, which would change the org through the
// folder, refuses a connected org with exit 1, naming itself, and writes nothing (also when --org
// is left out and the connected org is the only one).
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCapctl } from '../helpers/cli.js';
import { fingerprint } from '../helpers/fingerprint.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';
import { liveFixtures } from '../helpers/live-fixtures.js';
import { bundledSnapshot } from '../salesforce/helpers.js';

const fixtures = liveFixtures();

async function refreshedRepo(): Promise<{ root: string; env: Record<string, string | undefined>; calls(): number }> {
  const root = await fixtures.tempDir('capctl-connected-folder-');
  await writeFile(path.join(root, 'capctl.yaml'), 'orgs:\n  acme-prod:\n    connection: env\n');
  await mkdir(path.join(root, 'desired'));
  await writeFile(path.join(root, 'desired/org.yaml'), 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\nunmanagedApps: ignore\n');
  const gitVars = gitEnv(root);
  initRepo(root, gitVars);
  const fake = await fixtures.startFake({ snapshot: await bundledSnapshot() });
  const env = { ...gitVars, SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken, CAPCTL_ACTOR: undefined };
  const refreshed = await runCapctl(['refresh', '--actor', 'ci-bot@acme.example'], { cwd: root, env });
  expect(refreshed.code, refreshed.stderr).toBe(0);
  expect(git(root, ['status', '--porcelain'], gitVars)).toBe('');
  return { root, env, calls: () => fake.requests.length };
}

describe('a connected org: its state folder', () => {
  it('verify, history and approval-url read the state folder the refresh recorded, making no API call', async () => {
    const s = await refreshedRepo();
    const before = s.calls();
    const verify = await runCapctl(['verify', '--format', 'json'], { cwd: s.root, env: s.env });
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
    const history = await runCapctl(['history', '--format', 'json'], { cwd: s.root, env: s.env });
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toContain('refresh');
    const url = await runCapctl(['approval-url', 'Slack'], { cwd: s.root, env: s.env });
    expect(url.code, url.stderr).toBe(0);
    expect(url.stdout).toMatch(/^\/identity\/app\/AppInstallApprovalPage\.apexp\?app_id=\w+&app_org_id=\w+\n$/);
    expect(s.calls()).toBe(before);
  });

  it('contain refuses a connected org with exit 1, naming the command, and writes nothing (with --org and without)', async () => {
    const s = await refreshedRepo();
    const before = await fingerprint(s.root);
    for (const args of [['contain', 'Slack', '--reason', 'token leak', '--actor', 'ci-bot@acme.example'], ['contain', 'Slack', '--reason', 'token leak', '--actor', 'ci-bot@acme.example', '--org', 'acme-prod']]) {
      const result = await runCapctl(args, { cwd: s.root, env: s.env });
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stderr).toContain('capctl.yaml connects org acme-prod to a live org (connection: env): capctl contain is not available yet on a live Salesforce org');
      expect(await fingerprint(s.root)).toEqual(before);
    }
  });
});
