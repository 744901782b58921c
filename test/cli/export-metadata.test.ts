// `capctl export --metadata` as a user runs it, after `capctl import --from-metadata`: the real CLI in
// child processes, real files; over capctl's own fixtures always, and over the real samples of
// ../shared/samples where that folder is. No byte capctl writes or prints carries a credential.
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyMetadataFile } from '../../src/metadata/metadata-types.js';
import { makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';
import { buildSampleTrees, fixtures, metadataSets, overSet, type MetadataSet } from '../helpers/samples.js';

let root: string;
beforeAll(async () => {
  root = await makeTempDir();
});
afterAll(() => removeDir(root));

/**
 * What no output may carry, from a set's files: credentials (the words and every consumer key), and
 * of the *.ecaGlblOauth files every element no other kind of file has and every long value —
 * except the app's full name and the file's label, which its file name (named in diagnostics) carries.
 */
async function forbiddenWords(set: MetadataSet): Promise<Set<string>> {
  const forbidden = new Set(['consumerKey', 'consumerSecret']);
  const otherTags = new Set<string>();
  const globalFiles: string[] = [];
  for (const sample of await set.list()) {
    const text = await readFile(sample.file, 'utf8');
    for (const match of text.matchAll(/<consumerKey>([^<]+)<\/consumerKey>/g)) forbidden.add(match[1]!);
    if (sample.name.endsWith('.ecaGlblOauth-meta.xml')) globalFiles.push(text);
    else for (const match of text.matchAll(/<([A-Za-z]+)[ >]/g)) otherTags.add(match[1]!);
  }
  for (const text of globalFiles) {
    const shared = new Set([/<externalClientApplication>([^<]+)</.exec(text)![1]!, /<label>([^<]+)</.exec(text)![1]!]);
    for (const match of text.matchAll(/<([A-Za-z]+)>([^<]*)<\/\1>/g)) {
      if (!otherTags.has(match[1]!)) forbidden.add(`<${match[1]}>`);
      if (match[2]!.length > 8 && !shared.has(match[2]!)) forbidden.add(match[2]!);
    }
  }
  return forbidden;
}

async function filesUnder(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(path.relative(dir, path.join(entry.parentPath, entry.name)), await readFile(path.join(entry.parentPath, entry.name), 'utf8'));
  }
  return out;
}

function expectClean(text: string, what: string, forbidden: Set<string>): void {
  for (const word of forbidden) expect(text.includes(word), `${what} contains ${word.slice(0, 40)}`).toBe(false);
}

