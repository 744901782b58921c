// Finding and reading the files of a desired-state folder: sorted, size-capped, UTF-8 only.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { Codes, InputError, type Diagnostic } from '../model/index.js';

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
  const relatives = (await fg(['**/*.yaml', '**/*.yml'], { cwd: dir, onlyFiles: true, dot: false, followSymbolicLinks: true }))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const diagnostics: Diagnostic[] = [];
  const files = await Promise.all(relatives.map((relative) => readOne(dir, relative, diagnostics)));
  return { files, diagnostics };
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
