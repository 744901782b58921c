import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { compileSchema } from '../../src/load/schemas.js';
import type { AppDoc, Declarations } from '../../src/model/index.js';
import { renderDesiredFiles, slugOf, uniqueSlugs } from '../../src/render/desired-yaml.js';

const validate = compileSchema('desired-state.schema.json');

describe('renderDesiredFiles', () => {
  const slack: AppDoc = {
    policies: { refreshTokenPolicy: 'infinite', permissionSets: ['Slack Access'], permittedUsers: 'admin-approved', ipRelaxation: 'ENFORCE', profiles: [] },
    owner: 'collab-tools@acme.example',
    blocked: false,
    installed: true,
    id: '0H4Hp000000TN1xKAG',
    name: 'Slack',
    org: 'acme-prod',
    kind: 'ConnectedApp',
    apiVersion: 'capctl/v1',
  };
  const declarations: Declarations = {
    org: 'acme-prod',
    settings: { guards: { maxSessionsEnded: 10, protectedApps: ['Salesforce CLI'] }, oauthFlows: { blockUserAgent: true, blockUsernamePassword: true }, unmanagedApps: 'report', adminApprovedAppsOnly: false, org: 'acme-prod', kind: 'OrgSettings', apiVersion: 'capctl/v1' },
    apps: [slack],
    revocations: [{ reason: 'leak', issuedBefore: '2026-11-20T00:00:00Z', users: 'all', app: 'Slack', id: 'INC-2041', org: 'acme-prod', kind: 'Revocation', apiVersion: 'capctl/v1' }],
  };

  it('writes fields in the SPEC order, with a header comment saying where they came from', () => {
    const files = renderDesiredFiles(declarations, { source: 'the org store org-state (revision 7)' });
    expect(files.map((f) => f.path)).toEqual(['apps/slack.yaml', 'org.yaml', 'revocations/inc-2041.yaml']);
    const app = files[0]!.text;
    expect(app.startsWith('# ConnectedApp "Slack" of acme-prod, written by capctl import from the org store org-state (revision 7).\n')).toBe(true);
    const keys = [...app.matchAll(/^ *([A-Za-z]+):/gm)].map((m) => m[1]);
    expect(keys).toEqual(['apiVersion', 'kind', 'org', 'name', 'id', 'installed', 'blocked', 'owner', 'policies', 'permittedUsers', 'profiles', 'permissionSets', 'ipRelaxation', 'refreshTokenPolicy']);
    const settingsKeys = [...files[1]!.text.matchAll(/^ *([A-Za-z]+):/gm)].map((m) => m[1]);
    expect(settingsKeys).toEqual(['apiVersion', 'kind', 'org', 'adminApprovedAppsOnly', 'unmanagedApps', 'oauthFlows', 'blockUsernamePassword', 'blockUserAgent', 'guards', 'protectedApps', 'maxSessionsEnded']);
  });

  it('leaves vendor and criticality (and owner, when the app has none) for people to fill, as comments below the app', () => {
    const [app] = renderDesiredFiles(declarations, { source: 'the org store org-state (revision 7)' });
    expect(app!.text.endsWith('\n# vendor: Vendor Inc.        # who makes it (capctl contain --vendor)\n# criticality: medium        # low | medium | high (risk rule CAPR004)\n')).toBe(true);
    expect(app!.text).not.toContain('# owner:');
    const { owner: _, ...unowned } = slack;
    const [bare] = renderDesiredFiles({ ...declarations, apps: [unowned] }, { source: 'x' });
    expect(bare!.text).toContain('\n# owner: team@example.com    # who answers for this app (risk rule CAPR003)\n');
    // uncommented, they are a valid declaration
    const filled = bare!.text.replace(/^# (owner|vendor|criticality): (\S+(?: Inc\.)?) .*$/gm, '$1: $2');
    const [doc] = parseAllDocuments(filled).map((d) => d.toJS() as AppDoc);
    expect(doc).toMatchObject({ owner: 'team@example.com', vendor: 'Vendor Inc.', criticality: 'medium' });
    expect(validate(doc)).toBe(true);
    const [full] = renderDesiredFiles({ ...declarations, apps: [{ ...slack, vendor: 'Salesforce', criticality: 'high' }] }, { source: 'x' });
    expect(full!.text).not.toContain('# vendor');
    expect(full!.text).toContain('owner: collab-tools@acme.example\nvendor: Salesforce\ncriticality: high\n');
  });

  it('writes YAML that parses back to the same documents and validates against the schema', () => {
    for (const file of renderDesiredFiles(declarations, { source: 'x' })) {
      const docs = parseAllDocuments(file.text).map((d) => d.toJS() as object);
      expect(docs).toHaveLength(1);
      expect(validate(docs[0]), JSON.stringify(validate.errors)).toBe(true);
    }
    const back = parseAllDocuments(renderDesiredFiles(declarations, { source: 'x' })[0]!.text)[0]!.toJS() as AppDoc;
    expect(back).toEqual(slack);
  });

  it('keeps names that look like other YAML types as strings', () => {
    const names = ['true', 'null', '123', '2026-11-20', 'a: b', '- x', '#tag', "O'Reilly \"Sync\"", 'Übersicht & Co'];
    const apps = names.map((name) => ({ apiVersion: 'capctl/v1', kind: 'ConnectedApp', org: 'acme-prod', name }) as AppDoc);
    const files = renderDesiredFiles({ org: 'acme-prod', apps, revocations: [] }, { source: 'x' });
    const back = files.map((f) => (parseAllDocuments(f.text)[0]!.toJS() as AppDoc).name).sort();
    expect(back).toEqual([...names].sort());
  });
});

describe('file names', () => {
  it('slugs app names', () => {
    expect(slugOf('Slack')).toBe('slack');
    expect(slugOf('Salesforce for iOS')).toBe('salesforce-for-ios');
    expect(slugOf('DocuSign eSignature')).toBe('docusign-esignature');
    expect(slugOf('Übersicht & Co.')).toBe('ubersicht-co');
    expect(slugOf('日本語')).toBe('app');
    expect(slugOf('x'.repeat(100))).toHaveLength(60);
  });

  it('disambiguates colliding slugs deterministically, whatever the input order', () => {
    const names = ['Foo Bar', 'foo-bar', 'FOO BAR', 'Foo Bar 2', 'Other'];
    const slugs = uniqueSlugs(names);
    expect(Object.fromEntries(slugs)).toEqual({ 'FOO BAR': 'foo-bar', 'Foo Bar': 'foo-bar-3', 'foo-bar': 'foo-bar-4', 'Foo Bar 2': 'foo-bar-2', Other: 'other' });
    expect(uniqueSlugs([...names].reverse())).toEqual(slugs);
  });

  it('gives every name its own file (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 30 }), (names) => {
        const slugs = uniqueSlugs(names);
        expect(new Set(slugs.values()).size).toBe(names.length);
        for (const slug of slugs.values()) expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      }),
    );
  });
});
