// Entries of the store that capctl cannot read, or that are not the kind of entry expected (SPEC
// §10): a folder, a link or a named pipe where a file belongs, files and folders it may not read,
// a store it may not write, a lock file that is not a lock. Each is a store error naming the path
// (exit 1; exit 3 where it is about the lock), found before anything changes; never a stack.
//
// Permissions stop every user but root, and these tests may run as root: then the commands run as
// the unprivileged user `nobody` (uid 65534), for whom they do; without such a user those cases
// are skipped, saying so.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, normalizeOutput, removeDir, repoRoot, runCapctl, runProcess, type CliResult } from '../helpers/cli.js';

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) {
    await chmodTree(dir, 0o755).catch(() => undefined);
    await removeDir(dir);
  }
});

const isRoot = process.getuid?.() === 0;
const nobody = 65534;
/** Whether permissions can be tested here: not root, or root able to run capctl as `nobody`. */
const permissionsTestable =
  !isRoot || spawnSync(process.execPath, [path.join(repoRoot, 'bin/capctl.js'), '--version'], { uid: nobody, gid: nobody }).status === 0;
if (!permissionsTestable) console.warn('unreadable-entries: running as root without a `nobody` user able to run capctl: the permission cases are skipped');

async function chmodTree(dir: string, mode: number): Promise<void> {
  await chmod(dir, mode);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await chmodTree(path.join(dir, entry.name), mode);
    else await chmod(path.join(dir, entry.name), mode & 0o666);
  }
}

/** Runs capctl as a user permissions stop (as `nobody` when this process is root). */
function runUnprivileged(args: string[]): Promise<CliResult> {
  if (!isRoot) return runCapctl(args);
  return runProcess(
    process.execPath,
    [path.join(repoRoot, 'bin/capctl.js'), ...args],
    { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', CI: 'true', HOME: '/tmp' }, uid: nobody, gid: nobody },
    '',
  );
}

/** A fresh copy of the bundled store; with `shared`, open to the unprivileged user. */
async function freshStore(shared = false): Promise<{ root: string; orgDir: string }> {
  const dir = await makeTempDir('capctl-unreadable-');
  temps.push(dir);
  const root = path.join(dir, 'org-state');
  await copyInto('org-state', root);
  if (shared && isRoot) await chmodTree(dir, 0o777);
  return { root, orgDir: path.join(root, 'acme-prod') };
}

/** Every file under a folder with the sha256 of its bytes (folders and links by kind). */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = entry.isFile() ? createHash('sha256').update(await readFile(file)).digest('hex') : entry.isDirectory() ? 'dir' : 'other';
  }
  return out;
}

const slackFile = 'apps/0H4Hp000000TN1xKAG.json';
const applyArgs = (root: string): string[] => ['apply', '--org-state', root, '--desired', 'examples/acme', '--actor', 'ci-bot@acme.example', '--auto-approve', '--no-commit'];

