// capctl usage and approval-url through the real CLI, on the bundled org and on copies of it.
import { readFileSync } from 'node:fs';
import { cp, readdir, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppUsagePage, UsagePage } from '../../src/model/index.js';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: true }));
for (const file of ['desired-state', 'org-state', 'plan', 'usage']) {
  ajv.addSchema(JSON.parse(readFileSync(path.join(repoRoot, `schemas/${file}.schema.json`), 'utf8')) as object);
}
const validateUsage = ajv.getSchema('https://capctl.dev/schemas/usage.schema.json')!;

function expectValidUsageJson(stdout: string): unknown {
  const value: unknown = JSON.parse(stdout);
  expect(validateUsage(value), JSON.stringify(validateUsage.errors, null, 2)).toBe(true);
  // Written in pieces as it streams, the text is still exactly the pretty-printed value.
  expect(stdout).toBe(`${JSON.stringify(value, null, 2)}\n`);
  return value;
}

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await removeDir(dir);
});

describe('capctl usage on the bundled org', () => {
  let text: string;
  let page: UsagePage;
  beforeAll(async () => {
    const [t, j] = await Promise.all([runCapctl(['usage']), runCapctl(['usage', '--format', 'json'])]);
    expect(t.code, t.stderr).toBe(0);
    expect(j.code, j.stderr).toBe(0);
    text = t.stdout;
    page = expectValidUsageJson(j.stdout) as UsagePage;
  });

  it('prints one aligned line per listed app, sorted by name, installed or not', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe('Connected Apps OAuth Usage: acme-prod (00D5e0000001AcmEAA), 40 apps');
    const header = lines[2]!;
    expect(header).toMatch(/^APP +TYPE +INSTALLED {2}BLOCKED {2}ACCESS +USERS {2}SESSIONS {2}DENIED$/);
    const rows = lines.slice(3, 43);
    expect(rows.map((r) => r.slice(0, header.indexOf('TYPE')).trim())).toEqual(page.apps.map((a) => a.name));
    for (const row of rows) expect(row.length, row).toBe(header.length);
    expect(text).toMatch(/^Slack +ConnectedApp +yes +no +all users may self-authorize +43 +60 +0$/m);
    expect(text).toMatch(/^Unknown Scraper +ConnectedApp +no +no +uninstalled \(only users with Approve Uninstalled Connected Apps\) +0 +0 +212$/m);
    expect(text).toMatch(/^Workbench +ConnectedApp +yes +yes +blocked +0 +0 +0$/m);
    expect(text).toMatch(/^Tableau Online +ConnectedApp +yes +no +pre-authorized: 0 profiles, 1 permission set \(\d+ users\) +\d+ +\d+ +0$/m);
    expect(text).toContain('\n40 apps (32 installed, 3 blocked); 510 sessions of 57 users shown.\n');
    expect(text.endsWith('Not shown: 4 username-password sessions (one-time tokens, which the usage page leaves out: R10).\n')).toBe(true);
  });

  it('gives the same numbers in JSON', () => {
    expect(page.org).toEqual({ name: 'acme-prod', id: '00D5e0000001AcmEAA' });
    expect(page.apps.map((a) => a.name)).toEqual([...page.apps.map((a) => a.name)].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), 'en')));
    expect(page.totals).toEqual({ apps: 40, installed: 32, blocked: 3, users: 57, sessions: 510, usernamePasswordSessionsHidden: 4 });
    expect(page.apps.reduce((n, a) => n + a.sessions, 0)).toBe(page.totals.sessions);
    expect(page.apps.find((a) => a.name === 'Slack')).toEqual({
      name: 'Slack',
      id: '0H4Hp000000TN1xKAG',
      type: 'ConnectedApp',
      packaged: false,
      installed: true,
      blocked: false,
      access: { kind: 'all-users', label: 'all users may self-authorize', users: 57 },
      users: 43,
      sessions: 60,
      deniedAttempts: 0,
    });
  });
});

