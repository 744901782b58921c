// Reads the access metadata files of an sfdx source tree (any depth, found with fast-glob). Files
// capctl recognises but does not manage (an external client app's global OAuth settings, which
// hold its consumer key and secret, among them) are listed by name and never opened.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { InputError } from '../model/index.js';
import { classifyMetadataFile, metadataGlobIgnore, metadataGlobs } from './metadata-types.js';
import { parseMetadataTree, type MetadataFile, type ParsedMetadata } from './parse-metadata.js';

/** Larger metadata files than this are not read (a connected app file is a few kilobytes). */
const maxFileBytes = 5 * 1024 * 1024;

/** The relative paths (posix) of every file capctl looks at under `dir`, sorted. */
export async function findMetadataFiles(dir: string): Promise<string[]> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new InputError(`${dir}: no such folder`);
  }
  if (!info.isDirectory()) throw new InputError(`${dir}: not a folder`);
  const found = await fg([...metadataGlobs], { cwd: dir, ignore: [...metadataGlobIgnore], onlyFiles: true, dot: false, followSymbolicLinks: false });
  return [...new Set(found)].sort();
}

/** Reads the files of a tree that capctl parses; the ones it ignores are listed without their text. */
export async function readMetadataFiles(dir: string, relativePaths: readonly string[]): Promise<MetadataFile[]> {
  const files: MetadataFile[] = [];
  for (const relative of relativePaths) {
    const shown = path.join(dir, relative);
    const kind = classifyMetadataFile(relative);
    if (kind === undefined || 'ignored' in kind) {
      files.push({ path: shown });
      continue;
    }
    const bytes = await readFile(path.join(dir, relative));
    if (bytes.length > maxFileBytes) {
      files.push({ path: shown, unreadable: `larger than ${maxFileBytes / 1024 / 1024} MiB` });
      continue;
    }
    try {
      files.push({ path: shown, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '') });
    } catch {
      files.push({ path: shown, unreadable: 'not UTF-8 text' });
    }
  }
  return files;
}

/** Reads an sfdx tree and turns its access metadata into declarations for `org`. */
export async function readMetadataTree(dir: string, org: string): Promise<ParsedMetadata & { found: number }> {
  const relative = await findMetadataFiles(dir);
  if (relative.length === 0) {
    throw new InputError(`${dir}: no connected app, external client app, blocked consumer or ConnectedApp/OauthOidc settings metadata found`);
  }
  return { ...parseMetadataTree(await readMetadataFiles(dir, relative), org), found: relative.length };
}
