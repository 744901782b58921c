// Desired-state files at the edges of what a person saves: old Mac line endings, nesting past any
// declaration's, file names the glob leaves out, and symbolic links that lead back into the folder.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/load/load-desired.js';
import { maxNestingDepth } from '../../src/load/parse-documents.js';
import { Codes } from '../../src/model/index.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';

const now = new Date('2026-11-29T12:00:00Z');
const temps: string[] = [];

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('capctl-edges-');
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

const slack = ['# Slack, saved with CR line endings', 'apiVersion: capctl/v1', 'kind: ConnectedApp', 'org: acme-prod', 'name: Slack', 'blocked: false', ''];

describe('line endings', () => {
  it('reads a file whose lines end in CR alone as lines, not as one long comment', async () => {
    const dir = await folder({ 'slack.yaml': slack.join('\r') });
    const { desired, diagnostics, documents } = await loadDesiredState(dir, { now });
    expect(diagnostics).toEqual([]);
    expect(documents).toBe(1);
    const app = desired.orgs['acme-prod']!.apps[0]!;
    expect(app.doc).toMatchObject({ name: 'Slack', blocked: false });
    expect(app.positions.blocked).toMatchObject({ line: 6, column: 10 });
  });

  it('reads mixed CR, LF and CRLF endings alike', async () => {
    const dir = await folder({ 'slack.yaml': `${slack.slice(0, 3).join('\r')}\r\n${slack.slice(3).join('\n')}` });
    const { desired, diagnostics } = await loadDesiredState(dir, { now });
    expect(diagnostics).toEqual([]);
    expect(desired.orgs['acme-prod']!.apps[0]!.positions.blocked).toMatchObject({ line: 6, column: 10 });
  });
});

/** An app document whose `owner` holds `depth - 1` nested flow lists: `depth` collections in all. */
function nested(depth: number): string {
  return `apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Slack\nowner: ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}\n`;
}

describe('nesting', () => {
  it(`accepts ${maxNestingDepth} levels and refuses one more, at the collection that goes too deep`, async () => {
    const ok = await loadDesiredState(await folder({ 'a.yaml': nested(maxNestingDepth) }), { now });
    expect(ok.diagnostics.filter((d) => d.code === Codes.tooDeeplyNested)).toEqual([]);
    expect(ok.diagnostics.map((d) => d.code)).toEqual([Codes.wrongType]);

    const dir = await folder({ 'a.yaml': nested(maxNestingDepth + 1) });
    const deep = await loadDesiredState(dir, { now });
    expect(deep.diagnostics).toEqual([
      {
        severity: 'error',
        code: Codes.tooDeeplyNested,
        message: `too deeply nested: more than ${maxNestingDepth} levels of mappings and lists`,
        file: path.join(dir, 'a.yaml'),
        line: 5,
        column: 'owner: '.length + maxNestingDepth,
      },
    ]);
  });

  it('says "too deeply nested" where the parser itself runs out of stack, never "Maximum call stack"', async () => {
    for (const text of [nested(20_000), `a: ${'{b: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`, `${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`]) {
      const { diagnostics } = await loadDesiredState(await folder({ 'deep.yaml': text }), { now });
      expect(diagnostics.map((d) => d.code)).toEqual([Codes.tooDeeplyNested]);
      expect(diagnostics[0]!.line).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(diagnostics)).not.toMatch(/call stack/i);
    }
  });
});

const zoom = 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Zoom\n';

describe('files the glob leaves out', () => {
  it('warns about each YAML-looking file it does not read: upper-case suffix, dotfile, hidden folder', async () => {
    const dir = await folder({ 'slack.yaml': slack.join('\n'), 'Zoom.YAML': zoom, 'apps/zoom.Yml': zoom, '.zoom.yaml': zoom, '.drafts/zoom.yml': zoom, 'notes.txt': zoom });
    const { desired, diagnostics } = await loadDesiredState(dir, { now });
    expect(desired.orgs['acme-prod']!.apps.map((a) => a.doc.name)).toEqual(['Slack']);
    expect(desired.files).toEqual(['slack.yaml']);
    const hidden = 'file looks like YAML but is not read: it is hidden (its name or a folder on its path starts with ".")';
    const upper = 'file looks like YAML but is not read: only names ending in .yaml or .yml (lower case) are read';
    expect(diagnostics.map((d) => [path.relative(dir, d.file!), d.severity, d.code, d.message]).sort()).toEqual([
      ['.drafts/zoom.yml', 'warning', Codes.skippedFile, hidden],
      ['.zoom.yaml', 'warning', Codes.skippedFile, hidden],
      ['Zoom.YAML', 'warning', Codes.skippedFile, upper],
      ['apps/zoom.Yml', 'warning', Codes.skippedFile, upper],
    ]);
  });

  it('still says there are no files when the only one is skipped', async () => {
    const { diagnostics } = await loadDesiredState(await folder({ 'SLACK.YML': zoom }), { now });
    expect(diagnostics.map((d) => d.code).sort()).toEqual([Codes.noFiles, Codes.skippedFile]);
  });
});

describe('symbolic links', () => {
  it('reports a link back to a folder on its own path once, and reads every file once', async () => {
    const dir = await folder({ 'slack.yaml': slack.join('\n'), 'apps/zoom.yaml': zoom });
    await symlink('..', path.join(dir, 'apps/loop'));
    await mkdir(path.join(dir, 'apps/deeper'));
    await symlink('../../apps', path.join(dir, 'apps/deeper/back'));
    const { desired, diagnostics } = await loadDesiredState(dir, { now });
    expect(desired.files).toEqual(['apps/zoom.yaml', 'slack.yaml']);
    expect(diagnostics).toEqual([
      { severity: 'warning', code: Codes.symlinkLoop, message: `symbolic link loop: it leads back to "${path.join(dir, 'apps')}"; not followed`, file: path.join(dir, 'apps/deeper/back') },
      { severity: 'warning', code: Codes.symlinkLoop, message: 'symbolic link loop: it leads back to the desired folder; not followed', file: path.join(dir, 'apps/loop') },
    ]);
  });

  it('still follows links that are not loops, and names links that lead to each other or to nothing', async () => {
    const dir = await folder({ 'shared/zoom.yaml': zoom, 'main/slack.yaml': slack.join('\n') });
    const main = path.join(dir, 'main');
    await symlink('../shared', path.join(main, 'shared'));
    await symlink('b', path.join(main, 'a'));
    await symlink('a', path.join(main, 'b'));
    await symlink('missing.yaml', path.join(main, 'gone.yaml'));
    const { desired, diagnostics } = await loadDesiredState(main, { now });
    expect(desired.files).toEqual(['shared/zoom.yaml', 'slack.yaml']);
    expect(diagnostics.map((d) => [path.relative(main, d.file!), d.code, d.message])).toEqual([
      ['a', Codes.symlinkLoop, 'symbolic link loop: it leads back to itself; not followed'],
      ['b', Codes.symlinkLoop, 'symbolic link loop: it leads back to itself; not followed'],
      ['gone.yaml', Codes.skippedFile, 'file looks like YAML but is not read: it is a symbolic link to nothing'],
    ]);
  });
});
