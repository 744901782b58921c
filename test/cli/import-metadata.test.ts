// `capctl import --from-metadata` and `capctl export --metadata` as a user runs them: the real CLI in
// a child process, real files in a temporary folder; over capctl's own fixtures always, and over the
// real samples of ../shared/samples where that folder is.
import { readFile, readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { buildSampleTrees, fixtures, overSet, realSamples } from '../helpers/samples.js';

let root: string;
let fixtureTrees: Map<string, string>;
let trees: Map<string, string>;
beforeAll(async () => {
  root = await makeTempDir();
  fixtureTrees = (await buildSampleTrees(path.join(root, 'fixtures'), fixtures)).trees;
  trees = realSamples.present ? (await buildSampleTrees(path.join(root, 'samples'), realSamples)).trees : new Map();
});
afterAll(() => removeDir(root));

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe(overSet('capctl import --from-metadata', fixtures), () => {
  it('writes one file per app and org.yaml, and explains every file it did not use', async () => {
    const tree = fixtureTrees.get('tidewater-ops')!;
    const out = path.join(root, 'out-tidewater');
    const result = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(await listFiles(out)).toEqual(['apps/audit-feed.yaml', 'apps/board-canvas.yaml', 'apps/deploy-bot.yaml', 'apps/report-bridge.yaml', 'org.yaml']);
    expect(result.stdout).toContain(`Imported acme-prod from the metadata in ${tree}: org settings and 4 apps, 5 files written to ${out}/.`);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.find((l) => l.includes('Expense_SSO.connectedApp-meta.xml'))).toMatch(/info {2}CAP504 {2}connected app "Expense SSO"/);
    expect(lines.find((l) => l.includes('Lobby_Display.connectedApp-meta.xml'))).toMatch(/info {2}CAP504 {2}connected app "Lobby Display"/);
    expect(lines.filter((l) => l.includes('CAP505'))).toHaveLength(4);
    const eca = await readFile(path.join(out, 'apps/report-bridge.yaml'), 'utf8');
    expect(eca).toContain('kind: ExternalClientApp\n');
    expect(eca).toMatch(/^# ExternalClientApp "Report Bridge" of acme-prod, written by capctl import from the Salesforce metadata in /);
  });

  it('never overwrites a file without --force: lists them, exits 1, writes nothing', async () => {
    const tree = fixtureTrees.get('harbor-crm')!;
    const out = path.join(root, 'out-harbor');
    await mkdir(path.join(out, 'apps'), { recursive: true });
    await writeFile(path.join(out, 'apps/field-notes.yaml'), '# mine\n');
    await writeFile(path.join(out, 'org.yaml'), '# mine too\n');
    const result = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('2 of the files to write already exist; nothing written (--force replaces them):');
    expect(result.stderr).toContain(path.join(out, 'apps/field-notes.yaml'));
    expect(result.stderr).toContain(path.join(out, 'org.yaml'));
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await listFiles(out)).toEqual(['apps/field-notes.yaml', 'org.yaml']);
    expect(await readFile(path.join(out, 'apps/field-notes.yaml'), 'utf8')).toBe('# mine\n');

    const forced = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Replaced 2 existing files (--force).');
    expect(await listFiles(out)).toEqual([
      'apps/cardscan-reader.yaml',
      'apps/field-notes.yaml',
      'apps/ledger-sync.yaml',
      'apps/mail-relay-service.yaml',
      'apps/partner-hub.yaml',
      'org.yaml',
    ]);
  });

  it('asks for the org when nothing names it, and refuses a bad slug', async () => {
    const tree = fixtureTrees.get('harbor-crm')!;
    const cwd = await makeTempDir();
    try {
      const missing = await runCapctl(['import', '--from-metadata', tree, '--out', 'x'], { cwd });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('which org does this metadata belong to? name it with --org');
      const bad = await runCapctl(['import', '--from-metadata', tree, '--org', 'Acme Prod', '--out', 'x'], { cwd });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('is not an org slug');
      await expect(stat(path.join(cwd, 'x'))).rejects.toThrow();
      // The schema's maxLength too: a 64-character slug would write files that validate then refuses.
      const long = await runCapctl(['import', '--from-metadata', tree, '--org', 'a'.repeat(64), '--out', 'x'], { cwd });
      expect(long.code).toBe(1);
      expect(long.stderr).toBe(`capctl: --org "${'a'.repeat(64)}" is not an org slug (lower-case letters, digits and dashes, at most 63 characters)\n`);
      await expect(stat(path.join(cwd, 'x'))).rejects.toThrow();
    } finally {
      await removeDir(cwd);
    }
  });

  it('says so when the folder holds no access metadata', async () => {
    const empty = await makeTempDir();
    try {
      const result = await runCapctl(['import', '--from-metadata', empty, '--org', 'acme-prod', '--out', path.join(empty, 'out')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/no connected app, external client app, blocked consumer or ConnectedApp\/OauthOidc settings metadata found/);
    } finally {
      await removeDir(empty);
    }
  });

  it('prints JSON with --format json', async () => {
    const tree = fixtureTrees.get('odd-shapes')!;
    const out = path.join(root, 'out-json-odd-shapes');
    const result = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', out, '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { files: string[]; used: string[]; diagnostics: { code: string }[] };
    expect(json.files).toEqual(['apps/bare-connector.yaml', 'apps/r-d-console.yaml', 'apps/survey-kiosk.yaml']);
    expect(json.used).toHaveLength(3);
    expect(json.diagnostics.map((d) => d.code)).toEqual(['CAP509', 'CAP511', 'CAP512']);
  });
});

describe.skipIf(!realSamples.present)(overSet('capctl import --from-metadata', realSamples), () => {
  it('writes one file per app and org.yaml, and explains every file it did not use', async () => {
    const tree = trees.get('chanduvadlapatlaintapp__qtcdevcpq-sandbox')!;
    const out = path.join(root, 'out-chandu');
    const result = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    expect(await listFiles(out)).toEqual(['apps/automated-deployment.yaml', 'apps/copilot-studio-portfolio-analysis.yaml', 'org.yaml']);
    expect(result.stdout).toContain(`Imported acme-prod from the metadata in ${tree}: org settings and 2 apps, 3 files written to ${out}/.`);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.find((l) => l.includes('Seismic_SSO.connectedApp-meta.xml'))).toMatch(/info {2}CAP504 {2}connected app "Seismic SSO"/);
    expect(lines.filter((l) => l.includes('CAP505'))).toHaveLength(4);
    const eca = await readFile(path.join(out, 'apps/copilot-studio-portfolio-analysis.yaml'), 'utf8');
    expect(eca).toContain('kind: ExternalClientApp\n');
    expect(eca).toMatch(/^# ExternalClientApp "Copilot Studio Portfolio Analysis" of acme-prod, written by capctl import from the Salesforce metadata in /);
  });

  it('never overwrites a file without --force: lists them, exits 1, writes nothing', async () => {
    const tree = trees.get('craig-jackson-ideascience__DEV')!;
    const out = path.join(root, 'out-craig');
    await mkdir(path.join(out, 'apps'), { recursive: true });
    await writeFile(path.join(out, 'apps/postman.yaml'), '# mine\n');
    await writeFile(path.join(out, 'org.yaml'), '# mine too\n');
    const result = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('2 of the files to write already exist; nothing written (--force replaces them):');
    expect(result.stderr).toContain(path.join(out, 'apps/postman.yaml'));
    expect(result.stderr).toContain(path.join(out, 'org.yaml'));
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await listFiles(out)).toEqual(['apps/postman.yaml', 'org.yaml']);
    expect(await readFile(path.join(out, 'apps/postman.yaml'), 'utf8')).toBe('# mine\n');

    const forced = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Replaced 2 existing files (--force).');
    expect(await listFiles(out)).toEqual(['apps/ittestapp.yaml', 'apps/lf-datadog-monitoring.yaml', 'apps/postman.yaml', 'org.yaml']);
  });

  it('prints JSON with --format json', async () => {
    const tree = trees.get('AlainHofstetter__nextgen')!;
    const out = path.join(root, 'out-json');
    const result = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', out, '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as { files: string[]; used: string[]; diagnostics: { code: string }[] };
    expect(json.files).toEqual(['apps/bsi-integration.yaml', 'apps/salesforce-email-connector.yaml', 'apps/scanbizcards-business-card-reader.yaml']);
    expect(json.used).toHaveLength(3);
    expect(json.diagnostics.map((d) => d.code)).toEqual(['CAP504', 'CAP504']);
  });
});
