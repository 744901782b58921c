// Declarations → desired-state YAML files (pure): what `capctl import` writes. Fields come out in
// one stable order (the order SPEC §3 shows them), so that two imports of the same org give the
// same bytes and a re-import after a change gives a small, readable diff.
import { Document } from 'yaml';
import type { AppDoc, Declarations, OrgSettingsDoc, RevocationDoc } from '../model/index.js';
import { byCodePoint } from '../plan/names.js';

/** One file to write, relative to the desired-state folder. */
export interface DesiredFile {
  path: string;
  text: string;
}

const appFieldOrder = ['apiVersion', 'kind', 'org', 'name', 'id', 'installed', 'blocked', 'owner', 'vendor', 'criticality', 'policies'] as const;
const policyFieldOrder = ['permittedUsers', 'profiles', 'permissionSets', 'ipRelaxation', 'refreshTokenPolicy'] as const;
const settingsFieldOrder = ['apiVersion', 'kind', 'org', 'adminApprovedAppsOnly', 'unmanagedApps', 'oauthFlows', 'guards', 'rules'] as const;
const flowFieldOrder = ['blockUsernamePassword', 'blockUserAgent', 'allowAuthorizationCodeAndCredentials'] as const;
const guardFieldOrder = ['protectedApps', 'maxSessionsEnded'] as const;
const revocationFieldOrder = ['apiVersion', 'kind', 'org', 'id', 'app', 'users', 'issuedBefore', 'reason'] as const;

/** A copy of `value` with its fields in `order` (fields not listed, and undefined ones, dropped). */
function ordered<T extends object>(value: T, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const key of order) if (record[key] !== undefined) out[key] = record[key];
  return out;
}

/** An app document as a plain object in the stable field order. */
export function orderAppDoc(doc: AppDoc): Record<string, unknown> {
  const out = ordered(doc, appFieldOrder);
  if (doc.policies) out.policies = ordered(doc.policies, policyFieldOrder);
  return out;
}

/** An org settings document as a plain object in the stable field order. */
export function orderOrgSettingsDoc(doc: OrgSettingsDoc): Record<string, unknown> {
  const out = ordered(doc, settingsFieldOrder);
  if (doc.oauthFlows) out.oauthFlows = ordered(doc.oauthFlows, flowFieldOrder);
  if (doc.guards) out.guards = ordered(doc.guards, guardFieldOrder);
  return out;
}

/** One YAML document with a header comment (each line of `header` becomes a `# ` line), and optionally a trailing one. */
export function renderYamlDocument(value: Record<string, unknown>, header: string, trailer?: string): string {
  const doc = new Document(value);
  const comment = (text: string) =>
    text
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n');
  doc.commentBefore = comment(header);
  if (trailer !== undefined) doc.comment = comment(trailer);
  return doc.toString({ lineWidth: 0 });
}

/**
 * What the org cannot tell and a person should fill in, below an imported app that lacks it: the
 * fields the risk rules read (SPEC §14), as comments to uncomment.
 */
function ownershipTrailer(app: AppDoc): string | undefined {
  const lines = [
    ...(app.owner === undefined ? ['owner: team@example.com    # who answers for this app (risk rule CAPR003)'] : []),
    ...(app.vendor === undefined ? ['vendor: Vendor Inc.        # who makes it (capctl contain --vendor)'] : []),
    ...(app.criticality === undefined ? ['criticality: medium        # low | medium | high (risk rule CAPR004)'] : []),
  ];
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** A file-name slug of an app name: `Salesforce for iOS` → `salesforce-for-ios`. */
export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug === '' ? 'app' : slug;
}

/**
 * A file slug for each name, unique: a name whose slug no other name shares keeps it; names that
 * share one are taken in code-point order, the first keeps the slug and the others get `-2`, `-3`…
 * (skipping any slug already in use), so the result depends only on the set of names.
 */
export function uniqueSlugs(names: readonly string[]): Map<string, string> {
  const sorted = [...new Set(names)].sort(byCodePoint);
  const groups = new Map<string, string[]>();
  for (const name of sorted) {
    const slug = slugOf(name);
    groups.set(slug, [...(groups.get(slug) ?? []), name]);
  }
  const taken = new Set(groups.keys());
  const result = new Map<string, string>();
  for (const [slug, group] of groups) {
    result.set(group[0]!, slug);
    let n = 2;
    for (const name of group.slice(1)) {
      while (taken.has(`${slug}-${n}`)) n++;
      taken.add(`${slug}-${n}`);
      result.set(name, `${slug}-${n}`);
    }
  }
  return result;
}

/**
 * The desired-state files of one org's declarations: `org.yaml` (its settings), `apps/<slug>.yaml`
 * (one per app) and `revocations/<slug>.yaml` (one per revocation), each with a header comment
 * that says where it came from (`source`, e.g. `the org store org-state/acme-prod (revision 7)`).
 * Sorted by path.
 */
export function renderDesiredFiles(declarations: Declarations, options: { source: string }): DesiredFile[] {
  const header = (what: string) => `${what} of ${declarations.org}, written by capctl import from ${options.source}.\nEdit freely: a field left out is not managed.`;
  const files: DesiredFile[] = [];
  if (declarations.settings) {
    files.push({ path: 'org.yaml', text: renderYamlDocument(orderOrgSettingsDoc(declarations.settings), header('Org settings')) });
  }
  const appSlugs = uniqueSlugs(declarations.apps.map((app) => app.name));
  for (const app of declarations.apps) {
    files.push({ path: `apps/${appSlugs.get(app.name)!}.yaml`, text: renderYamlDocument(orderAppDoc(app), header(`${app.kind} "${app.name}"`), ownershipTrailer(app)) });
  }
  const revocationSlugs = uniqueSlugs(declarations.revocations.map((r: RevocationDoc) => r.id));
  for (const revocation of declarations.revocations) {
    files.push({
      path: `revocations/${revocationSlugs.get(revocation.id)!}.yaml`,
      text: renderYamlDocument(ordered(revocation, revocationFieldOrder), header(`Revocation ${revocation.id}`)),
    });
  }
  return files.sort((a, b) => byCodePoint(a.path, b.path));
}