describe('capctl usage APP', () => {
  it('lists the users of Slack with first used, last used, total uses and flows', async () => {
    const [t, j] = await Promise.all([runCapctl(['usage', 'Slack']), runCapctl(['usage', 'Slack', '--format', 'json'])]);
    expect(t.code, t.stderr).toBe(0);
    const page = expectValidUsageJson(j.stdout) as AppUsagePage;
    const lines = t.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Slack (0H4Hp000000TN1xKAG) in acme-prod: ConnectedApp, installed, not blocked',
      'Access: all users may self-authorize (57 active users may use it)',
      'Shown: 60 sessions of 43 users; denied attempts: 0',
    ]);
    expect(lines[4]).toMatch(/^USER +FIRST USED +LAST USED +USES {2}SESSIONS {2}FLOWS$/);
    const rows = lines.slice(5, 5 + 43);
    expect(rows.map((r) => r.split(' ')[0])).toEqual(page.users.map((u) => u.username));
    expect(page.users.map((u) => u.username)).toEqual([...page.users.map((u) => u.username)].sort());
    for (const [i, u] of page.users.entries()) {
      expect(rows[i]).toMatch(new RegExp(`^${u.username} +${u.firstUsed} +${u.lastUsed} +${u.totalUses} +${u.sessions} {2}${u.flows.join(', ')}$`));
      expect(u.firstUsed <= u.lastUsed).toBe(true);
    }
    expect(page.users.reduce((n, u) => n + u.sessions, 0)).toBe(60);
    expect(t.stdout.endsWith('\nNot shown: 0 username-password sessions (one-time tokens, which the usage page leaves out: R10).\n')).toBe(true);
  });

  it('leaves username-password sessions out and says how many (R10)', async () => {
    const [t, j] = await Promise.all([runCapctl(['usage', 'Data Loader']), runCapctl(['usage', 'data loader', '--format', 'json'])]);
    expect(t.code, t.stderr).toBe(0);
    const page = expectValidUsageJson(j.stdout) as AppUsagePage;
    expect(page.usernamePasswordSessionsHidden).toBe(4);
    expect(page.users.flatMap((u) => u.flows)).not.toContain('username-password');
    expect(page.users.find((u) => u.username === 'svc-etl@acme.example')).toMatchObject({ sessions: 1, flows: ['web-server'] });
    expect(t.stdout).toContain('Not shown: 4 username-password sessions (one-time tokens, which the usage page leaves out: R10).\n');
  });

  it('prints an app without sessions, and refuses an unknown app with a suggestion', async () => {
    const zoom = await runCapctl(['usage', 'Zoom', '--format', 'json']);
    expect((expectValidUsageJson(zoom.stdout) as AppUsagePage).users).toEqual([]);
    const unknown = await runCapctl(['usage', 'Slak']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('capctl: acme-prod lists no app named "Slak" (did you mean "Slack"?)\n');
  });
});

