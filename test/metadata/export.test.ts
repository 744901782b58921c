// capctl export: declarations into metadata. Round trips both ways, only managed elements change,
// and no credential is ever written.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managedElementPaths, planMetadataExport, type ExistingFile } from '../../src/metadata/plan-export.js';
import { parseMetadataTree } from '../../src/metadata/parse-metadata.js';
import { readMetadataTree, findMetadataFiles } from '../../src/metadata/read-metadata.js';
import { writeMetadataExport } from '../../src/metadata/write-metadata.js';
import { classifyMetadataFile } from '../../src/metadata/metadata-types.js';
import { childNodes, elementName, parseXmlDocument, type XmlNode } from '../../src/metadata/xml-document.js';
import type { AppDoc, Declarations, DeclaredPolicies } from '../../src/model/index.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';
import { buildSampleTrees, metadataSets, overSet } from '../helpers/samples.js';

const org = 'acme-prod';

/** The declarations an export then import of `declarations` gives back. */
function roundTrip(declarations: Declarations, existing: ExistingFile[] = []): Declarations {
  const plan = planMetadataExport(declarations, existing, 'force-app/main/default');
  const written = new Map(existing.map((f) => [f.path, f.text]));
  for (const w of plan.writes) written.set(w.path, w.text);
  return parseMetadataTree([...written].map(([p, text]) => ({ path: p, text })), org).declarations;
}

const nameArb = fc
  .string({ minLength: 1, maxLength: 20, unit: fc.constantFrom('a', 'B', 'z', ' ', '&', '<', '>', '"', "'", 'é', '日', '-', '_', '1', '.') })
  .filter((s) => s.trim() === s && s !== '');
const listArb = fc.uniqueArray(nameArb.filter((s) => !s.includes(',')), { maxLength: 4 });
const refreshArb = fc.oneof(
  fc.constantFrom('infinite', 'zero'),
  fc.tuple(fc.constantFrom('specific_lifetime', 'specific_inactivity'), fc.integer({ min: 1, max: 9999 }), fc.constantFrom('HOURS', 'DAYS', 'MONTHS')).map(([h, n, u]) => `${h}:${n}:${u}`),
);
const policiesArb: fc.Arbitrary<DeclaredPolicies | undefined> = fc.option(
  fc
    .record(
      {
        permittedUsers: fc.constantFrom('admin-approved', 'all-users') as fc.Arbitrary<'admin-approved' | 'all-users'>,
        ipRelaxation: fc.constantFrom('ENFORCE', 'BYPASS_2FACTOR', 'BYPASS', 'ENFORCE_RELAXREFRESH') as fc.Arbitrary<DeclaredPolicies['ipRelaxation']>,
        refreshTokenPolicy: refreshArb,
        profiles: listArb,
        permissionSets: listArb,
      },
      { requiredKeys: [] },
    )
    .map((p) => {
      // The metadata form of a policy set: lists only with admin-approved (R7), and then both.
      const out: DeclaredPolicies = { ...p };
      if (out.permittedUsers !== 'admin-approved') {
        delete out.profiles;
        delete out.permissionSets;
      } else {
        out.profiles ??= [];
        out.permissionSets ??= [];
      }
      return out;
    })
    .filter((p) => Object.keys(p).length > 0),
  { nil: undefined },
);
const appArb = fc.record({
  name: nameArb,
  kind: fc.constantFrom('ConnectedApp', 'ExternalClientApp') as fc.Arbitrary<AppDoc['kind']>,
  thirdParty: fc.boolean(),
  blocked: fc.boolean(),
  policies: policiesArb,
});
const declarationsArb: fc.Arbitrary<Declarations> = fc
  .record({
    apps: fc.uniqueArray(appArb, { selector: (a) => a.name, maxLength: 6 }),
    adminApprovedAppsOnly: fc.option(fc.boolean(), { nil: undefined }),
    flows: fc.record({ blockUsernamePassword: fc.boolean(), blockUserAgent: fc.boolean(), allowAuthorizationCodeAndCredentials: fc.boolean() }, { requiredKeys: [] }),
  })
  .map(({ apps, adminApprovedAppsOnly, flows }) => {
    const docs = apps.map((a): AppDoc => {
      // A blocked app the tree holds no metadata of: only its block (always a connected app then).
      if (a.thirdParty && a.blocked) return { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: a.name, blocked: true };
      return { apiVersion: 'capctl/v1', kind: a.kind, org, name: a.name, installed: true, ...(a.blocked ? { blocked: true } : {}), ...(a.policies ? { policies: a.policies } : {}) };
    });
    const settings =
      adminApprovedAppsOnly === undefined && Object.keys(flows).length === 0
        ? undefined
        : { apiVersion: 'capctl/v1' as const, kind: 'OrgSettings' as const, org, ...(adminApprovedAppsOnly === undefined ? {} : { adminApprovedAppsOnly }), ...(Object.keys(flows).length ? { oauthFlows: flows } : {}) };
    return { org, ...(settings ? { settings } : {}), apps: docs.sort((a, b) => (a.name < b.name ? -1 : 1)), revocations: [] };
  });

