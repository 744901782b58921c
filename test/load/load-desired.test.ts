// The loader on valid input: the model it builds, the positions it keeps, the digest it takes.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/load/load-desired.js';
import { InputError } from '../../src/model/index.js';
import { fieldAt } from '../../src/plan/diagnostic.js';
import { makeTempDir, removeDir, repoRoot } from '../helpers/cli.js';

const now = new Date('2026-11-29T12:00:00Z');
const temps: string[] = [];

/** A temporary desired-state folder holding `files` (relative path → text or bytes). */
async function folder(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await makeTempDir('capctl-load-');
  temps.push(dir);
  for (const [relative, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
    await writeFile(path.join(dir, relative), content);
  }
  return dir;
}

afterEach(async () => {
  await Promise.all(temps.splice(0).map(removeDir));
});

const slack = `# Slack
apiVersion: capctl/v1
kind: ConnectedApp
org: acme-prod
name: Slack
blocked: false
policies:
  permittedUsers: admin-approved
  profiles:
    - System Administrator
    - Standard User
---
apiVersion: capctl/v1
kind: ExternalClientApp
org: acme-prod
name: Acme Data Bridge
installed: true
`;

describe('loadDesiredState', () => {
  it('reads examples/acme without a problem', async () => {
    const dir = path.join(repoRoot, 'examples/acme');
    const { desired, diagnostics, documents } = await loadDesiredState(dir, { now });
    expect(diagnostics).toEqual([]);
    expect(documents).toBe(18);
    const org = desired.orgs['acme-prod']!;
    expect(Object.keys(desired.orgs)).toEqual(['acme-prod']);
    expect(org.settings?.doc.guards).toEqual({ protectedApps: ['Salesforce CLI'], maxSessionsEnded: 5000 });
    expect(org.apps.map((a) => a.doc.name).sort()).toEqual(
      [
        'Acme Data Bridge',
        'Data Loader',
        'Datadog Monitoring',
        'DocuSign eSignature',
        'Dropbox',
        'Gearset',
        'Jira Cloud Connector',
        'Outlook Integration',
        'Salesforce CLI',
        'Salesforce for Android',
        'Salesforce for iOS',
        'Slack',
        'Tableau Online',
        'Workbench',
        'Zoom',
      ].sort(),
    );
    expect(org.revocations.map((r) => [r.doc.id, r.doc.app, r.doc.users])).toEqual([
      ['INC-2041', 'Slack', 'all'],
      ['INC-2057', 'Jira Cloud Connector', ['jdoe@acme.example']],
    ]);
    expect(desired.files).toEqual([...desired.files].sort());
    expect(desired.files).toContain('apps/slack.yaml');
    expect(desired.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('keeps the position of every key and value, in files named as the folder was given', async () => {
    const dir = await folder({ 'apps/slack.yaml': slack });
    const { desired, diagnostics } = await loadDesiredState(dir, { now });
    expect(diagnostics).toEqual([]);
    const [first, second] = desired.orgs['acme-prod']!.apps;
    const file = path.join(dir, 'apps/slack.yaml');
    expect(first!.source).toEqual({ file, line: 2, column: 1 });
    expect(first!.positions['blocked']).toEqual({ file, line: 6, column: 10 });
    expect(first!.positions['blocked#key']).toEqual({ file, line: 6, column: 1 });
    expect(first!.positions['policies.permittedUsers']).toEqual({ file, line: 8, column: 19 });
    expect(first!.positions['policies.profiles.1']).toEqual({ file, line: 11, column: 7 });
    expect(fieldAt(first!, 'policies.ipRelaxation')).toEqual(first!.source);
    // The second document of the same file.
    expect(second!.doc.kind).toBe('ExternalClientApp');
    expect(second!.source).toEqual({ file, line: 13, column: 1 });
    expect(second!.positions['installed']).toEqual({ file, line: 17, column: 12 });
  });

  it('leaves invalid and repeated declarations out of the model, and reports them', async () => {
    const dir = await folder({
      'a.yaml': slack,
      'b.yaml': 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Slack\ninstalled: false\n---\napiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Zoom\ninstalled: maybe\n',
    });
    const { desired, diagnostics } = await loadDesiredState(dir, { now });
    expect(diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
      ['CAP104', path.join(dir, 'b.yaml'), 11],
      ['CAP111', path.join(dir, 'b.yaml'), 4],
    ]);
    expect(diagnostics[1]!.message).toContain(`${path.join(dir, 'a.yaml')}:5:7`);
    const apps = desired.orgs['acme-prod']!.apps;
    expect(apps.map((a) => [a.doc.name, a.doc.installed])).toEqual([
      ['Slack', undefined],
      ['Acme Data Bridge', true],
    ]);
  });

  it('keeps each org apart', async () => {
    const dir = await folder({
      'prod.yaml': 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Slack\n',
      'sandbox.yaml': 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-uat\nname: Slack\n',
    });
    const { desired, diagnostics } = await loadDesiredState(dir, { now });
    expect(diagnostics).toEqual([]);
    expect(Object.keys(desired.orgs).sort()).toEqual(['acme-prod', 'acme-uat']);
  });

  it('takes an org named like an Object.prototype key (constructor) as any other slug', async () => {
    const dir = await folder({
      'org.yaml': 'apiVersion: capctl/v1\nkind: OrgSettings\norg: constructor\nunmanagedApps: report\n',
      'slack.yaml': 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: constructor\nname: Slack\n',
      'r.yaml': 'apiVersion: capctl/v1\nkind: Revocation\norg: constructor\nid: INC-1\napp: Slack\nusers: all\nissuedBefore: 2026-11-20T00:00:00Z\nreason: test\n',
    });
    const { desired, diagnostics, documents } = await loadDesiredState(dir, { now });
    expect(diagnostics).toEqual([]);
    expect(documents).toBe(3);
    expect(Object.keys(desired.orgs)).toEqual(['constructor']);
    const org = desired.orgs['constructor']!;
    expect(org.slug).toBe('constructor');
    expect(org.settings?.doc.unmanagedApps).toBe('report');
    expect(org.apps.map((a) => a.doc.name)).toEqual(['Slack']);
    expect(org.revocations.map((r) => r.doc.id)).toEqual(['INC-1']);
  });

  it('measures issuedBefore against the given now', async () => {
    const revocation = 'apiVersion: capctl/v1\nkind: Revocation\norg: acme-prod\nid: INC-1\napp: Slack\nusers: all\nissuedBefore: 2026-11-20T00:00:00Z\nreason: test\n';
    const dir = await folder({ 'r.yaml': revocation });
    expect((await loadDesiredState(dir, { now })).diagnostics).toEqual([]);
    const before = await loadDesiredState(dir, { now: new Date('2026-11-19T00:00:00Z') });
    expect(before.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['CAP114', 7, 15]]);
  });

  it('allows a few aliases (an alias bomb is test/cases/invalid-alias-bomb)', async () => {
    const ok = await folder({
      'a.yaml': 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Slack\npolicies:\n  profiles: &admins [System Administrator]\n  permissionSets: *admins\n',
    });
    const loaded = await loadDesiredState(ok, { now });
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.desired.orgs['acme-prod']!.apps[0]!.doc.policies?.permissionSets).toEqual(['System Administrator']);
  });

  it('folds the branches of users (oneOf) into one message', async () => {
    const dir = await folder({
      'r.yaml': 'apiVersion: capctl/v1\nkind: Revocation\norg: acme-prod\nid: INC-1\napp: Slack\nusers: [a@acme.example, a@acme.example]\nissuedBefore: 2026-11-20T00:00:00Z\nreason: test\n',
    });
    const { diagnostics } = await loadDesiredState(dir, { now });
    expect(diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([['CAP107', 6, 25, 'users: "a@acme.example" is listed twice']]);
  });

  it('refuses a folder that does not exist', async () => {
    await expect(loadDesiredState(path.join(repoRoot, 'no-such-folder'), { now })).rejects.toBeInstanceOf(InputError);
  });
});

describe('the desired-state digest', () => {
  const files = { 'org.yaml': 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\n', 'apps/slack.yaml': slack };

  it('is the same for the same files, and ignores files that are not YAML', async () => {
    const a = await loadDesiredState(await folder(files), { now });
    const b = await loadDesiredState(await folder({ ...files, 'README.md': 'notes', 'apps/notes.txt': 'x' }), { now });
    expect(b.desired.digest).toBe(a.desired.digest);
  });

  it('changes when one byte of one file changes', async () => {
    const a = await loadDesiredState(await folder(files), { now });
    const b = await loadDesiredState(await folder({ ...files, 'apps/slack.yaml': slack.replace('# Slack', '# slack') }), { now });
    expect(b.desired.digest).not.toBe(a.desired.digest);
  });

  it('changes when a file is renamed', async () => {
    const a = await loadDesiredState(await folder(files), { now });
    const b = await loadDesiredState(await folder({ 'org.yaml': files['org.yaml'], 'apps/chat.yaml': slack }), { now });
    expect(b.desired.digest).not.toBe(a.desired.digest);
  });
});
