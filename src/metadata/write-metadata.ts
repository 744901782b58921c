// Writes declarations into an sfdx source tree: reads the metadata files that are there, plans
// the writes (plan-export.ts, pure) and replaces each changed file atomically and durably
// (replaceFileDurably: write, fsync, rename, fsync the folder). Files of other metadata types,
// and the external client app files capctl ignores, are never opened.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Declarations } from '../model/index.js';
import { InputError } from '../model/index.js';
import { replaceFileDurably } from '../store/durable-fs.js';
import { classifyMetadataFile } from './metadata-types.js';
import { planMetadataExport, type ExistingFile, type MetadataExportPlan } from './plan-export.js';
import { findMetadataFiles } from './read-metadata.js';

/** Where new metadata files go: the package folder the existing ones are in, else `force-app/main/default` when there is one, else the folder itself. */
export function choosePackageRoot(dir: string, existing: readonly string[]): string {
  for (const relative of existing) {
    const kind = classifyMetadataFile(relative);
    if (kind === undefined || 'ignored' in kind) continue;
    const folder = path.posix.dirname(relative);
    if (path.posix.basename(folder) === kind.type.folder) {
      const root = path.posix.dirname(folder);
      return root === '.' ? '' : root;
    }
  }
  return existsSync(path.join(dir, 'force-app/main/default')) ? 'force-app/main/default' : '';
}

/** Reads the metadata under `dir` capctl manages (a UTF-8 byte order mark is kept). */
async function readExisting(dir: string, relativePaths: readonly string[]): Promise<ExistingFile[]> {
  const files: ExistingFile[] = [];
  for (const relative of relativePaths) {
    const kind = classifyMetadataFile(relative);
    if (kind === undefined || 'ignored' in kind) continue;
    const bytes = await readFile(path.join(dir, relative));
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new InputError(`${path.join(dir, relative)}: not UTF-8 text; nothing written`);
    }
    files.push({ path: relative, text });
  }
  return files;
}

/** What an export may be told: `assertFile` is called with each path to write before the first write, and throws to refuse one. */
export interface ExportOptions {
  assertFile?: (file: string) => void;
}

/** Plans the export of one org's declarations into `dir` and writes it (nothing when a path is refused); returns what it did. */
export async function writeMetadataExport(dir: string, declarations: Declarations, options: ExportOptions = {}): Promise<MetadataExportPlan> {
  const relative = existsSync(dir) ? await findMetadataFiles(dir) : [];
  const existing = await readExisting(dir, relative);
  const plan = planMetadataExport(declarations, existing, choosePackageRoot(dir, relative));
  if (options.assertFile) for (const write of plan.writes) options.assertFile(path.join(dir, write.path));
  // Each file's folders are made as it is written (a new tree included).
  for (const write of plan.writes) await replaceFileDurably(path.join(dir, write.path), write.text);
  // Messages name files as the user can open them: below the folder they gave.
  return { ...plan, diagnostics: plan.diagnostics.map((d) => (d.file === undefined ? d : { ...d, file: path.join(dir, d.file) })) };
}