describe('export then import', () => {
  it('gives back the same declarations (property)', () => {
    fc.assert(
      fc.property(declarationsArb, (declarations) => {
        expect(roundTrip(declarations)).toEqual(declarations);
      }),
      { numRuns: 150 },
    );
  });

  it('creates minimal files under the package folder, without any credential', () => {
    const plan = planMetadataExport(
      {
        org,
        apps: [
          { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: 'DocuSign eSignature', installed: true, owner: 'esign@acme.example', policies: { permittedUsers: 'admin-approved', permissionSets: ['DocuSign Senders'] } },
          { apiVersion: 'capctl/v1', kind: 'ExternalClientApp', org, name: 'Acme Data Bridge', installed: true, policies: { refreshTokenPolicy: 'specific_lifetime:90:DAYS' } },
          { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: 'Dropbox', blocked: true },
        ],
        revocations: [],
      },
      [],
      'force-app/main/default',
    );
    expect(plan.writes.map((w) => [w.path, w.created])).toEqual([
      ['force-app/main/default/blacklistedConsumers/Dropbox.blacklistedConsumer-meta.xml', true],
      ['force-app/main/default/connectedApps/DocuSign_eSignature.connectedApp-meta.xml', true],
      ['force-app/main/default/externalClientApps/Acme_Data_Bridge.eca-meta.xml', true],
      ['force-app/main/default/extlClntAppOauthPolicies/Acme_Data_Bridge_oauthPlcy.ecaOauthPlcy-meta.xml', true],
    ]);
    expect(plan.writes[1]!.text).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">',
        '    <contactEmail>esign@acme.example</contactEmail>',
        '    <label>DocuSign eSignature</label>',
        '    <oauthConfig>',
        '        <isAdminApproved>true</isAdminApproved>',
        '    </oauthConfig>',
        '    <permissionSetName>DocuSign Senders</permissionSetName>',
        '</ConnectedApp>',
        '',
      ].join('\n'),
    );
    expect(plan.writes[3]!.text).toContain('<refreshTokenPolicyType>SpecificLifetime</refreshTokenPolicyType>\n    <refreshTokenValidityPeriod>90</refreshTokenValidityPeriod>\n    <refreshTokenValidityUnit>Days</refreshTokenValidityUnit>');
    // The external client app has no owner email: a placeholder, and a warning saying so.
    expect(plan.diagnostics).toMatchObject([{ severity: 'warning', code: 'CAP521' }]);
    for (const write of plan.writes) expect(write.text).not.toMatch(/consumerKey|consumerSecret|certificate/);
  });

  it('says what metadata cannot say: uninstalling, unblocking, revocations, a kind that does not match', () => {
    const existing: ExistingFile[] = [
      { path: 'connectedApps/Zoom.connectedApp-meta.xml', text: '<ConnectedApp><label>Zoom</label><oauthConfig></oauthConfig></ConnectedApp>' },
      { path: 'blacklistedConsumers/W.blacklistedConsumer-meta.xml', text: '<BlacklistedConsumer><consumerName>Workbench</consumerName></BlacklistedConsumer>' },
      { path: 'externalClientApps/Bridge.eca-meta.xml', text: '<ExternalClientApplication><label>Bridge</label></ExternalClientApplication>' },
      {
        path: 'blacklistedConsumers/Q.blacklistedConsumer-meta.xml',
        text: '<BlacklistedConsumer>\n    <blockedByApiWhitelisting>true</blockedByApiWhitelisting>\n    <consumerName>Quip</consumerName>\n</BlacklistedConsumer>\n',
      },
    ];
    const plan = planMetadataExport(
      {
        org,
        apps: [
          { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: 'Zoom', installed: false },
          { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: 'Workbench', blocked: false },
          { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: 'Bridge', installed: true, policies: { ipRelaxation: 'BYPASS' } },
          { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: 'Quip', blocked: true },
        ],
        revocations: [{ apiVersion: 'capctl/v1', kind: 'Revocation', org, id: 'INC-1', app: 'Zoom', users: 'all', issuedBefore: '2026-01-01T00:00:00Z', reason: 'r' }],
      },
      existing,
      '',
    );
    // Quip was blocked only by allowlisting: declaring it blocked makes the block its own.
    expect(plan.writes).toEqual([
      {
        path: 'blacklistedConsumers/Q.blacklistedConsumer-meta.xml',
        created: false,
        text: '<BlacklistedConsumer>\n    <blockedByApiWhitelisting>false</blockedByApiWhitelisting>\n    <consumerName>Quip</consumerName>\n</BlacklistedConsumer>\n',
      },
    ]);
    expect(plan.diagnostics.map((d) => [d.code, d.file])).toEqual([
      ['CAP520', 'connectedApps/Zoom.connectedApp-meta.xml'],
      ['CAP523', 'blacklistedConsumers/W.blacklistedConsumer-meta.xml'],
      ['CAP522', 'externalClientApps/Bridge.eca-meta.xml'],
      ['CAP520', undefined],
    ]);
  });
});