for (const set of metadataSets) {
  describe.skipIf(!set.present)(overSet('capctl export --metadata', set), () => {
    let trees: Map<string, string>;
    let forbidden: Set<string>;
    beforeAll(async () => {
      trees = (await buildSampleTrees(path.join(root, set === fixtures ? 'fixtures' : 'samples'), set)).trees;
      forbidden = await forbiddenWords(set);
      expect(forbidden.size).toBeGreaterThan(15);
    });

    it('round trip through the CLI: import, export unchanged, edit, export only the managed elements', async () => {
      for (const [repo, tree] of trees) {
        const desired = path.join(root, 'desired', set === fixtures ? 'fixtures' : 'samples', repo);
        const imported = await runCapctl(['import', '--from-metadata', tree, '--org', 'acme-prod', '--out', desired]);
        expect(imported.code, imported.stderr).toBe(0);
        expectClean(imported.stdout + imported.stderr, `import output of ${repo}`, forbidden);
        for (const [file, text] of await filesUnder(desired)) expectClean(text, file, forbidden);

        const before = await filesUnder(tree);
        const same = await runCapctl(['export', '--metadata', tree, '--desired', desired]);
        expect(same.code, same.stderr).toBe(0);
        expectClean(same.stdout + same.stderr, `export output of ${repo}`, forbidden);
        expect(same.stdout).toMatch(/Exported acme-prod to .*: 0 created, 0 changed, \d+ unchanged\.\n$/);
        expect(await filesUnder(tree)).toEqual(before);
      }
    });

    it('never opens the external client app files it does not manage', async () => {
      const kinds = (await set.list()).map((s) => classifyMetadataFile(s.name));
      expect(kinds.filter((k) => k && 'ignored' in k)).toHaveLength(set.expected.ignored);
    });

    if (set === fixtures) {
      it('writes an edited declaration into the existing file, and nothing else', async () => {
        const tree = trees.get('harbor-crm')!;
        const desired = path.join(root, 'desired/fixtures/harbor-crm');
        const before = await filesUnder(tree);
        const notes = path.join(desired, 'apps/field-notes.yaml');
        await writeFile(notes, (await readFile(notes, 'utf8')).replace('permittedUsers: all-users', 'permittedUsers: admin-approved\n  profiles: [System Administrator]').replace('ipRelaxation: ENFORCE', 'ipRelaxation: BYPASS'));
        const org = path.join(desired, 'org.yaml');
        await writeFile(org, (await readFile(org, 'utf8')).replace('blockUserAgent: false', 'blockUserAgent: true'));

        const result = await runCapctl(['export', '--metadata', tree, '--desired', desired, '--org', 'acme-prod']);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toBe(
          [
            '  changed  force-app/main/default/connectedApps/Field_Notes.connectedApp-meta.xml',
            '  changed  force-app/main/default/settings/OauthOidc.settings-meta.xml',
            `Exported acme-prod to ${tree}: 0 created, 2 changed, 8 unchanged.`,
            '',
          ].join('\n'),
        );
        const after = await filesUnder(tree);
        const changed = [...after].filter(([file, text]) => before.get(file) !== text).map(([file]) => file).sort();
        const notesXml = 'force-app/main/default/connectedApps/Field_Notes.connectedApp-meta.xml';
        const oidc = 'force-app/main/default/settings/OauthOidc.settings-meta.xml';
        expect(changed).toEqual([notesXml, oidc]);
        expect(after.get(notesXml)).toBe(
          before
            .get(notesXml)!
            .replace('<isAdminApproved>false</isAdminApproved>', '<isAdminApproved>true</isAdminApproved>')
            .replace('<ipRelaxation>ENFORCE</ipRelaxation>', '<ipRelaxation>BYPASS</ipRelaxation>')
            .replace('    </oauthPolicy>\n', '    </oauthPolicy>\n    <profileName>System Administrator</profileName>\n'),
        );
        expect(after.get(oidc)).toBe(before.get(oidc)!.replace('<blockOAuthUsrAgtFlow>false</blockOAuthUsrAgtFlow>', '<blockOAuthUsrAgtFlow>true</blockOAuthUsrAgtFlow>'));
      });
    } else {
      it('writes an edited declaration into the existing file, and nothing else', async () => {
        const tree = trees.get('craig-jackson-ideascience__DEV')!;
        const desired = path.join(root, 'desired/samples/craig-jackson-ideascience__DEV');
        const before = await filesUnder(tree);
        const postman = path.join(desired, 'apps/postman.yaml');
        await writeFile(postman, (await readFile(postman, 'utf8')).replace('permittedUsers: all-users', 'permittedUsers: admin-approved\n  profiles: [System Administrator]').replace('ipRelaxation: BYPASS', 'ipRelaxation: ENFORCE'));
        const org = path.join(desired, 'org.yaml');
        await writeFile(org, (await readFile(org, 'utf8')).replace('blockUsernamePassword: false', 'blockUsernamePassword: true'));

        const result = await runCapctl(['export', '--metadata', tree, '--desired', desired, '--org', 'acme-prod']);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toBe(
          [
            '  changed  force-app/main/default/connectedApps/Postman.connectedApp-meta.xml',
            '  changed  force-app/main/default/settings/OauthOidc.settings-meta.xml',
            `Exported acme-prod to ${tree}: 0 created, 2 changed, 3 unchanged.`,
            '',
          ].join('\n'),
        );
        const after = await filesUnder(tree);
        const changed = [...after].filter(([file, text]) => before.get(file) !== text).map(([file]) => file).sort();
        expect(changed).toEqual(['force-app/main/default/connectedApps/Postman.connectedApp-meta.xml', 'force-app/main/default/settings/OauthOidc.settings-meta.xml']);
        const postmanXml = 'force-app/main/default/connectedApps/Postman.connectedApp-meta.xml';
        expect(after.get(postmanXml)).toBe(
          before
            .get(postmanXml)!
            .replace('<isAdminApproved>false</isAdminApproved>', '<isAdminApproved>true</isAdminApproved>')
            .replace('<ipRelaxation>BYPASS</ipRelaxation>', '<ipRelaxation>ENFORCE</ipRelaxation>')
            .replace('    </oauthPolicy>\n', '    </oauthPolicy>\n    <profileName>System Administrator</profileName>\n'),
        );
        const oidc = 'force-app/main/default/settings/OauthOidc.settings-meta.xml';
        expect(after.get(oidc)).toBe(before.get(oidc)!.replace('<blockOAuthUnPwFlow>false</blockOAuthUnPwFlow>', '<blockOAuthUnPwFlow>true</blockOAuthUnPwFlow>'));
      });
    }
  });
}

describe('capctl export --metadata, of the bundled example', () => {
  /** The credentials of every set that is here. */
  let forbidden: Set<string>;
  beforeAll(async () => {
    forbidden = new Set();
    for (const set of metadataSets.filter((s) => s.present)) for (const word of await forbiddenWords(set)) forbidden.add(word);
  });

  it('creates the metadata of the bundled example in an empty folder, without a single credential', async () => {
    const out = path.join(root, 'export-acme');
    const result = await runCapctl(['export', '--metadata', out, '--desired', path.join(repoRoot, 'examples/acme'), '--org', 'acme-prod']);
    expect(result.code, result.stderr).toBe(0);
    expectClean(result.stdout + result.stderr, 'export output', forbidden);
    const files = await filesUnder(out);
    expect(files.size).toBeGreaterThan(5);
    for (const [file, text] of files) {
      expect(classifyMetadataFile(file), file).toBeDefined();
      expectClean(text, file, forbidden);
      expect(text).not.toMatch(/consumerKey|consumerSecret|certificate/);
    }
    // And it imports back: the same apps, as the metadata can say them.
    const back = path.join(root, 'acme-back');
    const imported = await runCapctl(['import', '--from-metadata', out, '--org', 'acme-prod', '--out', back]);
    expect(imported.code, imported.stderr).toBe(0);
    const validated = await runCapctl(['validate', back]);
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
  });

  it('refuses a desired state with errors, writing nothing', async () => {
    const desired = path.join(root, 'bad-desired');
    await cp(path.join(repoRoot, 'examples/acme'), desired, { recursive: true });
    await writeFile(path.join(desired, 'broken.yaml'), 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: X\npermitedUsers: all\n');
    const out = path.join(root, 'export-bad');
    const result = await runCapctl(['export', '--metadata', out, '--desired', desired]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the desired state has errors; nothing written');
    expect(result.stderr).toMatch(/broken\.yaml:5:1 +error +CAP103/);
    await expect(readdir(out)).rejects.toThrow();
  });
});
