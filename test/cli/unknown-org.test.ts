// history, verify and drift agree on an org the store does not have: exit 1, one message, a hint.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { gitEnv, initRepo } from '../helpers/git.js';

let dir: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  dir = await makeTempDir('capctl-unknown-org-');
  env = gitEnv(dir);
  await copyInto('examples/acme', path.join(dir, 'desired'));
  await copyInto('org-state', path.join(dir, 'org-state'));
  initRepo(dir, env);
});
afterAll(() => removeDir(dir));

describe('an org the store does not have', () => {
  it.each(['history', 'verify', 'drift'])('%s exits 1 naming the orgs there are, with "did you mean"', async (command) => {
    const result = await runCapctl([command, '--org', 'acme-prd'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('capctl: no org "acme-prd" in org-state (the store has: acme-prod): did you mean "acme-prod"?\n');
  });

  it.each(['history', 'verify', 'drift'])('%s gives no hint when no org is close', async (command) => {
    const result = await runCapctl([command, '--org', 'globex-dev'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('capctl: no org "globex-dev" in org-state (the store has: acme-prod)\n');
  });
});