/** A metadata tree as plain data: its managed elements and all whitespace between elements removed. */
function withoutManaged(text: string, file: string): unknown {
  const kind = classifyMetadataFile(file);
  if (!kind || 'ignored' in kind) throw new Error(file);
  const doc = parseXmlDocument(text);
  if ('error' in doc) throw new Error(doc.error);
  const managed = managedElementPaths(kind.type.kind).map((p) => p.join('/'));
  const strip = (node: XmlNode, at: string): XmlNode => {
    const name = elementName(node);
    if (name === undefined) return node;
    const children = childNodes(node)
      .filter((child) => !(typeof child['#text'] === 'string' && /^\s*$/.test(child['#text'])))
      .filter((child) => !managed.includes([at, elementName(child)].filter(Boolean).join('/')))
      .map((child) => strip(child, [at, elementName(child)].filter(Boolean).join('/')));
    return { ...node, [name]: children };
  };
  return { prolog: doc.prolog, epilogue: doc.epilogue, root: strip(doc.root, '') };
}

for (const set of metadataSets) {
  describe.skipIf(!set.present)(overSet('export into the sfdx trees', set), () => {
    let root: string;
    let trees: Map<string, string>;
    beforeAll(async () => {
      root = await makeTempDir();
      trees = (await buildSampleTrees(root, set)).trees;
    });
    afterAll(() => removeDir(root));

    async function snapshot(tree: string): Promise<Map<string, string>> {
      const files = new Map<string, string>();
      for (const relative of await findMetadataFiles(tree)) files.set(relative, await readFile(path.join(tree, relative), 'utf8'));
      return files;
    }

    it('import then export changes nothing', async () => {
      for (const [repo, tree] of trees) {
        const before = await snapshot(tree);
        const imported = await readMetadataTree(tree, org);
        const plan = await writeMetadataExport(tree, imported.declarations);
        expect(plan.writes, repo).toEqual([]);
        expect(await snapshot(tree)).toEqual(before);
      }
    });

    it('changes only the managed elements of an existing file, keeps every credential, and imports back what it wrote', async () => {
      for (const [repo, tree] of trees) {
        const before = await snapshot(tree);
        const { declarations } = await readMetadataTree(tree, org);
        // Change every managed value of every app and of the settings.
        const changed: Declarations = {
          ...declarations,
          apps: declarations.apps.map((app) => {
            if (app.installed !== true) return app;
            const admin = app.policies?.permittedUsers !== 'admin-approved';
            return {
              ...app,
              policies: {
                permittedUsers: admin ? 'admin-approved' : 'all-users',
                ...(admin ? { profiles: ['Integration User', 'System Administrator'], permissionSets: ['API Integration'] } : {}),
                ipRelaxation: app.policies?.ipRelaxation === 'ENFORCE' ? 'BYPASS_2FACTOR' : 'ENFORCE',
                refreshTokenPolicy: 'specific_inactivity:30:DAYS',
              },
            };
          }),
          ...(declarations.settings
            ? { settings: { ...declarations.settings, oauthFlows: { blockUsernamePassword: true, blockUserAgent: true, allowAuthorizationCodeAndCredentials: true }, ...(declarations.settings.adminApprovedAppsOnly === undefined ? {} : { adminApprovedAppsOnly: true }) } }
            : {}),
        };
        const plan = await writeMetadataExport(tree, changed);
        const after = await snapshot(tree);
        for (const [file, text] of before) {
          const now = after.get(file)!;
          const kind = classifyMetadataFile(file);
          if (!kind || 'ignored' in kind) {
            expect(now, `${file} is not capctl's`).toBe(text);
            continue;
          }
          expect(withoutManaged(now, file), `${repo}/${file}`).toEqual(withoutManaged(text, file));
          for (const secret of ['consumerKey', 'consumerSecret', 'certificate']) {
            expect(now.split(`<${secret}>`).length, `${file} <${secret}>`).toBe(text.split(`<${secret}>`).length);
          }
        }
        // Files it created hold no credential at all.
        for (const write of plan.writes.filter((w) => w.created)) expect(write.text).not.toMatch(/consumerKey|consumerSecret|certificate/);
        const back = await readMetadataTree(tree, org);
        expect(back.declarations.apps, repo).toEqual(changed.apps.map((app) => (app.policies?.permittedUsers === 'all-users' ? { ...app, policies: { ...app.policies } } : app)));
        expect(back.declarations.settings).toEqual(changed.settings);
      }
    });
  });
}
