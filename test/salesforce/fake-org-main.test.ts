// `npm run fake-org`: the fake org started on the bundled example in a real child process, and
// reached with the two lines it prints (built dist/, as `npm test` builds it first).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/salesforce/client.js';
import { openSession } from '../../src/salesforce/connection.js';
import { readLiveSnapshot } from '../../src/salesforce/read-live-snapshot.js';
import { repoRoot } from '../helpers/cli.js';

let child: ReturnType<typeof spawn> | undefined;
afterEach(() => {
  if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
  child = undefined;
});

describe('npm run fake-org', () => {
  it('prints SF_INSTANCE_URL and SF_ACCESS_TOKEN to export, and serves the bundled example', async () => {
    child = spawn(process.execPath, [path.join(repoRoot, 'dist/fake-org/main.js')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('Ctrl-C')) resolve();
      });
      child!.on('exit', (code) => reject(new Error(`fake-org exited with ${code}: ${out}`)));
    });
    const url = /export SF_INSTANCE_URL=(\S+)/.exec(out)?.[1];
    const token = /export SF_ACCESS_TOKEN=(\S+)/.exec(out)?.[1];
    expect(out).toContain('Fake org acme-prod (00D5e0000001AcmEAA) listening on http://127.0.0.1:');
    expect(token).toMatch(/^fake-org-token-/);
    const session = await openSession({ kind: 'env' }, { env: { SF_INSTANCE_URL: url, SF_ACCESS_TOKEN: token } });
    const read = await readLiveSnapshot(createClient(session), 'acme-prod');
    expect(read.snapshot.org.id).toBe('00D5e0000001AcmEAA');
    expect(read.snapshot.apps.length).toBeGreaterThan(30);
  });
});
