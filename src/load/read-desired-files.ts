// Finding and reading the files of a desired-state folder: sorted, size-capped, UTF-8 only.
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { Codes, InputError, type Diagnostic } from '../model/index.js';
import { byCodePoint } from '../plan/names.js';

/** A file larger than this is refused unread (SPEC §10). */
export const maxFileBytes = 5 * 1024 * 1024;

/** One desired-state file as read from disk. */
export interface DesiredFile {
  /** Path relative to the folder, `/`-separated: what the digest covers. */
  relative: string;
  /** The folder as given joined with `relative`: what messages show. */
  file: string;
  /** The bytes read; empty when the file was refused unread. */
  bytes: Uint8Array;
  /** The text, when the file was read and is UTF-8. */
  text?: string;
}

/** What reading a folder gave: every file found (sorted by relative path) and the problems met. */
export interface ReadFilesResult {
  files: DesiredFile[];
  diagnostics: Diagnostic[];
}

/**
 * Reads every `*.yaml` / `*.yml` under `dir`. A missing folder stops the command (InputError); a file
 * that is too large, unreadable or not UTF-8 is a diagnostic, and the other files are still read.
 */
export async function readDesiredFiles(dir: string): Promise<ReadFilesResult> {
  await assertFolder(dir);
  const diagnostics: Diagnostic[] = [];
  const relatives = (await findFiles(dir, diagnostics)).sort(byCodePoint);
  const files = await Promise.all(relatives.map((relative) => readOne(dir, relative, diagnostics)));
  return { files, diagnostics };
}

/** Names the glob of SPEC §3 matches (fast-glob's `**\/*.yaml`, `**\/*.yml`: case-sensitive, no dotfiles). */
const yamlName = /^[^.].*\.ya?ml$/;
/** Whether a path relative to the desired folder (`/`-separated) is one the loader reads. */
export function isDesiredFilePath(relative: string): boolean {
  const parts = relative.split('/');
  return parts.every((part) => !part.startsWith('.')) && yamlName.test(parts.at(-1)!);
}

/** Names that look like YAML to a person: skipped with a warning when `yamlName` does not match. */
const yamlLooking = /\.ya?ml$/i;

/**
 * The relative paths of the files to read, following symbolic links as fast-glob does, except a link
 * back to a folder on its own path (a loop: reported once, not followed). Files that look like YAML
 * but that the glob leaves out (`*.YAML`, dotfiles, files in hidden folders) are warnings.
 */
async function findFiles(dir: string, diagnostics: Diagnostic[]): Promise<string[]> {
  const found: string[] = [];
  const visit = async (relativeDir: string, ancestors: readonly string[], hidden: boolean): Promise<void> => {
    const folder = relativeDir === '' ? dir : path.join(dir, relativeDir);
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      diagnostics.push({ severity: 'error', code: Codes.unreadableFile, message: `folder cannot be read (${reason})`, file: folder });
      return;
    }
    for (const entry of entries.sort((a, b) => byCodePoint(a.name, b.name))) {
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      const file = path.join(dir, relative);
      let isFolder = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = await stat(file);
          isFolder = target.isDirectory();
          isFile = target.isFile();
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ELOOP') diagnostics.push(linkLoop(file, 'it leads back to itself'));
          else if (yamlLooking.test(entry.name)) diagnostics.push(skipped(file, 'it is a symbolic link to nothing'));
          continue;
        }
      }
      const isHidden = hidden || entry.name.startsWith('.');
      if (isFolder) {
        if (entry.name === '.git') continue;
        const real = await realpath(file);
        const loop = ancestors.indexOf(real);
        if (loop >= 0) {
          diagnostics.push(linkLoop(file, `it leads back to ${loop === 0 ? 'the desired folder' : `"${path.join(dir, ...relative.split('/').slice(0, loop))}"`}`));
          continue;
        }
        await visit(relative, [...ancestors, real], isHidden);
      } else if (isFile && yamlLooking.test(entry.name)) {
        if (!isHidden && yamlName.test(entry.name)) found.push(relative);
        else diagnostics.push(skipped(file, isHidden ? 'it is hidden (its name or a folder on its path starts with ".")' : 'only names ending in .yaml or .yml (lower case) are read'));
      }
    }
  };
  await visit('', [await realpath(dir)], false);
  return found;
}

function linkLoop(file: string, why: string): Diagnostic {
  return { severity: 'warning', code: Codes.symlinkLoop, message: `symbolic link loop: ${why}; not followed`, file };
}

function skipped(file: string, why: string): Diagnostic {
  return { severity: 'warning', code: Codes.skippedFile, message: `file looks like YAML but is not read: ${why}`, file };
}

async function assertFolder(dir: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch {
    throw new InputError(`the desired-state folder "${dir}" does not exist`);
  }
  if (!isFolder) throw new InputError(`"${dir}" is not a folder: give the folder that holds the desired-state YAML files`);
}

async function readOne(dir: string, relative: string, diagnostics: Diagnostic[]): Promise<DesiredFile> {
  const file = path.join(dir, relative);
  const at = { file, line: 1, column: 1 };
  const empty: DesiredFile = { relative, file, bytes: new Uint8Array() };
  let bytes: Uint8Array;
  try {
    const { size } = await stat(file);
    if (size > maxFileBytes) {
      diagnostics.push({
        severity: 'error',
        code: Codes.fileTooLarge,
        message: `file is ${size} bytes, over the limit of 5 MiB (${maxFileBytes} bytes): not read`,
        ...at,
      });
      return empty;
    }
    bytes = await readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    diagnostics.push({ severity: 'error', code: Codes.unreadableFile, message: `file cannot be read (${reason})`, ...at });
    return empty;
  }
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    diagnostics.push({
      severity: 'error',
      code: Codes.notUtf8,
      message: 'file is not UTF-8 text: save it as UTF-8',
      ...firstInvalidByte(file, bytes),
    });
    return { relative, file, bytes };
  }
  return { relative, file, bytes, text };
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Where the first byte that is not UTF-8 is: the first replacement character of a lenient decode. */
function firstInvalidByte(file: string, bytes: Uint8Array): { file: string; line: number; column: number } {
  const lenient = new TextDecoder('utf-8').decode(bytes);
  const index = Math.max(0, lenient.indexOf('\uFFFD'));
  const before = lenient.slice(0, index);
  const line = before.split('\n').length;
  const column = index - (before.lastIndexOf('\n') + 1) + 1;
  return { file, line, column };
}