describe('choosing the org', () => {
  it('uses the only org, asks for --org when there are several, and refuses an unknown one', async () => {
    const dir = await makeTempDir('capctl-orgs-');
    temps.push(dir);
    const root = path.join(dir, 'org-state');
    await copyInto('org-state', root);
    await cp(path.join(root, 'acme-prod'), path.join(root, 'acme-dev'), { recursive: true });
    const orgJson = path.join(root, 'acme-dev/org.json');
    await writeFile(orgJson, (await readFile(orgJson, 'utf8')).replace('"name": "acme-prod"', '"name": "acme-dev"'));

    const several = await runCapctl(['usage', '--org-state', root]);
    expect(several.code).toBe(1);
    expect(several.stderr).toBe(`capctl: ${root} holds several orgs (acme-dev, acme-prod): choose one with --org\n`);
    const dev = await runCapctl(['usage', '--org-state', root, '--org', 'acme-dev']);
    expect(dev.code, dev.stderr).toBe(0);
    expect(dev.stdout).toMatch(/^Connected Apps OAuth Usage: acme-dev /);
    const unknown = await runCapctl(['usage', '--org-state', root, '--org', 'acme-qa']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`capctl: no org "acme-qa" in ${root} (the store has: acme-dev, acme-prod)\n`);
    const missing = await runCapctl(['usage', '--org-state', path.join(dir, 'nowhere')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no org store at');
  });
});

describe('capctl usage on a large or broken store', () => {
  it('prints the title as soon as org.json is read, before the apps: a bad app file comes after it', async () => {
    const dir = await makeTempDir('capctl-usage-title-');
    temps.push(dir);
    const root = path.join(dir, 'org-state');
    await copyInto('org-state', root);
    const appsDir = path.join(root, 'acme-prod/apps');
    const [first] = (await readdir(appsDir)).filter((f) => f.endsWith('.json')).sort();
    await writeFile(path.join(appsDir, first!), '{ "broken": ');

    const text = await runCapctl(['usage', '--org-state', root]);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('Connected Apps OAuth Usage: acme-prod (00D5e0000001AcmEAA), 40 apps\n\n');
    expect(text.stderr).toContain(`apps/${first!}`);
    // JSON is printed only from a valid store: nothing a parser could mistake for a page.
    const json = await runCapctl(['usage', '--org-state', root, '--format', 'json']);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
  });
});

describe('capctl usage with the desired state: owner, vendor and criticality', () => {
  let dir: string;
  let plain: string;
  beforeAll(async () => {
    dir = await makeTempDir('capctl-usage-desired-');
    temps.push(dir);
    await copyInto('org-state', path.join(dir, 'org-state'));
    plain = (await runCapctl(['usage'])).stdout;
  });

  it('shows only the OWNER column when the bundled example declares owners only, "-" where none is declared', async () => {
    const [t, j] = await Promise.all([runCapctl(['usage', '--desired', 'examples/acme']), runCapctl(['usage', '--desired', 'examples/acme', '--format', 'json'])]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toBe('');
    const lines = t.stdout.split('\n');
    expect(lines[2]).toMatch(/^APP +TYPE +INSTALLED {2}BLOCKED {2}ACCESS +USERS {2}SESSIONS {2}DENIED {2}OWNER$/);
    expect(t.stdout).toMatch(/^Slack +ConnectedApp +yes +no +all users may self-authorize +43 +60 +0 {2}collab-tools@acme\.example$/m);
    expect(t.stdout).toMatch(/^Asana +ConnectedApp .* 0 {2}-$/m);
    // The columns before OWNER are those of the page without a desired state, byte for byte.
    const plainLines = plain.split('\n');
    for (let i = 2; i < 43; i++) expect(lines[i]!.startsWith(plainLines[i]!), lines[i]).toBe(true);
    for (const line of lines) expect(line, line).not.toMatch(/ $/);
    expect(t.stdout).toContain('\n40 apps (32 installed, 3 blocked); 510 sessions of 57 users shown.\nOwner: as declared in examples/acme (-: not declared).\nNot shown: 4 username-password sessions');

    const page = expectValidUsageJson(j.stdout) as UsagePage;
    expect(page.desired).toBe('examples/acme');
    expect(page.apps.find((a) => a.name === 'Slack')).toMatchObject({ name: 'Slack', deniedAttempts: 0, owner: 'collab-tools@acme.example' });
    const asana = page.apps.find((a) => a.name === 'Asana')!;
    expect(Object.keys(asana)).not.toContain('owner');
    expect(page.totals).toEqual({ apps: 40, installed: 32, blocked: 3, users: 57, sessions: 510, usernamePasswordSessionsHidden: 4 });
  });

  it('reads the default desired/ folder when it exists: OWNER, VENDOR, CRITICALITY; the app page says so too', async () => {
    const desired = path.join(dir, 'desired');
    await copyInto('examples/acme', desired);
    const slack = path.join(desired, 'apps/slack.yaml');
    await writeFile(slack, `${await readFile(slack, 'utf8')}vendor: "Salesforce\\e[2J"\ncriticality: high\n`);
    const zoom = path.join(desired, 'apps/zoom.yaml');
    await writeFile(zoom, `${await readFile(zoom, 'utf8')}criticality: low\n`);

    const [t, j, a, aj] = await Promise.all([
      runCapctl(['usage'], { cwd: dir }),
      runCapctl(['usage', '--format', 'json'], { cwd: dir }),
      runCapctl(['usage', 'Slack'], { cwd: dir }),
      runCapctl(['usage', 'Slack', '--format', 'json'], { cwd: dir }),
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout.split('\n')[2]).toMatch(/ {2}DENIED {2}OWNER +VENDOR +CRITICALITY$/);
    // Control characters in free text are escaped: one line, inert.
    expect(t.stdout).toMatch(/^Slack .* 0 {2}collab-tools@acme\.example +Salesforce\\x1b\[2J +high$/m);
    expect(t.stdout).toMatch(/^Zoom .* 3 {2}collab-tools@acme\.example +- +low$/m);
    expect(t.stdout).toMatch(/^Asana .* 0 {2}- +- +-$/m);
    expect(t.stdout).toContain('\nOwner, vendor and criticality: as declared in desired (-: not declared).\n');

    const page = expectValidUsageJson(j.stdout) as UsagePage;
    expect(page.desired).toBe('desired');
    expect(page.apps.find((x) => x.name === 'Slack')).toMatchObject({ owner: 'collab-tools@acme.example', vendor: 'Salesforce\u001b[2J', criticality: 'high' });

    expect(a.stdout.split('\n').slice(0, 4)).toEqual([
      'Slack (0H4Hp000000TN1xKAG) in acme-prod: ConnectedApp, installed, not blocked',
      'Access: all users may self-authorize (57 active users may use it)',
      'Owner: collab-tools@acme.example; vendor: Salesforce\\x1b[2J; criticality: high',
      'Shown: 60 sessions of 43 users; denied attempts: 0',
    ]);
    const appPage = expectValidUsageJson(aj.stdout) as AppUsagePage;
    expect(appPage.desired).toBe('desired');
    expect(appPage.app).toMatchObject({ owner: 'collab-tools@acme.example', criticality: 'high' });
  });

  it('a desired state with errors is a warning: the page is shown, with what its valid documents declare', async () => {
    const broken = await makeTempDir('capctl-usage-broken-');
    temps.push(broken);
    await copyInto('org-state', path.join(broken, 'org-state'));
    await copyInto('examples/acme', path.join(broken, 'state'));
    await writeFile(path.join(broken, 'capctl.yaml'), 'desired: state\n');
    const zoom = path.join(broken, 'state/apps/zoom.yaml');
    await writeFile(zoom, (await readFile(zoom, 'utf8')).replace('installed: false', 'instaled: false'));

    const [t, j] = await Promise.all([runCapctl(['usage'], { cwd: broken }), runCapctl(['usage', '--format', 'json'], { cwd: broken })]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain('capctl: warning: the desired state in state has 1 error: owner, vendor and criticality are shown as its valid documents declare them\n');
    expect(t.stderr).toContain('state/apps/zoom.yaml:6:1  error  CAP103  unknown field "instaled"');
    expect(t.stdout).toMatch(/^Slack .* 0 {2}collab-tools@acme\.example$/m);
    expect(t.stdout).toMatch(/^Zoom .* 3 {2}-$/m);
    const page = expectValidUsageJson(j.stdout) as UsagePage;
    expect(page.apps.find((x) => x.name === 'Zoom')!.owner).toBeUndefined();
    expect(page.apps.find((x) => x.name === 'Slack')!.owner).toBe('collab-tools@acme.example');
  });

  it("the README's excerpt of usage --desired is real output, in order", async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /```console\n(\$ npx capctl usage --desired [^\n]+\n[\s\S]*?)```/.exec(readme)![1]!;
    const [command, ...lines] = block.split('\n').filter((l) => l !== '' && l !== '…');
    const run = await runCapctl(command!.split(' ').slice(3));
    expect(run.code, run.stderr).toBe(0);
    const output = run.stdout.split('\n');
    let at = 0;
    for (const line of lines) {
      const found = output.indexOf(line, at);
      expect(found, `README line in the real output, in order: ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });

  it('without a desired folder the page is what it always was; a --desired folder that is not there is a warning', async () => {
    const bare = await makeTempDir('capctl-usage-bare-');
    temps.push(bare);
    await copyInto('org-state', path.join(bare, 'org-state'));
    const [none, missing, json] = await Promise.all([
      runCapctl(['usage'], { cwd: bare }),
      runCapctl(['usage', '--desired', 'nowhere'], { cwd: bare }),
      runCapctl(['usage', '--format', 'json'], { cwd: bare }),
    ]);
    expect(none).toEqual({ code: 0, stdout: plain, stderr: '' });
    expect(missing.code).toBe(0);
    expect(missing.stdout).toBe(plain);
    expect(missing.stderr).toBe('capctl: warning: the desired-state folder "nowhere" does not exist: owner, vendor and criticality are not shown\n');
    expect(Object.keys(expectValidUsageJson(json.stdout) as object)).toEqual(['formatVersion', 'view', 'org', 'apps', 'totals']);
  });
});

describe('capctl approval-url', () => {
  it('prints the install approval URL of an app (R12)', async () => {
    const j = await runCapctl(['usage', '--format', 'json']);
    const docusign = (JSON.parse(j.stdout) as UsagePage).apps.find((a) => a.name === 'DocuSign eSignature')!;
    const result = await runCapctl(['approval-url', 'DocuSign eSignature', '--org', 'acme-prod']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`/identity/app/AppInstallApprovalPage.apexp?app_id=${docusign.id}&app_org_id=00D5e0000001AcmEAA\n`);
    expect(result.stderr).toBe('');
    const installed = await runCapctl(['approval-url', 'Slack', '--format', 'json']);
    expect(JSON.parse(installed.stdout)).toEqual({
      org: { name: 'acme-prod', id: '00D5e0000001AcmEAA' },
      app: { name: 'Slack', id: '0H4Hp000000TN1xKAG', installed: true },
      url: '/identity/app/AppInstallApprovalPage.apexp?app_id=0H4Hp000000TN1xKAG&app_org_id=00D5e0000001AcmEAA',
    });
  });
});

describe('help', () => {
  it.each(['usage', 'approval-url', 'unlock'])('capctl %s --help shows an example', async (command) => {
    const result = await runCapctl([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\nExamples?:\n {2}\$ capctl /);
  });
});
