// Every kind of malformed store, through the real CLI: `capctl usage` names the file and the
// problem, exits 1, and leaves the store byte-for-byte as it was.
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, normalizeOutput, removeDir, runCapctl } from '../helpers/cli.js';

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await removeDir(dir);
});

/** Every file under a folder with the sha256 of its bytes. */
async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  }
  return out;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Helpers to edit the copied store of acme-prod. */
class StoreEditor {
  constructor(readonly orgDir: string) {}
  file(rel: string): string {
    return path.join(this.orgDir, rel);
  }
  async appFile(name: string): Promise<string> {
    for (const file of await readdir(this.file('apps'))) {
      const app = JSON.parse(await readFile(this.file(`apps/${file}`), 'utf8')) as Json;
      if (app.name === name) return `apps/${file}`;
    }
    throw new Error(`no app ${name}`);
  }
  async editJson(rel: string, edit: (value: Json) => void): Promise<void> {
    const value = JSON.parse(await readFile(this.file(rel), 'utf8')) as Json;
    edit(value);
    await writeFile(this.file(rel), `${JSON.stringify(value, null, 2)}\n`);
  }
  async editApp(name: string, edit: (app: Json) => void): Promise<string> {
    const rel = await this.appFile(name);
    await this.editJson(rel, edit);
    return rel;
  }
}

interface Case {
  name: string;
  break: (store: StoreEditor) => Promise<unknown>;
  /** Each a line of stderr must match, after temp paths are replaced by <tmp>. */
  expected: RegExp[];
}

