// Desired-state YAML → validated model: read the files, parse, validate each document, check across files.
import {
  Codes,
  type AppDoc,
  type Declared,
  type DesiredOrg,
  type DesiredState,
  type Diagnostic,
  type OrgSettingsDoc,
  type RevocationDoc,
  type RiskExceptionDoc,
} from '../model/index.js';
import { sha256 } from '../plan/digest.js';
import { checkDuplicates, type DocumentIdentity } from './check-duplicates.js';
import { parseDocuments, type ParsedDocument } from './parse-documents.js';
import { readDesiredFiles, type DesiredFile } from './read-desired-files.js';
import { isDocumentKind, validateDocument } from './validate-document.js';

/** The desired state of a folder and every problem found in it. */
export interface LoadResult {
  desired: DesiredState;
  diagnostics: Diagnostic[];
  /** How many (non-empty) YAML documents the files hold, valid or not. */
  documents: number;
}

/**
 * Reads every *.yaml / *.yml under `dir`, validates each document and checks across files. Every
 * problem is a diagnostic (never stops at the first); only valid documents, each declared once,
 * enter the model. A folder that does not exist throws an InputError. `now` bounds `issuedBefore`.
 */
export async function loadDesiredState(dir: string, options: { now: Date }): Promise<LoadResult> {
  const read = await readDesiredFiles(dir);
  const diagnostics: Diagnostic[] = [...read.diagnostics];
  if (read.files.length === 0) {
    diagnostics.push({ severity: 'error', code: Codes.noFiles, message: 'no *.yaml or *.yml files in this folder', file: dir });
  }

  const documents: ParsedDocument[] = [];
  let documentCount = 0;
  for (const file of read.files) {
    if (file.text === undefined) continue;
    const parsed = parseDocuments(file.file, file.text);
    diagnostics.push(...parsed.diagnostics);
    documents.push(...parsed.documents);
    documentCount += parsed.count;
  }

  const valid: boolean[] = documents.map((document) => {
    const problems = validateDocument(document, options);
    diagnostics.push(...problems);
    return !problems.some((d) => d.severity === 'error');
  });

  const identified = documents.map((document, index) => ({ document, index, identity: identityOf(document) }));
  const candidates = identified.filter((entry): entry is typeof entry & { identity: DocumentIdentity } => entry.identity !== undefined);
  const duplicates = checkDuplicates(candidates.map((entry) => entry.identity));
  diagnostics.push(...duplicates.diagnostics);
  const repeated = new Set([...duplicates.repeated].map((i) => candidates[i]!.index));

  const orgs: Record<string, DesiredOrg> = {};
  documents.forEach((document, index) => {
    if (!valid[index] || repeated.has(index)) return;
    addToOrg(orgs, document);
  });

  return {
    desired: { root: dir, orgs, digest: digestFiles(read.files), files: read.files.map((f) => f.relative) },
    diagnostics,
    documents: documentCount,
  };
}

/** What names a document across files, when its kind, org and name are readable. */
function identityOf(document: ParsedDocument): DocumentIdentity | undefined {
  const doc = document.value;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const { kind, org, name, id } = doc as Record<string, unknown>;
  if (!isDocumentKind(kind) || typeof org !== 'string') return undefined;
  const pos = document.positions;
  const base = { kind, org, source: document.source };
  if (kind === 'OrgSettings') return base;
  if (kind === 'RiskException') return undefined;
  if (kind === 'Revocation') return typeof id === 'string' ? { ...base, name: id, ...(pos.id ? { namePos: pos.id } : {}) } : undefined;
  return {
    ...base,
    ...(typeof name === 'string' ? { name, ...(pos.name ? { namePos: pos.name } : {}) } : {}),
    ...(typeof id === 'string' ? { appId: id, ...(pos.id ? { appIdPos: pos.id } : {}) } : {}),
  };
}

/** Files a valid document under its org. */
function addToOrg(orgs: Record<string, DesiredOrg>, document: ParsedDocument): void {
  const doc = document.value as OrgSettingsDoc | AppDoc | RevocationDoc | RiskExceptionDoc;
  // Own keys only: a slug such as `constructor` must not find Object.prototype's.
  const org = Object.hasOwn(orgs, doc.org) ? orgs[doc.org]! : (orgs[doc.org] = { slug: doc.org, apps: [], revocations: [] });
  const declared = <T>(value: T): Declared<T> => ({ doc: value, source: document.source, positions: document.positions });
  if (doc.kind === 'OrgSettings') org.settings = declared(doc);
  else if (doc.kind === 'Revocation') org.revocations.push(declared(doc));
  else if (doc.kind === 'RiskException') (org.exceptions ??= []).push(declared(doc));
  else org.apps.push(declared(doc));
}

/** sha256 over the relative path, length and bytes of every file, in path order. */
function digestFiles(files: readonly DesiredFile[]): string {
  const parts: Uint8Array[] = [];
  for (const file of files) {
    parts.push(Buffer.from(`${file.relative}\0${file.bytes.length}\0`, 'utf8'), file.bytes);
  }
  return sha256(Buffer.concat(parts));
}
