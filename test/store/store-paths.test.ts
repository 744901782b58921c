// The store never leads outside its folder (SPEC §10): whatever a journal or a lock file holds —
// `../` paths, absolute paths, names of other files, links into a tree beside the store — reading,
// locking (which rolls a journal forward), unlocking and committing touch nothing outside the
// org's folder: the sentinel tree beside it keeps every file, byte, mtime and atime, gains
// nothing, and no message quotes it. A journal that names anything but the store's own files is a
// malformed store (exit 1).
import { lstat, mkdir, readdir, readFile, stat, symlink, utimes, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CapctlError, StoreError } from '../../src/model/index.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
// @ts-expect-error -- a plain .mjs fixture without type declarations
import { APP_A, filesFor, ledgerLine, ORG, writeBaseStore } from './fixtures/crash-store.mjs';

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await removeDir(dir);
});

const sentinelMark = 'SENTINEL_9f3c';
const oldTime = new Date('2020-01-01T00:00:00Z');

/**
 * Each entry under `dir` (and `dir` itself) with what changes when it is written, renamed, read or
 * replaced: size, mtime, ctime (which no tool sets back), atime, inode. Read without opening a
 * file: a read of its own would move the atime it checks.
 */
async function fingerprint(dir: string, out: Record<string, string> = {}, rel = '.'): Promise<Record<string, string>> {
  const info = await lstat(path.join(dir, rel), { bigint: true });
  const kind = info.isDirectory() ? 'dir' : info.isSymbolicLink() ? 'link' : 'file';
  // A folder's atime moves with this walk's own listing of it; its mtime shows any entry added or removed.
  out[rel] = `${kind}|${info.size}|${info.mtimeNs}|${info.ctimeNs}|${kind === 'dir' ? '' : info.atimeNs}|${info.ino}`;
  // Walked by hand: a recursive readdir resolves links, which moves their atime.
  if (kind === 'dir') for (const name of await readdir(path.join(dir, rel))) await fingerprint(dir, out, path.join(rel, name));
  return out;
}

/** Writes the sentinel tree: files a journal or a link could point at, their times set in the past. */
async function writeSentinel(outside: string): Promise<void> {
  await mkdir(path.join(outside, 'apps'), { recursive: true });
  const json = `{"${sentinelMark}_key": "${sentinelMark} secret value"}\n`;
  for (const rel of ['secret.json', 'org.json', 'ledger.jsonl', 'lock.json', 'journal.json', `apps/${APP_A}.json`]) {
    await writeFile(path.join(outside, rel), rel === 'journal.json' ? '{"format":2,"replace":[],"remove":["../secret.json"],"ledgerLines":[]}\n' : json);
  }
  for (const entry of await readdir(outside, { recursive: true })) await utimes(path.join(outside, entry), oldTime, oldTime);
  await utimes(outside, oldTime, oldTime);
}

/** Whether reading a file changes its atime here (relatime does, when atime is older than mtime): else atime proves nothing. */
async function readsShowInAtime(dir: string): Promise<boolean> {
  const probe = path.join(dir, 'probe');
  await writeFile(probe, 'x');
  await utimes(probe, oldTime, new Date());
  const before = (await stat(probe)).atimeMs;
  await readFile(probe);
  const after = (await stat(probe)).atimeMs;
  await rm(probe);
  return after !== before;
}

const hex12 = fc.stringMatching(/^[0-9a-f]{12}$/);
const layoutPath = fc.constantFrom('org.json', 'users.json', `apps/${APP_A}.json`, 'apps/0H4CRASH00000000BB.json');

/** Recorded paths, good and bad (`abs` is the sentinel folder's absolute path). */
function recordedPath(abs: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    layoutPath,
    fc.constantFrom(
      '../outside/secret.json',
      '../../outside/secret.json',
      `apps/../../outside/apps/${APP_A}.json`,
      `${abs}/secret.json`,
      `${abs}/apps/${APP_A}.json`,
      'ledger.jsonl',
      '.lock',
      '.journal.json',
      'apps',
      '',
      '.',
      'apps/evil.json',
      'apps\\..\\..\\outside\\secret.json',
      'org.json\u0000../x',
      'link/secret.json',
    ),
    fc.constantFrom(null, 7, {}, ['org.json']),
    fc.string({ maxLength: 12 }),
  );
}

