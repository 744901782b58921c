// Every real sample of ../shared/samples/salesforce-metadata/ goes through import: the access
// ones become valid declarations, every other one gets its one-line reason naming the file.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { compileSchema } from '../../src/load/schemas.js';
import { loadDesiredState } from '../../src/load/load-desired.js';
import { declarationsOf } from '../../src/model/index.js';
import { readMetadataTree } from '../../src/metadata/read-metadata.js';
import type { ParsedMetadata } from '../../src/metadata/parse-metadata.js';
import type { AppDoc } from '../../src/model/index.js';
import { renderDesiredFiles } from '../../src/render/desired-yaml.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';
import { buildSampleTrees, listSamples, samplesDir } from '../helpers/samples.js';

let root: string;
let placed: Map<string, string>;
const results = new Map<string, ParsedMetadata>();

beforeAll(async () => {
  root = await makeTempDir();
  const built = await buildSampleTrees(root);
  placed = built.placed;
  for (const [repo, tree] of built.trees) results.set(repo, await readMetadataTree(tree, 'acme-prod'));
});
afterAll(() => removeDir(root));

function appOf(repo: string, name: string): AppDoc {
  const app = results.get(repo)!.declarations.apps.find((a) => a.name === name);
  if (!app) throw new Error(`${repo} declares no app "${name}"`);
  return app;
}

describe('import of every metadata sample', () => {
  it('accounts for every file: used for a declaration, or one one-line reason naming it', async () => {
    const samples = await listSamples();
    expect(samples.length).toBeGreaterThanOrEqual(30);
    for (const sample of samples) {
      const result = results.get(sample.repo)!;
      const file = placed.get(sample.sample)!;
      const reasons = result.diagnostics.filter((d) => d.file === file);
      if (!result.used.includes(file)) {
        expect(reasons, `${sample.sample} is neither used nor explained`).toHaveLength(1);
        expect(reasons[0]!.message).not.toContain('\n');
        expect(reasons[0]!.code).toMatch(/^CAP5\d\d$/);
        expect(['info', 'warning']).toContain(reasons[0]!.severity);
      }
    }
    // Every diagnostic names a file of the tree.
    for (const result of results.values()) for (const d of result.diagnostics) expect(d.file?.startsWith(root)).toBe(true);
  });

  it('imports into desired-state YAML that validates against the schema', () => {
    const validate = compileSchema('desired-state.schema.json');
    let documents = 0;
    for (const result of results.values()) {
      for (const file of renderDesiredFiles(result.declarations, { source: 'samples' })) {
        for (const doc of parseAllDocuments(file.text)) {
          expect(doc.errors).toEqual([]);
          expect(validate(doc.toJS()), `${file.path}: ${JSON.stringify(validate.errors)}`).toBe(true);
          documents++;
        }
      }
    }
    expect(documents).toBe(19); // 17 apps and 2 org settings from 6 repositories
  });

  it('imports into YAML the loader accepts, which loads back to the same declarations', async () => {
    for (const [repo, result] of results) {
      const out = path.join(root, 'desired', repo);
      for (const file of renderDesiredFiles(result.declarations, { source: 'samples' })) {
        await mkdir(path.dirname(path.join(out, file.path)), { recursive: true });
        await writeFile(path.join(out, file.path), file.text);
      }
      const loaded = await loadDesiredState(out, { now: new Date('2026-12-01T00:00:00Z') });
      expect(loaded.diagnostics, repo).toEqual([]);
      const org = loaded.desired.orgs['acme-prod']!;
      const back = declarationsOf(org);
      expect({ ...back, apps: [...back.apps].sort((a, b) => (a.name < b.name ? -1 : 1)) }).toEqual(result.declarations);
    }
  });

  it('never carries a consumer key, a secret or anything of an *.ecaGlblOauth file into its output', async () => {
    const forbidden = new Set(['consumerKey', 'consumerSecret']);
    for (const sample of await listSamples()) {
      const text = await readFile(path.join(samplesDir, sample.sample), 'utf8');
      for (const match of text.matchAll(/<consumerKey>([^<]+)<\/consumerKey>/g)) forbidden.add(match[1]!);
      if (sample.name.endsWith('.ecaGlblOauth-meta.xml')) {
        for (const match of text.matchAll(/<([A-Za-z]+)>([^<]*)<\/\1>/g)) {
          forbidden.add(`<${match[1]}>`);
          forbidden.add(match[1]!);
          if (match[2]!.length > 8) forbidden.add(match[2]!);
        }
        // The app's full name, which every file of the app shares (and its file names carry).
        forbidden.delete(/<externalClientApplication>([^<]+)</.exec(text)![1]!);
      }
    }
    for (const result of results.values()) {
      // Diagnostics name their file (by path); what they say about it must not quote it.
      const output = [...renderDesiredFiles(result.declarations, { source: 'samples' }).map((f) => f.text), ...result.diagnostics.map((d) => d.message)].join('\n');
      for (const word of forbidden) expect(output.includes(word), `output contains ${word}`).toBe(false);
    }
  });
});

