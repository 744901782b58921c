// The README's "A live org" stays true: its two commands — the fake org, then a live plan with the
// two values it prints — work as shown. The fake is started as `npm run fake-org` starts it once
// built (node dist/fake-org/main.js), as a child on 127.0.0.1.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCapctl } from './helpers/cli.js';

const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

describe('README.md: A live org', () => {
  it('shows the fake org and a live plan against it in two commands, which work as shown', async () => {
    const blocks = [...section('A live org').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toBe('npm run fake-org');
    expect(pkg.scripts['fake-org']).toBe('npm run build && node dist/fake-org/main.js');
    const second = /^SF_INSTANCE_URL=(\S+) SF_ACCESS_TOKEN=(\S+) npx capctl (.+)$/.exec(blocks[1]!);
    expect(second, blocks[1]).not.toBeNull();

    const child = spawn(process.execPath, ['dist/fake-org/main.js'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let printed = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: string) => {
          printed += d;
          if (printed.includes('SF_ACCESS_TOKEN=')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`the fake org exited (${code})`)));
      });
      const url = /export SF_INSTANCE_URL=(\S+)/.exec(printed)![1]!;
      const token = /export SF_ACCESS_TOKEN=(\S+)/.exec(printed)![1]!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const result = await runCapctl(second![3]!.split(' '), { env: { SF_INSTANCE_URL: url, SF_ACCESS_TOKEN: token } });
      expect(result.stderr).toContain(`API calls to env (${url})`);
      // The example declares two uninstalled apps no API shows (README: DocuSign and Zoom): the plan says so.
      expect(result.stdout).toContain('"DocuSign eSignature" is declared, but acme-prod does not list an app by that name');
      expect(result.stdout).not.toContain(token);
      expect(result.stderr).not.toContain(token);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