/** A temporary file for a target: the store's own name, one naming another file, or one leading outside. */
function recordedTemp(abs: string, target: unknown): fc.Arbitrary<unknown> {
  const own = typeof target === 'string' ? hex12.map((h) => `${path.posix.dirname(target) === '.' ? '' : `${path.posix.dirname(target)}/`}.${path.posix.basename(target)}.${h}.capctl-tmp`) : fc.constant(null);
  return fc.oneof(own, own.map((t) => (typeof t === 'string' ? `../${t}` : t)), recordedPath(abs));
}

interface Scenario {
  journal?: unknown;
  /** Temporary files named by the journal that exist as regular files (with state 1's content). */
  createTemps: boolean;
  links: string[];
  lock?: string;
}

function scenario(abs: string): fc.Arbitrary<Scenario> {
  const replaceEntry = recordedPath(abs).chain((p) => recordedTemp(abs, p).map((temp) => ({ path: p, temp })));
  const journal = fc.record({
    format: fc.constantFrom(1, 2, 2, 2, 3),
    replace: fc.array(replaceEntry, { maxLength: 3 }),
    remove: fc.array(recordedPath(abs), { maxLength: 2 }),
    ledgerLines: fc.constantFrom([], 'line'),
  });
  const lock = fc.oneof(
    fc.constant(''),
    fc.constant('{"id":"../../outside/secret.json","pid":1}'),
    fc.constant(`{"id":"abcdef012345","host":"${sentinelMark}","pid":999999999}`),
    fc.string({ maxLength: 20 }),
    fc.constant('{'),
  );
  return fc.record(
    {
      journal: fc.oneof(journal, fc.constantFrom('not json', '', '{"format":2}', null)),
      createTemps: fc.boolean(),
      links: fc.subarray(['apps', 'ledger.jsonl', 'org.json', '.journal.json', '.lock', 'temp', 'link']),
      lock,
    },
    { requiredKeys: ['createTemps', 'links'] },
  );
}

/** Lays a scenario into a fresh copy of the crash store; returns the org folder. */
async function layOut(orgDir: string, outside: string, s: Scenario): Promise<void> {
  const link = (target: string, at: string) => symlink(target, path.join(orgDir, at)).catch(() => undefined);
  let journal = s.journal;
  if (journal !== undefined && typeof journal === 'object' && journal !== null && 'ledgerLines' in journal) {
    const j = journal as { ledgerLines: unknown };
    if (j.ledgerLines === 'line') j.ledgerLines = [ledgerLine(1, 'genesis', `sha256:${'1'.repeat(64)}`)];
    if ((journal as { format?: number }).format === 1) {
      const { ledgerLines, ...rest } = journal as { ledgerLines: unknown[] };
      journal = { ...rest, ...(ledgerLines.length > 0 ? { ledgerLine: ledgerLines[0] } : {}) };
    }
  }
  if (s.links.includes('apps')) {
    await rm(path.join(orgDir, 'apps'), { recursive: true });
    await link(path.join(outside, 'apps'), 'apps');
  }
  if (s.links.includes('ledger.jsonl')) await link(path.join(outside, 'ledger.jsonl'), 'ledger.jsonl');
  if (s.links.includes('org.json')) {
    await rm(path.join(orgDir, 'org.json'));
    await link(path.join(outside, 'org.json'), 'org.json');
  }
  if (s.links.includes('link')) await link(outside, 'link');
  if (s.links.includes('.lock')) await link(path.join(outside, 'lock.json'), '.lock');
  else if (s.lock !== undefined) await writeFile(path.join(orgDir, '.lock'), s.lock);
  if (s.links.includes('.journal.json')) await link(path.join(outside, 'journal.json'), '.journal.json');
  else if (journal !== undefined) await writeFile(path.join(orgDir, '.journal.json'), typeof journal === 'string' ? journal : JSON.stringify(journal));
  const replace = (journal as { replace?: unknown } | null)?.replace;
  if (Array.isArray(replace)) {
    const content = (filesFor as (k: number) => Record<string, string | null>)(1);
    for (const entry of replace as { path: unknown; temp: unknown }[]) {
      if (typeof entry?.temp !== 'string' || entry.temp.includes('..') || path.isAbsolute(entry.temp) || entry.temp.includes('\u0000')) continue;
      const at = path.join(orgDir, entry.temp);
      if (!at.startsWith(`${orgDir}/`)) continue;
      if (s.links.includes('temp')) await symlink(path.join(outside, 'secret.json'), at).catch(() => undefined);
      else if (s.createTemps) await writeFile(at, content[String(entry.path)] ?? '{}\n').catch(() => undefined);
    }
  }
}

