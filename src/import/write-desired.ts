// Writes desired-state files into a folder, all or nothing: when any of them is already there and
// --force is not given, nothing is written and the error lists every file in the way.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../model/index.js';
import type { DesiredFile } from '../render/desired-yaml.js';
import { writeFileAtomic } from '../metadata/write-metadata.js';

/** Writes `files` under `outDir`; returns the paths written (relative to outDir) and those replaced. */
export async function writeDesiredFiles(
  outDir: string,
  files: readonly DesiredFile[],
  options: { force: boolean; onProgress?: (done: number, total: number) => void },
): Promise<{ written: string[]; replaced: string[] }> {
  const replaced = files.filter((file) => existsSync(path.join(outDir, file.path))).map((file) => file.path);
  if (replaced.length > 0 && !options.force) {
    const list = replaced.map((file) => `  ${path.join(outDir, file)}`).join('\n');
    throw new InputError(`${replaced.length} of the files to write already exist; nothing written (--force replaces them):\n${list}`);
  }
  let done = 0;
  for (const file of files) {
    await writeFileAtomic(path.join(outDir, file.path), file.text);
    options.onProgress?.(++done, files.length);
  }
  return { written: files.map((file) => file.path), replaced };
}
