// The example-org script: --help prints its usage and writes nothing; a stray argument writes nothing either.
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir, repoRoot } from '../helpers/cli.js';

const script = path.join(repoRoot, 'scripts/make-example-org.mjs');
const orgJson = path.join(repoRoot, 'org-state/acme-prod/org.json');
let out: string;

beforeAll(async () => {
  out = await makeTempDir('capctl-example-org-');
});
afterAll(() => removeDir(out));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { cwd: out }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('scripts/make-example-org.mjs', () => {
  it.each([['--help'], ['-h'], ['--out', '.', '--help']].map((args) => [args.join(' '), args]))('%s prints the usage, exits 0 and writes nothing', async (_name, args) => {
    const before = (await stat(orgJson)).mtimeMs;
    const result = await run(args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: node scripts\/make-example-org\.mjs \[--out ORG_STATE_DIR\]\n/);
    expect(await readdir(out)).toEqual([]);
    expect((await stat(orgJson)).mtimeMs).toBe(before);
  });

  it.each([['--outt', '.'], ['--out'], ['--out', '.', 'extra']].map((args) => [args.join(' '), args]))('%s is refused with the usage, writing nothing', async (_name, args) => {
    const result = await run(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^make-example-org: .*\nUsage: /);
    expect(await readdir(out)).toEqual([]);
  });
});