describe('field by field', () => {
  it('BSI Integration: admin-approved with three profiles, BYPASS, zero', () => {
    expect(appOf('AlainHofstetter__nextgen', 'BSI Integration')).toEqual({
      apiVersion: 'capctl/v1',
      kind: 'ConnectedApp',
      org: 'acme-prod',
      name: 'BSI Integration',
      installed: true,
      policies: { permittedUsers: 'admin-approved', profiles: ['System Administrator', 'Marketing User', 'BLC Profile'], permissionSets: [], ipRelaxation: 'BYPASS', refreshTokenPolicy: 'zero' },
    });
  });

  it('Carestone Connect: a permission set, no profiles', () => {
    expect(appOf('carestone-sf__salesforce', 'Carestone Connect').policies).toEqual({
      permittedUsers: 'admin-approved',
      profiles: [],
      permissionSets: ['Carestone Connect'],
      ipRelaxation: 'BYPASS',
      refreshTokenPolicy: 'zero',
    });
  });

  it('Maklerportal: isAdminApproved false is all-users, without assignments', () => {
    expect(appOf('carestone-sf__salesforce', 'Maklerportal').policies).toEqual({ permittedUsers: 'all-users', ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' });
  });

  it('Kundenportal: named by its label, not its file name (CustomerPortal)', () => {
    expect(appOf('carestone-sf__salesforce', 'Kundenportal').policies?.profiles).toEqual(['Systemadministrator']);
  });

  it('MalbekConnectorApp: canvas and callback URLs ignored; nine profiles in file order and one permission set', () => {
    const app = appOf('raksh36mongo__gearsetBugFix', 'MalbekConnectorApp');
    expect(app.policies?.profiles).toHaveLength(9);
    expect(app.policies?.profiles?.[0]).toBe('System Admin Read only');
    expect(app.policies?.permissionSets).toEqual(['Malbek Contrax User']);
    expect(Object.keys(app)).toEqual(['apiVersion', 'kind', 'org', 'name', 'installed', 'policies']);
  });

  it('Copilot Studio Portfolio Analysis: an external client app with its OAuth policy file', () => {
    expect(appOf('chanduvadlapatlaintapp__qtcdevcpq-sandbox', 'Copilot Studio Portfolio Analysis')).toEqual({
      apiVersion: 'capctl/v1',
      kind: 'ExternalClientApp',
      org: 'acme-prod',
      name: 'Copilot Studio Portfolio Analysis',
      installed: true,
      policies: { permittedUsers: 'all-users', ipRelaxation: 'BYPASS', refreshTokenPolicy: 'infinite' },
    });
  });

  it('blocked consumers: declared blocked by the name they give, even without the app metadata', () => {
    const repo = 'AlainHofstetter__nextgen';
    expect(appOf(repo, 'Salesforce Email Connector')).toEqual({ apiVersion: 'capctl/v1', kind: 'ConnectedApp', org: 'acme-prod', name: 'Salesforce Email Connector', blocked: true });
    expect(appOf(repo, 'ScanBizCards Business Card Reader').blocked).toBe(true);
  });

  it('SAML-only and logo-only connected apps are not OAuth apps: one reason each, no declaration', () => {
    const result = results.get('AlainHofstetter__nextgen')!;
    expect(result.declarations.apps.map((a) => a.name)).not.toContain('Slack');
    const slack = result.diagnostics.filter((d) => d.file?.endsWith('connectedApps/Slack.connectedApp-meta.xml'));
    expect(slack).toMatchObject([{ severity: 'info', code: 'CAP504' }]);
    expect(slack[0]!.message).toContain('"Slack"');
  });

  it('org settings: ConnectedApp and OauthOidc settings, same sense (oAuthCdCrdtFlowEnable is not inverted)', () => {
    expect(results.get('craig-jackson-ideascience__DEV')!.declarations.settings).toEqual({
      apiVersion: 'capctl/v1',
      kind: 'OrgSettings',
      org: 'acme-prod',
      adminApprovedAppsOnly: false,
      oauthFlows: { blockUsernamePassword: false, blockUserAgent: false, allowAuthorizationCodeAndCredentials: false },
    });
    // OauthOidc alone (no ConnectedApp settings file): adminApprovedAppsOnly is left out.
    expect(results.get('chanduvadlapatlaintapp__qtcdevcpq-sandbox')!.declarations.settings).not.toHaveProperty('adminApprovedAppsOnly');
  });

  it('the external client app files it does not manage each get their reason', () => {
    const result = results.get('chanduvadlapatlaintapp__qtcdevcpq-sandbox')!;
    const ignored = result.diagnostics.filter((d) => d.code === 'CAP505').map((d) => path.basename(d.file!));
    expect(ignored.sort()).toEqual([
      'Copilot_Studio_Portfolio_Analysis_defOauthSecuritySet.ecaOauthSecurity-meta.xml',
      'Copilot_Studio_Portfolio_Analysis_glbloauth.ecaGlblOauth-meta.xml',
      'Copilot_Studio_Portfolio_Analysis_oauth.ecaOauth-meta.xml',
      'Copilot_Studio_Portfolio_Analysis_plcy.ecaPlcy-meta.xml',
    ]);
  });
});
