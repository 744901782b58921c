// `capctl import` from the bundled org store, as a user runs it: the real CLI in a child process,
// in a temporary folder holding a copy of org-state/.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/load/load-desired.js';
import { declarationsFromSnapshot } from '../../src/import/from-snapshot.js';
import { declarationsOf } from '../../src/model/index.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';

let cwd: string;
beforeAll(async () => {
  cwd = await makeTempDir();
  await copyInto('org-state', path.join(cwd, 'org-state'));
});
afterAll(() => removeDir(cwd));

describe('capctl import (from the org store)', () => {
  it('writes org.yaml and one file per listed app, which load back to exactly the org', async () => {
    const result = await runCapctl(['import'], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Imported acme-prod from the org store org-state: org settings and 40 apps, 41 files written to desired/.\nNext: capctl plan --desired desired --org acme-prod\n');
    const apps = (await readdir(path.join(cwd, 'desired/apps'))).sort();
    expect(apps).toHaveLength(40);
    expect(apps).toContain('salesforce-for-ios.yaml');
    const slack = await readFile(path.join(cwd, 'desired/apps/slack.yaml'), 'utf8');
    expect(slack).toMatch(/^# ConnectedApp "Slack" of acme-prod, written by capctl import from the org store org-state \(revision \d+\)\.\n/);

    const loaded = await loadDesiredState(path.join(cwd, 'desired'), { now: new Date('2026-12-01T00:00:00Z') });
    expect(loaded.diagnostics).toEqual([]);
    const snapshot = await new FileOrgStore(path.join(cwd, 'org-state')).readSnapshot('acme-prod');
    const back = declarationsOf(loaded.desired.orgs['acme-prod']!);
    const expected = declarationsFromSnapshot(snapshot).declarations;
    expect({ ...back, apps: [...back.apps].sort((a, b) => (a.name < b.name ? -1 : 1)) }).toEqual(expected);
    expect(expected.settings).toMatchObject({ unmanagedApps: 'report' });
    expect(expected.settings).not.toHaveProperty('guards');

    const validated = await runCapctl(['validate', 'desired'], { cwd });
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
  });

  it('plans no changes right after the import', async () => {
    const plan = await runCapctl(['plan', '--desired', 'desired', '--org', 'acme-prod', '--detailed-exitcode'], { cwd });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes. acme-prod matches the desired state.');
    expect(plan.stdout).not.toMatch(/\berror\b/);
  });

  it('plans no changes after importing an org under API client allowlisting (R2: org-wide blocks are not declared)', async () => {
    const dir = await makeTempDir();
    try {
      await copyInto('org-state', path.join(dir, 'org-state'));
      const orgFile = path.join(dir, 'org-state/acme-prod/org.json');
      const org = JSON.parse(await readFile(orgFile, 'utf8')) as { settings: { adminApprovedAppsOnly: boolean } };
      org.settings.adminApprovedAppsOnly = true;
      await writeFile(orgFile, `${JSON.stringify(org, null, 2)}\n`);
      const imported = await runCapctl(['import'], { cwd: dir });
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stderr).toMatch(/info {2}CAP530 {2}Unknown Scraper: blocked left out: the app is blocked org-wide by API client allowlisting/);
      const plan = await runCapctl(['plan', '--desired', 'desired', '--detailed-exitcode'], { cwd: dir });
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toContain('No changes. acme-prod matches the desired state.');
    } finally {
      await removeDir(dir);
    }
  });

  it('never overwrites without --force, and replaces with it', async () => {
    const org = path.join(cwd, 'desired/org.yaml');
    await writeFile(org, '# hand-edited\n');
    const refused = await runCapctl(['import', '--org', 'acme-prod'], { cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('41 of the files to write already exist; nothing written (--force replaces them):');
    expect(await readFile(org, 'utf8')).toBe('# hand-edited\n');
    const forced = await runCapctl(['import', '--org', 'acme-prod', '--force'], { cwd });
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(org, 'utf8')).toContain('kind: OrgSettings');
  });

  it('names an org the store does not have', async () => {
    const result = await runCapctl(['import', '--org', 'nope', '--out', 'other'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no org "nope" in org-state');
  });

  it('refuses an --out that is a file, or a folder where a file goes: exit 1, the path named, nothing written', async () => {
    const before = (await readdir(cwd)).sort();
    await writeFile(path.join(cwd, 'afile'), 'kept\n');
    const file = await runCapctl(['import', '--out', 'afile'], { cwd });
    expect(file.code).toBe(1);
    expect(file.stderr).toBe('capctl: afile is a file, not a folder; nothing written\n');
    expect(await readFile(path.join(cwd, 'afile'), 'utf8')).toBe('kept\n');

    await mkdir(path.join(cwd, 'blocked/apps/slack.yaml'), { recursive: true });
    const folder = await runCapctl(['import', '--out', 'blocked', '--force'], { cwd });
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe('capctl: blocked/apps/slack.yaml is a folder, not a file; nothing written\n');
    expect(await readdir(path.join(cwd, 'blocked'))).toEqual(['apps']);
    expect(await readdir(path.join(cwd, 'blocked/apps'))).toEqual(['slack.yaml']);
    expect((await readdir(cwd)).sort()).toEqual([...before, 'afile', 'blocked'].sort());
  });
});
