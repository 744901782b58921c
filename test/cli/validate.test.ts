// capctl validate through the real executable: the bundled example, the options, what it never does.
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

/** Every file under `dir` with its size and modification time. */
async function snapshotTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    const s = await stat(full);
    out.push(`${path.relative(dir, full)} ${s.size} ${s.mtimeMs}`);
  }
  return out.sort();
}

describe('capctl validate', () => {
  it('passes the bundled example, examples/acme', async () => {
    const result = await runCapctl(['validate', 'examples/acme']);
    expect(result).toEqual({ code: 0, stdout: 'examples/acme: 18 documents in 14 files, 0 errors, 0 warnings\n', stderr: '' });
  });

  it('reads --desired, then desired/, when no folder is given; and writes nothing', async () => {
    const dir = await makeTempDir('capctl-validate-');
    temps.push(dir);
    await copyInto('examples/acme', path.join(dir, 'desired'));
    await copyInto('examples/acme', path.join(dir, 'elsewhere'));
    const before = await snapshotTree(dir);
    const byDefault = await runCapctl(['validate'], { cwd: dir });
    expect(byDefault.code).toBe(0);
    expect(byDefault.stdout).toBe('desired: 18 documents in 14 files, 0 errors, 0 warnings\n');
    const byOption = await runCapctl(['validate', '--desired', 'elsewhere/'], { cwd: dir });
    expect(byOption.stdout).toBe('elsewhere: 18 documents in 14 files, 0 errors, 0 warnings\n');
    expect(await snapshotTree(dir)).toEqual(before);
  });

  it('prints diagnostics and a summary as JSON with --format json', async () => {
    const result = await runCapctl(['validate', '--format', 'json', 'desired'], { cwd: path.join(repoRoot, 'test/cases/invalid-multi-document-errors') });
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout) as { diagnostics: { code: string; file: string; line: number; column: number }[]; summary: object };
    expect(output.summary).toEqual({ dir: 'desired', files: 1, documents: 3, errors: 3, warnings: 0 });
    expect(output.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`)).toEqual([
      'desired/salesforce-tools.yaml:6:12 CAP104',
      'desired/salesforce-tools.yaml:23:17 CAP105',
      'desired/salesforce-tools.yaml:24:3 CAP103',
    ]);
  });

  it('checks each document names an org of the store when it can see one (CAP325), and only then', async () => {
    const dir = await makeTempDir('capctl-validate-');
    temps.push(dir);
    const typo = 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prd\nname: Slack\nblocked: true\n';
    await mkdir(path.join(dir, 'desired'));
    await writeFile(path.join(dir, 'desired/slack.yaml'), typo);
    // No store here: nothing to check the org against.
    expect(await runCapctl(['validate'], { cwd: dir })).toMatchObject({ code: 0 });
    const error = 'desired/slack.yaml:3:6  error  CAP325  org "acme-prd" is not an org of ';
    const given = await runCapctl(['validate', '--org-state', path.join(repoRoot, 'org-state')], { cwd: dir });
    expect(given.code).toBe(1);
    expect(given.stdout).toContain(`${error}${path.join(repoRoot, 'org-state')} (did you mean "acme-prod"?)`);
    // The default store folder, once it is there.
    await copyInto(path.join(repoRoot, 'org-state'), path.join(dir, 'org-state'));
    const byDefault = await runCapctl(['validate', 'desired'], { cwd: dir });
    expect(byDefault.code).toBe(1);
    expect(byDefault.stdout).toContain(`${error}org-state (did you mean "acme-prod"?): nothing declared for it would be planned or applied; the orgs there are acme-prod\n`);
    // A store folder named on the command line must be there.
    const missing = await runCapctl(['validate', '--org-state', 'nowhere'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no org store at nowhere');
  });

  it('shows an example in --help', async () => {
    const result = await runCapctl(['validate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: capctl validate [options] [dir]');
    expect(result.stdout).toMatch(/Example:\n\s+\$ capctl validate examples\/acme\n/);
  });

  it('rejects an unknown option, and an unknown format, with exit 1', async () => {
    const option = await runCapctl(['validate', '--strict', 'examples/acme']);
    expect(option.code).toBe(1);
    expect(option.stderr).toContain("unknown option '--strict'");
    const format = await runCapctl(['validate', '--format', 'xml', 'examples/acme']);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('Allowed choices are text, json');
  });

  it('says so when the command is misspelt, with exit 1', async () => {
    const result = await runCapctl(['valdiate', 'examples/acme']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown command 'valdiate'");
    expect(result.stderr).toContain('validate');
  });

  it('names a path that is a file, not a folder', async () => {
    const result = await runCapctl(['validate', 'examples/acme/org.yaml']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'capctl: "examples/acme/org.yaml" is not a folder: give the folder that holds the desired-state YAML files\n',
    });
  });

  it('reads the schema from the package, wherever it is run from', async () => {
    const dir = await makeTempDir('capctl-validate-cwd-');
    temps.push(dir);
    const result = await runCapctl(['validate', path.join(repoRoot, 'examples/acme')], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('18 documents in 14 files, 0 errors, 0 warnings');
  });
});

describe('capctl validate with capctl.yaml', () => {
  it('reads the desired folder capctl.yaml names, unless DIR or --desired is given', async () => {
    const dir = await makeTempDir('capctl-validate-config-');
    temps.push(dir);
    await mkdir(path.join(dir, '.git'));
    await writeFile(path.join(dir, 'capctl.yaml'), 'desired: access\n');
    await copyInto('examples/acme', path.join(dir, 'access'));
    const fromConfig = await runCapctl(['validate'], { cwd: dir });
    expect(fromConfig.stdout).toBe('access: 18 documents in 14 files, 0 errors, 0 warnings\n');
    const fromFlag = await runCapctl(['validate', '--desired', 'elsewhere'], { cwd: dir });
    expect(fromFlag).toMatchObject({ code: 1, stderr: 'capctl: the desired-state folder "elsewhere" does not exist\n' });
  });

  it('lists diagnostics in the one order of every command: by file, by code point', async () => {
    const dir = await makeTempDir('capctl-validate-');
    temps.push(dir);
    await mkdir(path.join(dir, 'desired'));
    const unknownKind = 'apiVersion: capctl/v1\nkind: Nonsense\norg: acme-prod\n';
    await writeFile(path.join(dir, 'desired/a.yaml'), unknownKind);
    await writeFile(path.join(dir, 'desired/B.yaml'), unknownKind);
    const result = await runCapctl(['validate', '--format', 'json'], { cwd: dir });
    const output = JSON.parse(result.stdout) as { diagnostics: { file: string; severity: string }[] };
    // By locale, a.yaml would come first; by code point, "B" (U+0042) comes before "a" (U+0061).
    expect(output.diagnostics.map((d) => d.file)).toEqual(['desired/B.yaml', 'desired/a.yaml']);
  });
});