const cases: Case[] = [
  {
    name: 'bad JSON syntax',
    break: async (s) => writeFile(s.file('users.json'), (await readFile(s.file('users.json'), 'utf8')).replace(/\n\]\n$/, ',\n]\n')),
    expected: [/^<tmp>\/acme-prod\/users\.json:\d+:1 {2}error {2}CAP202 {2}JSON syntax error: expected a JSON value, found "\]"$/m],
  },
  {
    name: 'schema violations',
    break: (s) =>
      s.editApp('Slack', (app) => {
        app.sessions[0].useCount = -1;
        app.policies.permitedUsers = 'all-users';
      }),
    expected: [
      /^<tmp>\/acme-prod\/apps\/0H4Hp000000TN1xKAG\.json:\d+:\d+ {2}error {2}CAP203 {2}unknown field "permitedUsers" in policies \(did you mean "permittedUsers"\?\)$/m,
      /^<tmp>\/acme-prod\/apps\/0H4Hp000000TN1xKAG\.json:\d+:\d+ {2}error {2}CAP203 {2}sessions\.0\.useCount: must be at least 0, not -1$/m,
    ],
  },
  {
    name: 'an instant that is no date',
    break: (s) => s.editApp('Dropbox', (app) => (app.sessions[1].created = '2026-02-30T10:00:00Z')),
    expected: [/apps\/\w+\.json:\d+:\d+ {2}error {2}CAP203 {2}sessions\.1\.created: "<time>" is not a valid instant: write RFC 3339 with a time zone/m],
  },
  {
    // A leap second: RFC 3339 allows it, JavaScript's Date cannot hold it (the stale-access rule's
    // dates and a revocation's cutoff would compare NaN), so the store refuses it and says why.
    name: 'a session last used at a leap second',
    break: (s) => s.editApp('Dropbox', (app) => (app.sessions[0].lastUsed = '2026-06-30T23:59:60Z')),
    expected: [/apps\/\w+\.json:\d+:\d+ {2}error {2}CAP203 {2}sessions\.0\.lastUsed: "<time>" is not a valid instant: a leap second \(:60\) cannot be used, capctl dates have none; write RFC 3339/m],
  },
  {
    name: 'a session of an unknown user',
    break: (s) => s.editApp('Slack', (app) => (app.sessions[2].user = 'ghost@acme.example')),
    expected: [/0H4Hp000000TN1xKAG\.json:\d+:\d+ {2}error {2}CAP204 {2}app "Slack" has a session of unknown user "ghost@acme\.example" \(not in users\.json\)$/m],
  },
  {
    name: 'an app id that does not match its file name',
    break: async (s) => rename(s.file(await s.appFile('Dropbox')), s.file('apps/0H4AAAAAAAAAAAAAAA.json')),
    expected: [/apps\/0H4AAAAAAAAAAAAAAA\.json:\d+:\d+ {2}error {2}CAP205 {2}app id "\w{18}" does not match the file name \(expected apps\/\w{18}\.json\)$/m],
  },
  {
    name: 'two apps with one name',
    break: (s) => s.editApp('Dropbox', (app) => (app.name = 'Slack')),
    expected: [/error {2}CAP206 {2}app name "Slack" is also used by apps\/\w{18}\.json$/m],
  },
  {
    name: 'six sessions of one user for one app (R11)',
    break: (s) =>
      s.editApp('Slack', (app) => {
        const one = app.sessions[0];
        for (let i = 0; i < 6; i++) app.sessions.push({ ...one, user: 'jdoe@acme.example' });
      }),
    expected: [/error {2}CAP207 {2}user "jdoe@acme\.example" holds more than 5 sessions of app "Slack" \(R11: a sixth approval revokes the oldest\)$/m],
  },
  {
    name: 'policies on an app that is not installed',
    break: (s) =>
      s.editApp('Zoom', (app) => {
        app.policies = { permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' };
      }),
    expected: [/error {2}CAP208 {2}app "Zoom" is not installed but has policies \(only an installed app has policies\)$/m],
  },
  {
    name: 'an installed app without policies',
    break: (s) => s.editApp('Box', (app) => delete app.policies),
    expected: [/error {2}CAP208 {2}app "Box" is installed but has no policies$/m],
  },
  {
    name: 'an assignment of a profile the org does not have',
    break: (s) => s.editApp('Gearset', (app) => (app.policies.profiles = ['Ghost Admins'])),
    expected: [/\.json:\d+:\d+ {2}error {2}CAP209 {2}app "Gearset" is assigned profile "Ghost Admins", which the org does not have \(org\.json profiles\)$/m],
  },
  {
    name: 'a user with a permission set the org does not have',
    break: (s) => s.editJson('users.json', (users) => users[0].permissionSets.push('Ghost Access')),
    expected: [/users\.json:\d+:\d+ {2}error {2}CAP210 {2}user "[^"]+" has permission set "Ghost Access", which the org does not have/m],
  },
  {
    name: 'a user listed twice',
    break: (s) => s.editJson('users.json', (users) => users.push({ ...users[0] })),
    expected: [/users\.json:\d+:\d+ {2}error {2}CAP212 {2}user "[^"]+" is listed twice$/m],
  },
  {
    name: 'an org name that does not match its folder',
    break: (s) => s.editJson('org.json', (org) => (org.name = 'acme-dev')),
    expected: [/^<tmp>\/acme-prod\/org\.json:\d+:\d+ {2}error {2}CAP211 {2}org name "acme-dev" does not match its folder "acme-prod"$/m],
  },
  {
    name: 'a bad ledger line',
    break: (s) => writeFile(s.file('ledger.jsonl'), '{"seq":1,"actor":"ci-bot@acme.example"}\n'),
    expected: [/^<tmp>\/acme-prod\/ledger\.jsonl:1:1 {2}error {2}CAP213 {2}line 1: missing required field "at"/m],
  },
  {
    name: 'a torn ledger line',
    break: (s) => writeFile(s.file('ledger.jsonl'), '{"seq":1,"actor":"ci-b'),
    expected: [/^<tmp>\/acme-prod\/ledger\.jsonl:1:1 {2}error {2}CAP213 {2}line 1: incomplete \(the file does not end with a whole line\)$/m],
  },
  {
    name: 'a file that is not UTF-8',
    break: (s) => writeFile(s.file('org.json'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
    expected: [/^<tmp>\/acme-prod\/org\.json {2}error {2}CAP214 {2}not UTF-8 text$/m],
  },
  {
    name: 'a key an app file has twice (JSON would keep the last one)',
    break: async (s) => {
      const rel = await s.appFile('Dropbox');
      const text = await readFile(s.file(rel), 'utf8');
      await writeFile(s.file(rel), text.replace('  "blocked": false,\n', '  "blocked": true,\n  "blocked": false,\n'));
    },
    expected: [/^<tmp>\/acme-prod\/apps\/\w{18}\.json:3:3 {2}error {2}CAP218 {2}duplicate key "blocked" \(also at line 2, column 3\): JSON keeps only one of them$/m],
  },
  {
    name: 'a key twice deep in users.json, written without spaces',
    break: async (s) => {
      const users = JSON.parse(await readFile(s.file('users.json'), 'utf8')) as Json[];
      const text = JSON.stringify(users).replace('"active":true', '"active":true,"active" :false');
      await writeFile(s.file('users.json'), text);
    },
    expected: [/^<tmp>\/acme-prod\/users\.json:1:\d+ {2}error {2}CAP218 {2}duplicate key "active" \(also at line 1, column \d+\): JSON keeps only one of them$/m],
  },
  {
    name: 'a missing users.json',
    break: (s) => rm(s.file('users.json')),
    expected: [/^<tmp>\/acme-prod\/users\.json {2}error {2}CAP215 {2}users\.json is missing$/m],
  },
];

describe('store JSON as the YAML loader reads YAML', () => {
  it('reads a file that starts with a byte order mark as without it; strings with quotes and colons are no duplicate keys', async () => {
    const dir = await makeTempDir('capctl-bom-');
    temps.push(dir);
    const root = path.join(dir, 'org-state');
    await copyInto('org-state', root);
    const s = new StoreEditor(path.join(root, 'acme-prod'));
    const plain = await runCapctl(['usage', 'Slack', '--org-state', root]);
    expect(plain.code, plain.stderr).toBe(0);
    // A value that looks like keys: ':' after quotes inside strings, escaped quotes and backslashes.
    await s.editJson('users.json', (users) => users.push({ ...users[0], username: 'q\\":x": "y\\@acme.example' }));
    const rel = await s.appFile('Slack');
    await writeFile(s.file('org.json'), `\uFEFF${await readFile(s.file('org.json'), 'utf8')}`);
    await writeFile(s.file(rel), `\uFEFF${await readFile(s.file(rel), 'utf8')}`);
    const result = await runCapctl(['usage', 'Slack', '--org-state', root]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(plain.stdout.replace(/\(\d+ active users may use it\)/, (m) => m.replace(/\d+/, (n) => String(Number(n) + 1))));
  });
});

describe.concurrent('capctl usage on a malformed store', () => {
  it.each(cases)('$name: names the file and the problem, exits 1, writes nothing', async (c) => {
    const dir = await makeTempDir('capctl-malformed-');
    temps.push(dir);
    const root = path.join(dir, 'org-state');
    await copyInto('org-state', root);
    await c.break(new StoreEditor(path.join(root, 'acme-prod')));
    const before = await hashTree(root);

    const result = await runCapctl(['usage', '--org-state', root]);
    expect(result.code, result.stderr).toBe(1);
    // No page from a malformed store: at most its title, which usage prints as soon as a valid
    // org.json is read so that a large org's page starts at once.
    expect(result.stdout).toMatch(/^(Connected Apps OAuth Usage: acme-prod \(00D5e0000001AcmEAA\), 40 apps\n\n)?$/);
    const stderr = normalizeOutput(result.stderr, [root]);
    for (const pattern of c.expected) expect(stderr).toMatch(pattern);
    expect(stderr).toMatch(/^capctl: the org store <tmp>\/acme-prod is malformed \(\d+ problems?\); nothing was written$/m);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await hashTree(root)).toEqual(before);
  });
});
