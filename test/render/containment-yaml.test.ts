// capctl contain's edit of a declaration: blocked: true, and not one other byte changed.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { setBlockedInYaml } from '../../src/render/containment-yaml.js';

const two = `# Two apps in one file.
apiVersion: capctl/v1
kind: ConnectedApp
org: acme-prod
name: Drift          # the label the org shows
installed: true
---
apiVersion: capctl/v1
kind: ExternalClientApp
org: acme-prod
name: Gainsight
blocked: false   # let in after review, INC-7000
policies: { permittedUsers: all-users }
`;

describe('setBlockedInYaml', () => {
  it('adds blocked: true after the name of the document that declares the app', () => {
    expect(setBlockedInYaml(two, 'Drift')).toBe(two.replace('# the label the org shows\n', '# the label the org shows\nblocked: true\n'));
  });

  it('replaces the value of blocked, keeping its comment and the flow mapping below it', () => {
    expect(setBlockedInYaml(two, 'Gainsight')).toBe(two.replace('blocked: false   #', 'blocked: true   #'));
    const docs = parseAllDocuments(setBlockedInYaml(two, 'Gainsight')!).map((d) => d.toJS() as { blocked?: boolean });
    expect(docs.map((d) => d.blocked)).toEqual([undefined, true]);
  });

  it('works on a file without a final newline, and returns undefined when no app of that name is declared', () => {
    expect(setBlockedInYaml('apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Drift', 'Drift')).toBe(
      'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Drift\nblocked: true\n',
    );
    expect(setBlockedInYaml(two, 'Drfit')).toBeUndefined();
    expect(setBlockedInYaml('apiVersion: capctl/v1\nkind: Revocation\norg: acme-prod\nname: Drift\n', 'Drift')).toBeUndefined();
  });
});
