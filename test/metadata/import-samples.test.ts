// Every metadata file of both sets — capctl's own fixtures (always) and the real samples of
// ../shared/samples/salesforce-metadata/ (where that folder is) — goes through import: the access
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
import { buildSampleTrees, fixtures, metadataSets, overSet, realSamples, type MetadataSet } from '../helpers/samples.js';

/** A set's trees, built in a temporary folder, and each tree's import. */
interface Imported {
  root: string;
  placed: Map<string, string>;
  results: Map<string, ParsedMetadata>;
}

/** Builds and imports a set's trees before its suite, and removes them after. */
function importedTrees(set: MetadataSet): Imported {
  const imported: Imported = { root: '', placed: new Map(), results: new Map() };
  beforeAll(async () => {
    imported.root = await makeTempDir();
    const built = await buildSampleTrees(imported.root, set);
    imported.placed = built.placed;
    for (const [repo, tree] of built.trees) imported.results.set(repo, await readMetadataTree(tree, 'acme-prod'));
  });
  afterAll(() => removeDir(imported.root));
  return imported;
}

/** The app named `name` that a tree's import declares. */
function appIn(imported: Imported, repo: string, name: string): AppDoc {
  const app = imported.results.get(repo)!.declarations.apps.find((a) => a.name === name);
  if (!app) throw new Error(`${repo} declares no app "${name}"`);
  return app;
}

