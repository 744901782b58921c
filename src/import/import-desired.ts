// `capctl import`: desired-state YAML that matches what is already there, from the org store or
// from an sfdx source tree's metadata. Read, turn into declarations, render, write (never over an
// existing file without force).
import { StoreError, type Declarations, type Diagnostic } from '../model/index.js';
import { renderDesiredFiles, type DesiredFile } from '../render/desired-yaml.js';
import { readMetadataTree } from '../metadata/read-metadata.js';
import { storeRevision } from '../store/ledger-chain.js';
import type { OrgStore } from '../store/org-store.js';
import { declarationsFromSnapshot } from './from-snapshot.js';
import { writeDesiredFiles } from './write-desired.js';

/** What an import wrote and why it left things out. */
export interface ImportResult {
  org: string;
  declarations: Declarations;
  /** The files written, relative to the output folder, sorted. */
  files: string[];
  /** Of those, the ones that were there before (only with force). */
  replaced: string[];
  diagnostics: Diagnostic[];
  /** Metadata import: the metadata files the declarations came from. */
  used?: string[];
}

/** Where to write and whether existing files may be replaced. */
export interface ImportTarget {
  outDir: string;
  force: boolean;
  /** Called for each file before anything is written; throws to refuse the path (a link, a FIFO, a file of the store). */
  assertFile?: (file: string) => void;
  /** Called after each file is written. */
  onProgress?: (done: number, total: number) => void;
}

async function write(org: string, declarations: Declarations, files: DesiredFile[], target: ImportTarget, diagnostics: Diagnostic[]): Promise<ImportResult> {
  const { written, replaced } = await writeDesiredFiles(target.outDir, files, { force: target.force, ...(target.assertFile ? { assertFile: target.assertFile } : {}), ...(target.onProgress ? { onProgress: target.onProgress } : {}) });
  return { org, declarations, files: written, replaced, diagnostics };
}

/** Imports one org from the org store: an org.yaml and one file per listed app. */
export async function importFromStore(store: OrgStore, org: string, storeName: string, target: ImportTarget): Promise<ImportResult> {
  const snapshot = await store.readSnapshot(org);
  // The store's revision comes from its ledger; a connected org never refreshed has no state folder, so no ledger yet.
  const ledger = snapshot.live ? await store.readLedger(org).catch((error: unknown) => (error instanceof StoreError ? [] : Promise.reject(error))) : await store.readLedger(org);
  const revision = storeRevision(snapshot.org.revision, ledger);
  const { declarations, diagnostics } = declarationsFromSnapshot(snapshot);
  const files = renderDesiredFiles(declarations, { source: `the org store ${storeName} (revision ${revision})` });
  return write(org, declarations, files, target, diagnostics);
}

/** Imports the access policies an sfdx source tree holds, as declarations of `org`. */
export async function importFromMetadata(dir: string, org: string, target: ImportTarget): Promise<ImportResult> {
  const parsed = await readMetadataTree(dir, org);
  const files = renderDesiredFiles(parsed.declarations, { source: `the Salesforce metadata in ${dir}` });
  const result = await write(org, parsed.declarations, files, target, parsed.diagnostics);
  return { ...result, used: parsed.used };
}
