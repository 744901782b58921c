// capctl.yaml may name a connection per org (SPEC §13). The commands that read an org read it live
// (test/cli/live-org.test.ts): without the connection's settings they stop with a clear message
// (exit 1), and so does apply, which changes it live (test/cli/live-apply.test.ts); unlock works on the
// state folder's lock; nothing is written.
// An org listed without a connection is the store's folder, as if it were not listed.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';
import { fingerprint } from '../helpers/fingerprint.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

async function repoWith(config: string): Promise<string> {
  const root = await makeTempDir('capctl-connection-');
  dirs.push(root);
  await mkdir(path.join(root, '.git'));
  await copyInto(path.join(repoRoot, 'org-state'), path.join(root, 'org-state'));
  await copyInto(path.join(repoRoot, 'examples/acme'), path.join(root, 'desired'));
  await writeFile(path.join(root, 'capctl.yaml'), config);
  return root;
}

describe('a connection in capctl.yaml', () => {
  it('unlock works on the state folder\'s lock, connected or not, writing nothing', async () => {
    const root = await repoWith('orgs:\n  acme-prod:\n    connection: env\n');
    const before = await fingerprint(path.join(root, 'org-state'));
    const result = await runCapctl(['unlock', 'acme-prod', '0123456789ab'], { cwd: root, env: { SF_ACCESS_TOKEN: undefined, SF_INSTANCE_URL: undefined } });
    expect(result.stderr).toContain('acme-prod is not locked: there is no lock 0123456789ab to remove');
    expect(result.stderr).not.toContain('connects org acme-prod to a live org');
    expect(await fingerprint(path.join(root, 'org-state'))).toEqual(before);
  });

  it('is read live by plan, drift, usage, refresh and apply: without SF_ACCESS_TOKEN and SF_INSTANCE_URL they say so, writing nothing', async () => {
    const root = await repoWith('orgs:\n  acme-prod:\n    connection: env\n');
    const before = await fingerprint(path.join(root, 'org-state'));
    for (const args of [['plan'], ['drift'], ['usage'], ['refresh'], ['apply', '--auto-approve']]) {
      const result = await runCapctl(args, { cwd: root, env: { SF_ACCESS_TOKEN: undefined, SF_INSTANCE_URL: undefined } });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(1);
      expect(result.stderr).toContain('connection env needs SF_ACCESS_TOKEN and SF_INSTANCE_URL');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    // --offline plans against the store.
    const offline = await runCapctl(['plan', '--offline'], { cwd: root });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain('Plan:');
    expect(await fingerprint(path.join(root, 'org-state'))).toEqual(before);
  });

  it('an org listed without a connection is the store folder', async () => {
    const root = await repoWith('orgs:\n  acme-prod: {}\n');
    const result = await runCapctl(['plan'], { cwd: root });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Plan:');
  });

  it('a connection that is none of env, jwt or sf:ALIAS is refused by the schema, naming where', async () => {
    const root = await repoWith('orgs:\n  acme-prod:\n    connection: password\n');
    const result = await runCapctl(['plan'], { cwd: root });
    expect(result.code).toBe(1);
    // capctl.yaml's problems are diagnostics (issue 17): code CAP127 at the value's line and column.
    expect(result.stderr).toContain('capctl.yaml:3:17  error  CAP127  orgs.acme-prod.connection: "password" is not a connection: use env, jwt or sf:ALIAS\n');
  });
});
