// An sfdx source tree's access metadata → declarations (pure). Reads only what the field map
// names; every file it cannot use gets one diagnostic naming the file and the reason, and the rest
// still imports.
import type { AppDoc, DeclaredPolicies, Declarations, Diagnostic, OrgSettingsDoc } from '../model/index.js';
import { Codes } from '../model/index.js';
import { hostPath, valueRows, type ElementTexts, type FieldMapping } from './field-map.js';
import { classifyMetadataFile, fullNameOf, type MetadataFileKind } from './metadata-types.js';
import { childElement, childElements, childText, elementName, parseXmlDocument, textOf, type XmlNode } from './xml-document.js';
import { byCodePoint } from '../plan/names.js';

/** One file of the tree: its path (as it is shown to people) and its text, or why it was not read. */
export interface MetadataFile {
  path: string;
  text?: string;
  /** Why the file could not be read (not UTF-8, too large, …). */
  unreadable?: string;
}

/** What a tree declares, which files it was taken from, and every remark. */
export interface ParsedMetadata {
  declarations: Declarations;
  /** The files that contributed to the declarations, sorted. */
  used: string[];
  diagnostics: Diagnostic[];
}

/** Texts of the child elements of `host` named like the argument, trimmed. */
function textsUnder(host: XmlNode | undefined): ElementTexts {
  return (element) => (host === undefined ? [] : childElements(host, element).map((child) => textOf(child).trim()));
}

/** The element at `path` below `root` ([] is the root itself). */
export function elementAt(root: XmlNode, path: readonly string[]): XmlNode | undefined {
  let node: XmlNode | undefined = root;
  for (const name of path) node = node === undefined ? undefined : childElement(node, name);
  return node;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
}

/**
 * Reads every value row of a metadata type from a root element into `target` (a declaration).
 * A row whose element is absent leaves the field out; a value it cannot map is a warning.
 */
function readRows(root: XmlNode, metadataType: MetadataFileKind, target: Record<string, unknown>, file: string, diagnostics: Diagnostic[]): void {
  for (const row of valueRows(metadataType)) {
    const decoded = decodeRow(root, row);
    if (decoded.problem !== undefined) {
      diagnostics.push({ severity: 'warning', code: Codes.metadataBadValue, file, message: `${decoded.problem}: ${row.spec} left out` });
    } else if (decoded.value !== undefined) {
      setPath(target, row.spec, decoded.value);
    }
  }
}

/** Decodes one row from a root element, looking in the row's usual place and then its alternates. */
export function decodeRow(root: XmlNode, row: FieldMapping): { value?: unknown; problem?: string; host?: string[] } {
  for (const element of [row.element, ...(row.alsoAt ?? [])]) {
    const host = hostPath(element);
    const decoded = row.codec!.decode(textsUnder(elementAt(root, host)));
    if (decoded.value !== undefined || decoded.problem !== undefined) return { ...decoded, host };
  }
  return {};
}

interface Candidate {
  doc: AppDoc;
  file: string;
  /** Other files that contributed (an external client app's policy file). */
  more: string[];
}

/** Drops assignments that SPEC R7 forbids with `all-users`, saying so. */
function normalizeAssignments(candidate: Candidate, diagnostics: Diagnostic[]): void {
  const policies = candidate.doc.policies;
  if (!policies) return;
  if (policies.permittedUsers === 'all-users') {
    const dropped = (['profiles', 'permissionSets'] as const).filter((key) => policies[key] !== undefined);
    for (const key of dropped) delete policies[key];
    if (dropped.length > 0) {
      diagnostics.push({
        severity: 'warning',
        code: Codes.metadataAssignmentsDropped,
        file: candidate.file,
        message: `${candidate.doc.name}: ${dropped.join(' and ')} listed but users self-authorize (all-users): assignments apply only to admin-approved apps (R7), left out`,
      });
    }
  } else if (policies.permittedUsers === 'admin-approved') {
    // An admin-approved app's assignments are all listed in its metadata: none listed means none.
    policies.profiles ??= [];
    policies.permissionSets ??= [];
  }
}

