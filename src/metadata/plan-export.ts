// Declarations → the metadata files to write (pure). An existing file keeps every element capctl
// does not manage, in its order, with its comments and XML declaration; only the elements of the
// field map change, and only when their value differs. A missing file is created minimal. No
// credential element (consumer key, secret, certificate…) is ever written: a created file holds
// none, an edited file keeps exactly the ones it had — checked before anything is returned.
import type { AppDoc, Declarations, Diagnostic } from '../model/index.js';
import { Codes } from '../model/index.js';
import { credentialElements, fieldMap, hostPath, valueRows, type FieldMapping } from './field-map.js';
import { classifyMetadataFile, fullNameFor, fullNameOf, metadataFileTypes, type MetadataFileKind } from './metadata-types.js';
import { decodeRow, ecaOfPolicies } from './parse-metadata.js';
import {
  childElement,
  childText,
  createElement,
  elementName,
  indentUnit,
  insertInOrder,
  newMetadataDocument,
  parseXmlDocument,
  removeChildElements,
  renderXmlDocument,
  setChildList,
  setChildText,
  type XmlDocument,
  type XmlNode,
} from './xml-document.js';
import { byCodePoint } from '../plan/names.js';

/** An existing metadata file: its path relative to the export folder (posix) and its text. */
export interface ExistingFile {
  path: string;
  text: string;
}

/** A file export writes: new, or an existing one with managed elements changed. */
export interface MetadataWrite {
  path: string;
  text: string;
  created: boolean;
}

/** What an export would write, the files it leaves as they are, and every remark. */
export interface MetadataExportPlan {
  writes: MetadataWrite[];
  unchanged: string[];
  diagnostics: Diagnostic[];
}

/** A placeholder contact for a connected app created without an owner email (Salesforce requires one). */
export const placeholderContactEmail = 'change-me@example.invalid';

interface Loaded {
  path: string;
  text: string;
  doc: XmlDocument;
  created: boolean;
  changed: boolean;
}