/** Whether a journal names only the store's own files (what a journal capctl wrote does). */
function isOwnJournal(journal: unknown): boolean {
  if (journal === null || typeof journal !== 'object') return false;
  const j = journal as { format?: unknown; replace?: unknown; remove?: unknown };
  const layout = (p: unknown) => typeof p === 'string' && /^(org\.json|users\.json|apps\/[A-Za-z0-9]{18}\.json)$/.test(p);
  if (!Array.isArray(j.replace) || !Array.isArray(j.remove)) return false;
  return (
    (j.replace as { path: unknown; temp: unknown }[]).every((e) => layout(e?.path) && typeof e.temp === 'string' && !e.temp.includes('..') && !path.isAbsolute(e.temp)) &&
    (j.remove as unknown[]).every(layout)
  );
}

/** Every message of an error, its diagnostics included. */
function messagesOf(error: unknown): string {
  if (!(error instanceof CapctlError)) return String(error);
  return [error.message, ...error.diagnostics.map((d) => `${d.file ?? ''} ${d.message}`)].join('\n');
}

describe('the store never leads outside its folder', () => {
  it('touches nothing outside the org folder, whatever a journal, a lock or a link in it holds (property)', async () => {
    const base = await makeTempDir('capctl-paths-');
    temps.push(base);
    const checkAtime = await readsShowInAtime(base);
    if (!checkAtime) console.warn('store-paths: this file system does not update atime on reads; reads outside are checked by messages only');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.noShrink(scenario(path.join(base, 'RUN', 'outside'))),
        fc.constantFrom('read', 'lock', 'commit'),
        async (sAbs, op) => {
          const dir = path.join(base, String(run++));
          const outside = path.join(dir, 'outside');
          const s = JSON.parse(JSON.stringify(sAbs).split(path.join(base, 'RUN', 'outside')).join(outside)) as Scenario;
          const root = path.join(dir, 'org-state');
          const orgDir = await (writeBaseStore as (root: string) => Promise<string>)(root);
          await writeSentinel(outside);
          await layOut(orgDir, outside, s);
          const before = await fingerprint(outside);

          const store = new FileOrgStore(root);
          const errors: unknown[] = [];
          const attempt = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
            try {
              return await fn();
            } catch (error) {
              errors.push(error);
              return undefined;
            }
          };
          const snapshot = await attempt(() => store.readSnapshot(ORG));
          await attempt(() => store.readLedger(ORG));
          await attempt(() => store.lockHolder(ORG));
          await attempt(() => store.unlock(ORG, 'abcdef012345'));
          if (op !== 'read') {
            const lock = await attempt(() => store.lock(ORG, { timeoutMs: 0, command: 'store-paths test' }));
            if (lock && op === 'commit') {
              await attempt(() => store.commit(ORG, { files: [{ path: `apps/${APP_A}.json`, content: (filesFor as (k: number) => Record<string, string>)(2)[`apps/${APP_A}.json`]! }] }));
            }
            if (lock) await lock.release();
          }

          expect(await fingerprint(outside), JSON.stringify(s)).toEqual(before);
          for (const error of errors) {
            expect(error, `${JSON.stringify(s)}: ${String((error as Error).stack)}`).toBeInstanceOf(CapctlError);
            expect(messagesOf(error)).not.toContain(sentinelMark);
          }
          // A journal that names anything but the store's own files, or a link where a file of
          // the store belongs, makes the store malformed: it is never read as if it were.
          const linked = s.links.some((l) => ['apps', 'org.json', 'ledger.jsonl', '.journal.json'].includes(l));
          if (linked || (s.journal !== undefined && !isOwnJournal(s.journal))) {
            expect(snapshot, JSON.stringify(s)).toBeUndefined();
            expect(errors[0]).toBeInstanceOf(StoreError);
          }
          if (!existsSync(path.join(outside, 'secret.json'))) throw new Error('the sentinel was removed');
          await removeDir(dir);
        },
      ),
      { numRuns: 150 },
    );
  }, 240_000);

  it('refuses a journal whose ledger lines do not continue the ledger: malformed, none of its files renamed', async () => {
    const dir = await makeTempDir('capctl-paths-chain-');
    temps.push(dir);
    const root = path.join(dir, 'org-state');
    const orgDir = await (writeBaseStore as (root: string) => Promise<string>)(root);
    const temp = `apps/.${APP_A}.json.0123456789ab.capctl-tmp`;
    await writeFile(path.join(orgDir, temp), (filesFor as (k: number) => Record<string, string>)(3)[`apps/${APP_A}.json`]!);
    const line = ledgerLine(3, `sha256:${'2'.repeat(64)}`, `sha256:${'3'.repeat(64)}`);
    await writeFile(path.join(orgDir, '.journal.json'), JSON.stringify({ format: 2, replace: [{ path: `apps/${APP_A}.json`, temp }], remove: [], ledgerLines: [line] }));
    const before = await readFile(path.join(orgDir, `apps/${APP_A}.json`), 'utf8');
    const store = new FileOrgStore(root);
    await expect(store.readSnapshot(ORG)).rejects.toThrow(StoreError);
    const locking = store.lock(ORG, { timeoutMs: 0, command: 'store-paths test' });
    await expect(locking).rejects.toThrow(StoreError);
    const error = (await locking.catch((e: unknown) => e)) as StoreError;
    expect(error.diagnostics.map((d) => d.message)).toEqual(['.journal.json does not fit the ledger: cannot append line 3 after line 0']);
    expect(await readFile(path.join(orgDir, `apps/${APP_A}.json`), 'utf8')).toBe(before);
    expect(existsSync(path.join(orgDir, temp))).toBe(true);
    expect(existsSync(path.join(orgDir, '.lock'))).toBe(false);
  });

  it('refuses to roll forward a journal that leads outside: apply exits 1, the file outside stays, nothing is created', async () => {
    const dir = await makeTempDir('capctl-paths-cli-');
    temps.push(dir);
    const root = path.join(dir, 'repo/org-state');
    await copyInto('org-state', root);
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'victim.json'), `{"${sentinelMark}_key": 1}\n`);
    await utimes(path.join(outside, 'victim.json'), oldTime, oldTime);
    const orgDir = path.join(root, 'acme-prod');
    await writeFile(path.join(orgDir, 'apps/.evil.capctl-tmp'), '{}\n');
    await writeFile(
      path.join(orgDir, '.journal.json'),
      JSON.stringify({ format: 2, replace: [{ path: '../../../outside/created.json', temp: 'apps/.evil.capctl-tmp' }], remove: ['../../../outside/victim.json'], ledgerLines: [] }),
    );
    const before = await fingerprint(outside);

    const apply = await runCapctl(['apply', '--org-state', root, '--desired', 'examples/acme', '--actor', 'ci-bot@acme.example', '--auto-approve', '--no-commit']);
    expect(apply.code, apply.stderr).toBe(1);
    expect(apply.stderr).toContain(`${orgDir}/.journal.json`);
    expect(apply.stderr).toMatch(/CAP217 {2}\.journal\.json replace\[0\]\.path is a path with "\.\.", not a file of the store/);
    expect(apply.stderr).not.toMatch(/\n\s+at /);

    const plan = await runCapctl(['plan', '--org-state', root, '--desired', 'examples/acme']);
    expect(plan.code).toBe(1);
    expect(plan.stderr + plan.stdout).not.toContain(sentinelMark);
    expect(await fingerprint(outside)).toEqual(before);
    expect(existsSync(path.join(outside, 'victim.json'))).toBe(true);
    expect(existsSync(path.join(outside, 'created.json'))).toBe(false);
    expect(await readdir(dir)).toEqual(['outside', 'repo']);
  });
});