/**
 * The external client app an OAuth policy file belongs to: its <externalClientApplication>, or
 * else its own full name without the `_oauthPlcy` suffix.
 */
export function ecaOfPolicies(root: XmlNode, fullName: string): string {
  return childText(root, 'externalClientApplication') || fullName.replace(/_oauthPlcy$/i, '');
}

/**
 * Declarations for `org` from the files of one sfdx tree. Files are taken in path order, so the
 * first of two files naming the same app wins (the second gets a warning).
 */
export function parseMetadataTree(files: readonly MetadataFile[], org: string): ParsedMetadata {
  const diagnostics: Diagnostic[] = [];
  const remark = (severity: Diagnostic['severity'], code: string, file: string, message: string) => diagnostics.push({ severity, code, file, message });
  const candidates: Candidate[] = [];
  const ecas = new Map<string, Candidate>();
  const ecaPolicies: { file: string; app: string; root: XmlNode }[] = [];
  const blocks: { file: string; name: string }[] = [];
  const settings: Partial<Record<'ConnectedAppSettings' | 'OauthOidcSettings', { file: string; root: XmlNode }>> = {};

  for (const file of [...files].sort((a, b) => byCodePoint(a.path, b.path))) {
    const kind = classifyMetadataFile(file.path);
    if (kind === undefined) continue;
    if ('ignored' in kind) {
      remark('info', Codes.metadataNothingManaged, file.path, kind.ignored);
      continue;
    }
    if (file.text === undefined) {
      remark('warning', Codes.metadataNotReadable, file.path, `not read: ${file.unreadable ?? 'no text'}`);
      continue;
    }
    const parsed = parseXmlDocument(file.text);
    if ('error' in parsed) {
      remark('warning', Codes.metadataNotXml, file.path, `not used: ${parsed.error}`);
      continue;
    }
    const { type } = kind;
    const root = parsed.root;
    const rootName = elementName(root);
    if (rootName !== type.rootElement) {
      remark('warning', Codes.metadataUnexpectedRoot, file.path, `not used: its root element is <${rootName}>, not <${type.rootElement}>`);
      continue;
    }
    const fullName = fullNameOf(file.path, type);
    switch (type.kind) {
      case 'ConnectedApp': {
        const label = childText(root, 'label');
        if (!label) {
          remark('warning', Codes.metadataMissingLabel, file.path, 'not used: a connected app without a <label>');
          break;
        }
        if (!childElement(root, 'oauthConfig') && !childElement(root, 'oauthPolicy')) {
          remark('info', Codes.metadataNotOauth, file.path, `connected app "${label}" has no oauthConfig or oauthPolicy (SAML or canvas only): not an OAuth app, nothing to import`);
          break;
        }
        const doc: AppDoc = { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: label, installed: true };
        const policies: Record<string, unknown> = {};
        readRows(root, 'ConnectedApp', policies, file.path, diagnostics);
        doc.policies = (policies.policies as DeclaredPolicies | undefined) ?? {};
        candidates.push({ doc, file: file.path, more: [] });
        break;
      }
      case 'ExternalClientApplication': {
        const label = childText(root, 'label');
        if (!label) {
          remark('warning', Codes.metadataMissingLabel, file.path, 'not used: an external client app without a <label>');
          break;
        }
        const candidate = { doc: { apiVersion: 'capctl/v1', kind: 'ExternalClientApp', org, name: label, installed: true } as AppDoc, file: file.path, more: [] };
        candidates.push(candidate);
        if (!ecas.has(fullName)) ecas.set(fullName, candidate);
        break;
      }
      case 'ExtlClntAppOauthConfigurablePolicies': {
        ecaPolicies.push({ file: file.path, app: ecaOfPolicies(root, fullName), root });
        break;
      }
      case 'BlacklistedConsumer': {
        const name = childText(root, 'consumerName');
        if (!name) {
          remark('warning', Codes.metadataBlockNamesNoApp, file.path, 'not used: a blocked consumer without a <consumerName>');
          break;
        }
        if (/^true$/i.test(childText(root, 'blockedByApiWhitelisting') ?? '')) {
          remark('info', Codes.metadataBlockedByAllowlisting, file.path, `"${name}" is blocked by API client allowlisting, not by itself: not declared blocked`);
          break;
        }
        blocks.push({ file: file.path, name });
        break;
      }
      case 'ConnectedAppSettings':
      case 'OauthOidcSettings': {
        const earlier = settings[type.kind];
        if (earlier) {
          remark('warning', Codes.metadataDuplicateApp, file.path, `not used: ${earlier.file} already gives the ${type.kind}`);
          break;
        }
        settings[type.kind] = { file: file.path, root };
        break;
      }
    }
  }

  // External client apps take their policies from the policy file that names them.
  for (const policy of ecaPolicies) {
    const candidate = ecas.get(policy.app);
    if (!candidate) {
      remark('warning', Codes.metadataOrphanPolicies, policy.file, `not used: OAuth policies of external client app "${policy.app}", which the tree does not hold`);
      continue;
    }
    if (candidate.doc.policies) {
      remark('warning', Codes.metadataDuplicateApp, policy.file, `not used: ${candidate.more[0]} already gives the OAuth policies of "${candidate.doc.name}"`);
      continue;
    }
    const target: Record<string, unknown> = {};
    readRows(policy.root, 'ExtlClntAppOauthConfigurablePolicies', target, policy.file, diagnostics);
    candidate.doc.policies = (target.policies as DeclaredPolicies | undefined) ?? {};
    candidate.more.push(policy.file);
  }
  for (const [fullName, candidate] of ecas) {
    if (!candidate.doc.policies) {
      remark('info', Codes.metadataNoPolicies, candidate.file, `external client app "${candidate.doc.name}" has no ${fullName}_oauthPlcy.ecaOauthPlcy-meta.xml: imported without policies`);
    }
  }

  // One declaration per app name: the first file wins.
  const apps = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const earlier = apps.get(candidate.doc.name);
    if (earlier) {
      remark('warning', Codes.metadataDuplicateApp, candidate.file, `not used: ${earlier.file} already declares an app named "${candidate.doc.name}"`);
      continue;
    }
    normalizeAssignments(candidate, diagnostics);
    // An app whose metadata sets no policy declares none (rather than an empty `policies:`).
    if (candidate.doc.policies && Object.keys(candidate.doc.policies).length === 0) delete candidate.doc.policies;
    apps.set(candidate.doc.name, candidate);
  }
  for (const block of blocks) {
    const candidate = apps.get(block.name);
    if (candidate) {
      candidate.doc.blocked = true;
      candidate.more.push(block.file);
    } else {
      // An app the tree holds no metadata of (a third-party app): declared by the name the block gives.
      apps.set(block.name, { doc: { apiVersion: 'capctl/v1', kind: 'ConnectedApp', org, name: block.name, blocked: true }, file: block.file, more: [] });
    }
  }

  let settingsDoc: OrgSettingsDoc | undefined;
  const used: string[] = [];
  for (const kind of ['ConnectedAppSettings', 'OauthOidcSettings'] as const) {
    const found = settings[kind];
    if (!found) continue;
    const target: Record<string, unknown> = {};
    readRows(found.root, kind, target, found.file, diagnostics);
    settingsDoc ??= { apiVersion: 'capctl/v1', kind: 'OrgSettings', org };
    Object.assign(settingsDoc, { ...target, oauthFlows: { ...settingsDoc.oauthFlows, ...(target.oauthFlows as object | undefined) } });
    if (settingsDoc.oauthFlows && Object.keys(settingsDoc.oauthFlows).length === 0) delete settingsDoc.oauthFlows;
    used.push(found.file);
  }

  for (const candidate of apps.values()) used.push(candidate.file, ...candidate.more);
  const sortedApps = [...apps.values()].map((c) => c.doc).sort((a, b) => byCodePoint(a.name, b.name));
  return {
    declarations: { org, ...(settingsDoc ? { settings: settingsDoc } : {}), apps: sortedApps, revocations: [] },
    used: [...new Set(used)].sort(),
    diagnostics,
  };
}