for (const set of metadataSets) {
  describe.skipIf(!set.present)(overSet('import of every metadata file', set), () => {
    const imported = importedTrees(set);
    it('accounts for every file: used for a declaration, or one one-line reason naming it', async () => {
      const samples = await set.list();
      expect(samples.length).toBeGreaterThanOrEqual(set.expected.files);
      for (const sample of samples) {
        const result = imported.results.get(sample.repo)!;
        const file = imported.placed.get(sample.sample)!;
        const reasons = result.diagnostics.filter((d) => d.file === file);
        if (!result.used.includes(file)) {
          expect(reasons, `${sample.sample} is neither used nor explained`).toHaveLength(1);
          expect(reasons[0]!.message).not.toContain('\n');
          expect(reasons[0]!.code).toMatch(/^CAP5\d\d$/);
          expect(['info', 'warning']).toContain(reasons[0]!.severity);
        }
      }
      // Every diagnostic names a file of the tree.
      for (const result of imported.results.values()) for (const d of result.diagnostics) expect(d.file?.startsWith(imported.root)).toBe(true);
    });

    it('imports into desired-state YAML that validates against the schema', () => {
      const validate = compileSchema('desired-state.schema.json');
      let documents = 0;
      for (const result of imported.results.values()) {
        for (const file of renderDesiredFiles(result.declarations, { source: 'samples' })) {
          for (const doc of parseAllDocuments(file.text)) {
            expect(doc.errors).toEqual([]);
            expect(validate(doc.toJS()), `${file.path}: ${JSON.stringify(validate.errors)}`).toBe(true);
            documents++;
          }
        }
      }
      expect(documents).toBe(set.expected.documents);
    });

    it('imports into YAML the loader accepts, which loads back to the same declarations', async () => {
      for (const [repo, result] of imported.results) {
        const out = path.join(imported.root, 'desired', repo);
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
      for (const sample of await set.list()) {
        const text = await readFile(sample.file, 'utf8');
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
      for (const result of imported.results.values()) {
        // Diagnostics name their file (by path); what they say about it must not quote it.
        const output = [...renderDesiredFiles(result.declarations, { source: 'samples' }).map((f) => f.text), ...result.diagnostics.map((d) => d.message)].join('\n');
        for (const word of forbidden) expect(output.includes(word), `output contains ${word}`).toBe(false);
      }
    });
  });
}

describe(overSet('field by field', fixtures), () => {
  const imported = importedTrees(fixtures);
  const appOf = (repo: string, name: string) => appIn(imported, repo, name);
  const reasonsFor = (repo: string, fileEnd: string) => imported.results.get(repo)!.diagnostics.filter((d) => d.file?.endsWith(fileEnd));

  it('Ledger Sync: admin-approved with two profiles and a permission set, BYPASS, zero; IP ranges and scopes ignored', () => {
    expect(appOf('harbor-crm', 'Ledger Sync')).toEqual({
      apiVersion: 'capctl/v1',
      kind: 'ConnectedApp',
      org: 'acme-prod',
      name: 'Ledger Sync',
      installed: true,
      policies: { permittedUsers: 'admin-approved', profiles: ['System Administrator', 'Finance Analyst'], permissionSets: ['Ledger Sync Users'], ipRelaxation: 'BYPASS', refreshTokenPolicy: 'zero' },
    });
  });

  it('Field Notes: isAdminApproved false is all-users, without assignments', () => {
    expect(appOf('harbor-crm', 'Field Notes').policies).toEqual({ permittedUsers: 'all-users', ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' });
  });

  it('Partner Hub: named by its label, not its file name (PartnerPortal); a refresh policy head with its period and unit beside it', () => {
    expect(appOf('harbor-crm', 'Partner Hub').policies).toEqual({
      permittedUsers: 'admin-approved',
      profiles: ['Partner Community User'],
      permissionSets: [],
      ipRelaxation: 'BYPASS_2FACTOR',
      refreshTokenPolicy: 'specific_lifetime:30:DAYS',
    });
  });

  it('blocked consumers: declared blocked by the name they give; one blocked by allowlisting is not', () => {
    expect(appOf('harbor-crm', 'Mail Relay Service')).toEqual({ apiVersion: 'capctl/v1', kind: 'ConnectedApp', org: 'acme-prod', name: 'Mail Relay Service', blocked: true });
    expect(appOf('harbor-crm', 'CardScan Reader').blocked).toBe(true);
    expect(imported.results.get('harbor-crm')!.declarations.apps.map((a) => a.name)).not.toContain('QuickChart Widgets');
    expect(reasonsFor('harbor-crm', 'quickchart.blacklistedConsumer-meta.xml')).toMatchObject([{ severity: 'info', code: 'CAP510' }]);
  });

  it('SSO-only, logo-only and canvas-only connected apps are not OAuth apps: one reason each, no declaration', () => {
    for (const [repo, file, name] of [
      ['harbor-crm', 'Team_Wiki.connectedApp-meta.xml', 'Team Wiki'],
      ['harbor-crm', 'Brand_Tile.connectedApp-meta.xml', 'Brand Tile'],
      ['tidewater-ops', 'Expense_SSO.connectedApp-meta.xml', 'Expense SSO'],
      ['tidewater-ops', 'Lobby_Display.connectedApp-meta.xml', 'Lobby Display'],
    ] as const) {
      expect(imported.results.get(repo)!.declarations.apps.map((a) => a.name)).not.toContain(name);
      const reasons = reasonsFor(repo, `connectedApps/${file}`);
      expect(reasons, file).toMatchObject([{ severity: 'info', code: 'CAP504' }]);
      expect(reasons[0]!.message).toContain(`"${name}"`);
    }
  });

  it('Board Canvas: a canvas app with OAuth; canvas and multi-line callback URLs ignored, profiles in file order', () => {
    const app = appOf('tidewater-ops', 'Board Canvas');
    expect(app.policies).toEqual({
      permittedUsers: 'admin-approved',
      profiles: ['Planner', 'Standard User', 'Read Only'],
      permissionSets: ['Board Editors'],
      ipRelaxation: 'ENFORCE_RELAXREFRESH',
      refreshTokenPolicy: 'specific_inactivity:90:DAYS',
    });
    expect(Object.keys(app)).toEqual(['apiVersion', 'kind', 'org', 'name', 'installed', 'policies']);
  });

  it('external client apps take their policies from their OAuth policy file: all-users, and admin-approved with comma-separated lists', () => {
    expect(appOf('tidewater-ops', 'Report Bridge')).toEqual({
      apiVersion: 'capctl/v1',
      kind: 'ExternalClientApp',
      org: 'acme-prod',
      name: 'Report Bridge',
      installed: true,
      policies: { permittedUsers: 'all-users', ipRelaxation: 'BYPASS', refreshTokenPolicy: 'infinite' },
    });
    expect(appOf('tidewater-ops', 'Audit Feed').policies).toEqual({
      permittedUsers: 'admin-approved',
      profiles: ['System Administrator', 'Compliance Officer'],
      permissionSets: ['Audit Readers'],
      ipRelaxation: 'ENFORCE',
      refreshTokenPolicy: 'specific_inactivity:12:HOURS',
    });
  });

  it('the external client app files it does not manage each get their reason', () => {
    const ignored = imported.results.get('tidewater-ops')!.diagnostics.filter((d) => d.code === 'CAP505').map((d) => path.basename(d.file!));
    expect(ignored.sort()).toEqual([
      'Report_Bridge_glbloauth.ecaGlblOauth-meta.xml',
      'Report_Bridge_oauth.ecaOauth-meta.xml',
      'Report_Bridge_oauthSecurity.ecaOauthSecurity-meta.xml',
      'Report_Bridge_plcy.ecaPlcy-meta.xml',
    ]);
  });

  it('an external client app without a policy file imports without policies; a policy file without its app is not used', () => {
    expect(appOf('odd-shapes', 'Bare Connector')).toEqual({ apiVersion: 'capctl/v1', kind: 'ExternalClientApp', org: 'acme-prod', name: 'Bare Connector', installed: true });
    expect(reasonsFor('odd-shapes', 'Bare_Connector.eca-meta.xml')).toMatchObject([{ severity: 'info', code: 'CAP511' }]);
    expect(reasonsFor('odd-shapes', 'Gone_App_oauthPlcy.ecaOauthPlcy-meta.xml')).toMatchObject([{ severity: 'warning', code: 'CAP512' }]);
  });

  it('R&D Console: a byte order mark, CR LF, comments, CDATA and an entity; profiles under oauthConfig', () => {
    expect(appOf('odd-shapes', 'R&D Console').policies).toEqual({ permittedUsers: 'admin-approved', profiles: ['Lab Technician'], permissionSets: [], ipRelaxation: 'BYPASS', refreshTokenPolicy: 'zero' });
  });

  it('Survey Kiosk: assignments listed on an all-users app are left out (R7), with a warning', () => {
    expect(appOf('odd-shapes', 'Survey Kiosk').policies).toEqual({ permittedUsers: 'all-users', ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' });
    expect(reasonsFor('odd-shapes', 'Survey_Kiosk.connectedApp-meta.xml')).toMatchObject([{ severity: 'warning', code: 'CAP509' }]);
  });

  it('org settings: ConnectedApp and OauthOidc settings, same sense; OauthOidc alone leaves adminApprovedAppsOnly out', () => {
    expect(imported.results.get('harbor-crm')!.declarations.settings).toEqual({
      apiVersion: 'capctl/v1',
      kind: 'OrgSettings',
      org: 'acme-prod',
      adminApprovedAppsOnly: true,
      oauthFlows: { blockUsernamePassword: true, blockUserAgent: false, allowAuthorizationCodeAndCredentials: true },
    });
    expect(imported.results.get('tidewater-ops')!.declarations.settings).toEqual({
      apiVersion: 'capctl/v1',
      kind: 'OrgSettings',
      org: 'acme-prod',
      oauthFlows: { blockUsernamePassword: false, blockUserAgent: true, allowAuthorizationCodeAndCredentials: false },
    });
    expect(imported.results.get('odd-shapes')!.declarations).not.toHaveProperty('settings');
  });
});

describe.skipIf(!realSamples.present)(overSet('field by field', realSamples), () => {
  const imported = importedTrees(realSamples);
  const appOf = (repo: string, name: string) => appIn(imported, repo, name);
  const results = imported.results;

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