function expectStoreError(result: CliResult, root: string, line: RegExp): void {
  const stderr = normalizeOutput(result.stderr, [root]);
  expect(result.code, stderr).toBe(1);
  expect(stderr).toMatch(line);
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('an entry of the kind capctl does not expect', () => {
  const wrongKinds: { name: string; rel: string; make: (file: string) => Promise<unknown>; expected: RegExp }[] = [
    { name: 'a folder where org.json belongs', rel: 'org.json', make: (f) => mkdir(f), expected: /^<tmp>\/acme-prod\/org\.json {2}error {2}CAP216 {2}org\.json is a folder, not a file$/m },
    { name: 'a folder where users.json belongs', rel: 'users.json', make: (f) => mkdir(f), expected: /^<tmp>\/acme-prod\/users\.json {2}error {2}CAP216 {2}users\.json is a folder, not a file$/m },
    { name: 'a folder where an app file belongs', rel: slackFile, make: (f) => mkdir(f), expected: /^<tmp>\/acme-prod\/apps\/0H4Hp000000TN1xKAG\.json {2}error {2}CAP216 {2}apps\/0H4Hp000000TN1xKAG\.json is a folder, not a file$/m },
    { name: 'a folder where ledger.jsonl belongs', rel: 'ledger.jsonl', make: (f) => mkdir(f), expected: /^<tmp>\/acme-prod\/ledger\.jsonl {2}error {2}CAP216 {2}ledger\.jsonl is a folder, not a file$/m },
    { name: 'a file where the apps folder belongs', rel: 'apps', make: (f) => writeFile(f, '{}\n'), expected: /^<tmp>\/acme-prod\/apps {2}error {2}CAP216 {2}apps is a file, not a folder$/m },
    {
      name: 'a link where users.json belongs (even to a file inside the store)',
      rel: 'users.json',
      make: async (f) => {
        await writeFile(`${f}.real`, await readFile(path.join(repoRoot, 'org-state/acme-prod/users.json')));
        await symlink(`${f}.real`, f);
      },
      expected: /users\.json {2}error {2}CAP216 {2}users\.json is a symbolic link \(the store holds only regular files, and follows no link\)$/m,
    },
    {
      name: 'a named pipe where users.json belongs (read without waiting on it)',
      rel: 'users.json',
      make: async (f) => {
        if (spawnSync('mkfifo', [f]).status !== 0) throw new Error('mkfifo failed');
      },
      expected: /users\.json {2}error {2}CAP216 {2}users\.json is a named pipe, not a regular file$/m,
    },
  ];

  it.each(wrongKinds)('$name: usage and apply name it, exit 1, change nothing', async (c) => {
    const { root, orgDir } = await freshStore();
    const file = path.join(orgDir, c.rel);
    await rm(file, { recursive: true, force: true });
    await c.make(file);
    const before = await tree(root);
    expectStoreError(await runCapctl(['usage', '--org-state', root]), root, c.expected);
    expectStoreError(await runCapctl(applyArgs(root)), root, c.expected);
    expect(await tree(root)).toEqual(before);
  });

  it('a folder where .lock belongs: apply exits 3 naming it, and changes nothing', async () => {
    const { root, orgDir } = await freshStore();
    await mkdir(path.join(orgDir, '.lock'));
    const before = await tree(root);
    const result = await runCapctl(applyArgs(root));
    const stderr = normalizeOutput(result.stderr, [root]);
    expect(result.code, stderr).toBe(3);
    expect(stderr).toContain('capctl: acme-prod cannot be locked: <tmp>/acme-prod/.lock is a folder, not a file; it is not a lock capctl wrote: remove it by hand');
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    expect(await tree(root)).toEqual(before);
  });
});

describe('a lock file that is not a lock capctl wrote', () => {
  it.each([
    ['empty', '', 'is empty'],
    ['garbled', '{"id": "abc', 'is not JSON'],
    ['without an id', '{"pid": 12}\n', 'has no lock id'],
  ])('%s: apply exits 3 with the unlock command, which then clears exactly it', async (_name, content, why) => {
    const { root, orgDir } = await freshStore();
    await writeFile(path.join(orgDir, '.lock'), content);
    const before = await tree(root);
    const result = await runCapctl(applyArgs(root));
    expect(result.code, result.stderr).toBe(3);
    const id = createHash('sha256').update(content).digest('hex').slice(0, 12);
    expect(result.stderr).toContain(`capctl: acme-prod cannot be locked: its lock file ${orgDir}/.lock ${why}, so it is not a lock capctl wrote`);
    expect(result.stderr).toContain(`If no capctl run is under way, clear it with: capctl unlock acme-prod ${id} --org-state ${root}`);
    expect(await tree(root)).toEqual(before);

    const wrong = await runCapctl(['unlock', 'acme-prod', '000000000000', '--org-state', root]);
    expect(wrong.code).toBe(3);
    expect(existsSync(path.join(orgDir, '.lock'))).toBe(true);
    const unlock = await runCapctl(['unlock', 'acme-prod', id, '--org-state', root]);
    expect(unlock.code, unlock.stderr).toBe(0);
    expect(existsSync(path.join(orgDir, '.lock'))).toBe(false);
  });
});

describe.skipIf(!permissionsTestable)('entries capctl may not read or write', () => {
  const unreadable: { name: string; rel: string; expected: RegExp }[] = [
    { name: 'users.json', rel: 'users.json', expected: /^<tmp>\/acme-prod\/users\.json {2}error {2}CAP216 {2}users\.json cannot be read \(permission denied\)$/m },
    { name: 'an app file', rel: slackFile, expected: /^<tmp>\/acme-prod\/apps\/0H4Hp000000TN1xKAG\.json {2}error {2}CAP216 {2}apps\/0H4Hp000000TN1xKAG\.json cannot be read \(permission denied\)$/m },
    { name: 'the ledger', rel: 'ledger.jsonl', expected: /^<tmp>\/acme-prod\/ledger\.jsonl {2}error {2}CAP216 {2}ledger\.jsonl cannot be read \(permission denied\)$/m },
    { name: 'the apps folder', rel: 'apps', expected: /^<tmp>\/acme-prod\/apps {2}error {2}CAP216 {2}apps cannot be read \(permission denied\)$/m },
    { name: 'the org folder', rel: '.', expected: /^capctl: the org store <tmp>\/acme-prod cannot be read \(permission denied\): its folder must be readable$/m },
  ];

  it.each(unreadable)('$name with mode 000: a store error naming it, exit 1', async (c) => {
    const { root, orgDir } = await freshStore(true);
    if (c.rel === 'ledger.jsonl') await writeFile(path.join(orgDir, 'ledger.jsonl'), '');
    await chmod(path.join(orgDir, c.rel), 0o000);
    expectStoreError(await runUnprivileged(['usage', '--org-state', root]), root, c.expected);
  });

  it('a store apply may not write: exit 1 before anything changes', async () => {
    const { root, orgDir } = await freshStore(true);
    await chmodTree(orgDir, 0o555);
    const before = await tree(root);
    const result = await runUnprivileged(applyArgs(root));
    expectStoreError(result, root, /^capctl: cannot write in the org store <tmp>\/acme-prod \(permission denied\): this command changes the store; nothing was changed$/m);
    expect(await tree(root)).toEqual(before);
  });

  it('an apps folder apply may not write: exit 1 before anything changes, the lock released', async () => {
    const { root, orgDir } = await freshStore(true);
    await chmodTree(path.join(orgDir, 'apps'), 0o555);
    const before = await tree(root);
    const result = await runUnprivileged(applyArgs(root));
    expectStoreError(result, root, /^capctl: cannot write in the org store folder <tmp>\/acme-prod\/apps \(permission denied\): this command changes the store; nothing was changed$/m);
    expect(await tree(root)).toEqual(before);
  });
});
