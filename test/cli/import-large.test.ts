// Issue 7's round trip at scale: import a generated org (the benchmark's generator at a small
// scale: hundreds of apps, thousands of sessions) and plan it at once: No changes.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('capctl-import-large-');
  await run(process.execPath, [path.join(repoRoot, 'scripts/bench/generate.mjs'), dir, '--scale', '0.03']);
});

afterAll(async () => {
  await removeDir(dir);
});

describe('import of a generated large org', () => {
  it('writes a desired state that plans with no changes', async () => {
    const imported = await runCapctl(['import', '--org-state', 'org-state', '--out', 'imported'], { cwd: dir });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/Imported bench-org from the org store org-state: org settings and \d{3,} apps/);
    const plan = await runCapctl(['plan', '--desired', 'imported', '--org-state', 'org-state', '--detailed-exitcode'], { cwd: dir });
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('No changes. bench-org matches the desired state.');
    expect(plan.code).toBe(0);
  });
});