function getPath(value: unknown, path: string): unknown {
  let node = value as Record<string, unknown> | undefined;
  for (const key of path.split('.')) node = node === undefined || node === null ? undefined : (node[key] as Record<string, unknown> | undefined);
  return node;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The element `name` of `parent`, created (in Salesforce's order) when it is missing. */
function ensureChild(parent: XmlNode, name: string, where: { parentIndent: string; unit: string }): XmlNode {
  const existing = childElement(parent, name);
  if (existing) return existing;
  const created = createElement(name);
  insertInOrder(parent, created, where);
  return created;
}

/**
 * Writes one row's declared value into a document; returns whether anything changed. The value
 * goes where the file already keeps it (an alternate place of an older API version included).
 */
function writeRow(file: Loaded, row: FieldMapping, value: unknown): boolean {
  const root = file.doc.root;
  const current = decodeRow(root, row);
  if (current.problem === undefined && sameValue(current.value, value)) return false;
  const unit = indentUnit(file.doc);
  const path = current.host ?? hostPath(row.element);
  let host = root;
  path.forEach((name, depth) => {
    host = ensureChild(host, name, { parentIndent: unit.repeat(depth), unit });
  });
  const where = { parentIndent: unit.repeat(path.length), unit };
  let changed = false;
  for (const [element, texts] of Object.entries(row.codec!.encode(value))) {
    if (texts === null) changed = removeChildElements(host, element) || changed;
    else if (row.codec!.repeated) changed = setChildList(host, element, texts, where) || changed;
    else changed = setChildText(host, element, texts[0]!, where) || changed;
  }
  return changed;
}

/** Writes every declared value of a metadata type's rows; returns whether anything changed. */
function writeRows(file: Loaded, metadataType: MetadataFileKind, declaration: object): boolean {
  let changed = false;
  for (const row of valueRows(metadataType)) {
    const value = getPath(declaration, row.spec);
    if (value !== undefined) changed = writeRow(file, row, value) || changed;
  }
  return changed;
}

function countElements(text: string, name: string): number {
  return text.split(`<${name}>`).length - 1 + (text.split(`<${name} `).length - 1) + (text.split(`<${name}/>`).length - 1);
}

/** Refuses (as a bug) any write that would add a credential element. */
function assertNoCredentials(write: MetadataWrite, original: string | undefined): void {
  for (const name of credentialElements) {
    const before = original === undefined ? 0 : countElements(original, name);
    if (countElements(write.text, name) !== before) throw new Error(`export would change <${name}> in ${write.path}: refused`);
  }
}

const byPath = (a: { path: string }, b: { path: string }) => byCodePoint(a.path, b.path);

/**
 * The writes that make the metadata under a folder say what `declarations` say. `existing` is
 * every metadata file capctl reads there; new files go under `packageRoot` (for instance
 * `force-app/main/default`, or '' for the folder itself).
 */
export function planMetadataExport(declarations: Declarations, existing: readonly ExistingFile[], packageRoot: string): MetadataExportPlan {
  const diagnostics: Diagnostic[] = [];
  const files: Loaded[] = [];
  const connectedApps = new Map<string, Loaded>();
  const ecas = new Map<string, { file: Loaded; fullName: string }>();
  const ecaPolicies = new Map<string, Loaded>();
  const blocks = new Map<string, Loaded[]>();
  const settings: Partial<Record<MetadataFileKind, Loaded>> = {};
  const takenNames = new Map<string, Set<string>>();

  for (const file of [...existing].sort(byPath)) {
    const kind = classifyMetadataFile(file.path);
    if (kind === undefined || 'ignored' in kind) continue;
    const doc = parseXmlDocument(file.text);
    if ('error' in doc) {
      diagnostics.push({ severity: 'warning', code: Codes.metadataNotXml, file: file.path, message: `left as it is: ${doc.error}` });
      continue;
    }
    const { type } = kind;
    const fullName = fullNameOf(file.path, type);
    takenNames.set(type.folder, (takenNames.get(type.folder) ?? new Set()).add(fullName.toLowerCase()));
    if (elementName(doc.root) !== type.rootElement) continue;
    const loaded: Loaded = { path: file.path, text: file.text, doc, created: false, changed: false };
    files.push(loaded);
    const root = doc.root;
    switch (type.kind) {
      case 'ConnectedApp': {
        const label = childText(root, 'label');
        if (label && !connectedApps.has(label)) connectedApps.set(label, loaded);
        break;
      }
      case 'ExternalClientApplication': {
        const label = childText(root, 'label');
        if (label && !ecas.has(label)) ecas.set(label, { file: loaded, fullName });
        break;
      }
      case 'ExtlClntAppOauthConfigurablePolicies': {
        const app = ecaOfPolicies(root, fullName);
        if (!ecaPolicies.has(app)) ecaPolicies.set(app, loaded);
        break;
      }
      case 'BlacklistedConsumer': {
        const name = childText(root, 'consumerName');
        if (name) blocks.set(name, [...(blocks.get(name) ?? []), loaded]);
        break;
      }
      default:
        settings[type.kind] ??= loaded;
    }
  }

  const typeOf = (kind: MetadataFileKind) => metadataFileTypes.find((t) => t.kind === kind)!;
  const newFullName = (kind: MetadataFileKind, label: string): string => {
    const folder = typeOf(kind).folder;
    const taken = takenNames.get(folder) ?? new Set<string>();
    const base = fullNameFor(label);
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    takenNames.set(folder, taken.add(name.toLowerCase()));
    return name;
  };
  const newFile = (kind: MetadataFileKind, fileName: string): Loaded => {
    const type = typeOf(kind);
    const path = [packageRoot, type.folder, fileName].filter((p) => p !== '').join('/');
    const loaded: Loaded = { path, text: '', doc: newMetadataDocument(type.rootElement), created: true, changed: true };
    files.push(loaded);
    return loaded;
  };
  const addText = (file: Loaded, name: string, value: string) => setChildText(file.doc.root, name, value, { parentIndent: '', unit: indentUnit(file.doc) });
  const contactFor = (app: AppDoc, file: Loaded): string => {
    if (app.owner && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(app.owner)) return app.owner;
    diagnostics.push({
      severity: 'warning',
      code: Codes.exportPlaceholderContact,
      file: file.path,
      message: `${app.name}: Salesforce needs a contact email for a new app and the declaration's owner is not one: ${placeholderContactEmail} written, change it before deploying`,
    });
    return placeholderContactEmail;
  };

  for (const app of declarations.apps) {
    const wantsMetadata = app.installed === true || app.policies !== undefined;
    if (app.kind === 'ConnectedApp') {
      let file = connectedApps.get(app.name);
      if (!file && ecas.has(app.name)) {
        diagnostics.push({ severity: 'warning', code: Codes.exportKindMismatch, file: ecas.get(app.name)!.file.path, message: `${app.name} is declared a ConnectedApp but the metadata has it as an external client app: not exported` });
      } else if (app.installed === false) {
        if (file) diagnostics.push({ severity: 'warning', code: Codes.exportNotExpressible, file: file.path, message: `${app.name} is declared installed: false, which metadata cannot say (deploying does not uninstall): left as it is` });
      } else if (wantsMetadata) {
        if (!file) {
          file = newFile('ConnectedApp', `${newFullName('ConnectedApp', app.name)}.connectedApp-meta.xml`);
          addText(file, 'contactEmail', contactFor(app, file));
          addText(file, 'label', app.name);
          // An OAuth app: oauthConfig marks it as one even before any policy is declared.
          ensureChild(file.doc.root, 'oauthConfig', { parentIndent: '', unit: indentUnit(file.doc) });
        }
        file.changed = writeRows(file, 'ConnectedApp', app) || file.changed;
      }
    } else {
      let eca = ecas.get(app.name);
      if (!eca && connectedApps.has(app.name)) {
        diagnostics.push({ severity: 'warning', code: Codes.exportKindMismatch, file: connectedApps.get(app.name)!.path, message: `${app.name} is declared an ExternalClientApp but the metadata has it as a connected app: not exported` });
      } else if (app.installed === false) {
        if (eca) diagnostics.push({ severity: 'warning', code: Codes.exportNotExpressible, file: eca.file.path, message: `${app.name} is declared installed: false, which metadata cannot say (deploying does not uninstall): left as it is` });
      } else if (wantsMetadata) {
        if (!eca) {
          const fullName = newFullName('ExternalClientApplication', app.name);
          const file = newFile('ExternalClientApplication', `${fullName}.eca-meta.xml`);
          addText(file, 'contactEmail', contactFor(app, file));
          addText(file, 'distributionState', 'Local');
          addText(file, 'isProtected', 'false');
          addText(file, 'label', app.name);
          eca = { file, fullName };
        }
        if (app.policies !== undefined) {
          let policy = ecaPolicies.get(eca.fullName);
          if (!policy) {
            policy = newFile('ExtlClntAppOauthConfigurablePolicies', `${eca.fullName}_oauthPlcy.ecaOauthPlcy-meta.xml`);
            addText(policy, 'externalClientApplication', eca.fullName);
            addText(policy, 'label', `${eca.fullName}_oauthPlcy`);
            ecaPolicies.set(eca.fullName, policy);
          }
          policy.changed = writeRows(policy, 'ExtlClntAppOauthConfigurablePolicies', app) || policy.changed;
        }
      }
    }

    const blockFiles = blocks.get(app.name) ?? [];
    const ownBlock = blockFiles.find((file) => !/^true$/i.test(childText(file.doc.root, 'blockedByApiWhitelisting') ?? ''));
    if (app.blocked === true && blockFiles.length > 0 && !ownBlock) {
      // Only allowlisting blocks it so far: the declared block is the app's own.
      const file = blockFiles[0]!;
      file.changed = setChildText(file.doc.root, 'blockedByApiWhitelisting', 'false', { parentIndent: '', unit: indentUnit(file.doc) }) || file.changed;
    } else if (app.blocked === true && blockFiles.length === 0) {
      const file = newFile('BlacklistedConsumer', `${newFullName('BlacklistedConsumer', app.name)}.blacklistedConsumer-meta.xml`);
      addText(file, 'blockedByApiWhitelisting', 'false');
      addText(file, 'consumerName', app.name);
      addText(file, 'masterLabel', app.name);
      blocks.set(app.name, [file]);
    } else if (app.blocked === false && ownBlock) {
      for (const file of blockFiles.filter((f) => f === ownBlock || !/^true$/i.test(childText(f.doc.root, 'blockedByApiWhitelisting') ?? ''))) {
        diagnostics.push({
          severity: 'warning',
          code: Codes.exportUnblockNeedsRemoval,
          file: file.path,
          message: `${app.name} is declared blocked: false but this file blocks it: delete the file (and deploy its deletion) to unblock`,
        });
      }
    }
  }

  const orgSettings = declarations.settings;
  if (orgSettings?.adminApprovedAppsOnly !== undefined) {
    const file = settings.ConnectedAppSettings ?? newFile('ConnectedAppSettings', 'ConnectedApp.settings-meta.xml');
    file.changed = writeRows(file, 'ConnectedAppSettings', orgSettings) || file.changed;
  }
  if (orgSettings?.oauthFlows && Object.values(orgSettings.oauthFlows).some((v) => v !== undefined)) {
    const file = settings.OauthOidcSettings ?? newFile('OauthOidcSettings', 'OauthOidc.settings-meta.xml');
    file.changed = writeRows(file, 'OauthOidcSettings', orgSettings) || file.changed;
  }
  if (declarations.revocations.length > 0) {
    diagnostics.push({
      severity: 'info',
      code: Codes.exportNotExpressible,
      message: `${declarations.revocations.length} revocation(s) not exported: sessions are not metadata (run capctl apply to revoke them)`,
    });
  }

  const writes: MetadataWrite[] = [];
  const unchanged: string[] = [];
  for (const file of files) {
    if (!file.changed) {
      unchanged.push(file.path);
      continue;
    }
    const write = { path: file.path, text: renderXmlDocument(file.doc), created: file.created };
    assertNoCredentials(write, file.created ? undefined : file.text);
    writes.push(write);
  }
  return { writes: writes.sort(byPath), unchanged: unchanged.sort(), diagnostics };
}

/**
 * Every element export may change in an existing file of a metadata type, as paths from the root
 * (the value rows' elements, where else they may be, and their companions). An app's label and a
 * blocked consumer's name identify the file and are never changed.
 */
export function managedElementPaths(metadataType: MetadataFileKind): string[][] {
  const rows = fieldMap.filter((row) => row.metadataType === metadataType && row.codec !== undefined && row.spec !== 'name');
  return rows
    .flatMap((row) => (row.spec === 'blocked' ? (row.companions ?? []) : [row.element, ...(row.alsoAt ?? []), ...(row.companions ?? [])]))
    .map((p) => p.split('/'));
}
