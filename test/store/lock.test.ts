// The org lock with real processes: a second taker waits and then fails naming the holder; a lock
// left by a dead process is reported as stale with the command that clears it; `capctl unlock`
// clears a lock only when given its id.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { LockInfo } from '../../src/store/org-store.js';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';
import { startNode, type Child } from '../helpers/child.js';

const holdLock = path.join(repoRoot, 'test/store/fixtures/hold-lock.mjs');
const takeLock = path.join(repoRoot, 'test/store/fixtures/take-lock.mjs');
const temps: string[] = [];
const children: Child[] = [];
let root: string;
let lockFile: string;

beforeEach(async () => {
  const dir = await makeTempDir('capctl-lock-');
  temps.push(dir);
  root = path.join(dir, 'org-state');
  await copyInto('org-state', root);
  lockFile = path.join(root, 'acme-prod/.lock');
});

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  for (const dir of temps) await removeDir(dir);
});

async function hold(): Promise<{ child: Child; info: LockInfo }> {
  const child = startNode(holdLock, [root, 'acme-prod']);
  children.push(child);
  expect(await child.waitForLine(/^\{/), child.stderr()).toBe(true);
  return { child, info: JSON.parse(child.lines[0]!) as LockInfo };
}

function take(timeoutMs: number): Child {
  const child = startNode(takeLock, [root, 'acme-prod', String(timeoutMs)]);
  children.push(child);
  return child;
}

describe('the org lock', () => {
  it('makes a second taker wait, then fail naming the holder', async () => {
    const { child: holder, info } = await hold();
    const taker = take(400);
    const { code } = await taker.exited;
    expect(code, taker.stderr()).toBe(3);
    expect(taker.lines).toContain('waiting for holder-user');
    expect(taker.stderr()).toContain(
      `acme-prod is locked by user holder-user on host ${os.hostname()}, pid ${holder.process.pid}, since ${info.acquiredAt}, running "capctl apply (hold-lock test)"`,
    );
    expect(taker.stderr()).not.toContain('stale');
    holder.process.stdin!.write('release\n');
    expect(await holder.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(lockFile)).toBe(false);
  });

  it('gives the lock to a waiting taker once the holder releases it', async () => {
    const { child: holder } = await hold();
    const taker = take(60_000);
    expect(await taker.waitForLine(/^waiting for holder-user$/), taker.stderr()).toBe(true);
    holder.process.stdin!.write('release\n');
    expect(await taker.waitForLine(/^acquired$/), taker.stderr()).toBe(true);
    expect((await taker.exited).code).toBe(0);
  });

  it('reports a lock whose process died as stale, and unlock clears it only with its id', async () => {
    const { child: holder, info } = await hold();
    holder.process.kill('SIGKILL');
    await holder.exited;
    const lockBefore = await readFile(lockFile, 'utf8');

    const taker = take(0);
    expect((await taker.exited).code).toBe(3);
    expect(taker.stderr()).toContain(`the lock is stale: process ${info.pid} is no longer running on this host`);
    expect(taker.stderr()).toContain(`Clear it with: capctl unlock acme-prod ${info.id} --org-state ${root}`);

    const wrong = await runCapctl(['unlock', 'acme-prod', 'not-the-id', '--org-state', root]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain(`the lock of acme-prod has id ${info.id}, not not-the-id: nothing was removed`);
    expect(await readFile(lockFile, 'utf8')).toBe(lockBefore);

    const right = await runCapctl(['unlock', 'acme-prod', info.id, '--org-state', root]);
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toBe(`Removed the lock ${info.id} of acme-prod.\n`);
    expect(existsSync(lockFile)).toBe(false);

    const again = take(0);
    expect(await again.waitForLine(/^acquired$/), again.stderr()).toBe(true);
  });

  it('refuses to unlock a lock held by a running process, and when there is no lock', async () => {
    const { child: holder, info } = await hold();
    const refused = await runCapctl(['unlock', 'acme-prod', info.id, '--org-state', root]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('is held by a running process');
    expect(existsSync(lockFile)).toBe(true);
    holder.process.stdin!.write('release\n');
    await holder.exited;

    const none = await runCapctl(['unlock', 'acme-prod', info.id, '--org-state', root]);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain(`acme-prod is not locked: there is no lock ${info.id} to remove`);
  });
});
