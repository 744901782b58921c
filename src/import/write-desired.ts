// Writes desired-state files into a folder, all or nothing: when any of them is already there and
// --force is not given, or a file stands where a folder goes (or a folder where a file goes),
// nothing is written and the error lists every path in the way. The caller's assertFile refuses any
// other target before the first write (a symbolic link, a FIFO, a file of the org store).
import path from 'node:path';
import { InputError } from '../model/index.js';
import type { DesiredFile } from '../render/desired-yaml.js';
import { replaceFileDurably, statIfThere } from '../store/durable-fs.js';

/** Writes `files` under `outDir`; returns the paths written (relative to outDir) and those replaced. */
export async function writeDesiredFiles(
  outDir: string,
  files: readonly DesiredFile[],
  options: { force: boolean; assertFile?: (file: string) => void; onProgress?: (done: number, total: number) => void },
): Promise<{ written: string[]; replaced: string[] }> {
  const { replaced, inTheWay } = checkTargets(outDir, files);
  if (inTheWay.length > 0) {
    if (inTheWay.length === 1) throw new InputError(`${inTheWay[0]!}; nothing written`);
    throw new InputError(`${inTheWay.length} paths are in the way; nothing written:\n${inTheWay.map((line) => `  ${line}`).join('\n')}`);
  }
  if (options.assertFile) for (const file of files) options.assertFile(path.join(outDir, file.path));
  if (replaced.length > 0 && !options.force) {
    const list = replaced.map((file) => `  ${path.join(outDir, file)}`).join('\n');
    throw new InputError(`${replaced.length} of the files to write already exist; nothing written (--force replaces them):\n${list}`);
  }
  let done = 0;
  for (const file of files) {
    await replaceFileDurably(path.join(outDir, file.path), file.text);
    options.onProgress?.(++done, files.length);
  }
  return { written: files.map((file) => file.path), replaced };
}

/** The files that already exist (relative to outDir), and what stands in the way of writing: a file where a folder goes, a folder where a file goes. */
function checkTargets(outDir: string, files: readonly DesiredFile[]): { replaced: string[]; inTheWay: string[] } {
  const replaced: string[] = [];
  const inTheWay: string[] = [];
  const folders = new Map<string, boolean>();
  /** Whether `dir` is a folder or can be made one; names the file in the way once. */
  const folderOk = (dir: string): boolean => {
    const known = folders.get(dir);
    if (known !== undefined) return known;
    const found = statIfThere(dir);
    let ok: boolean;
    if (found === undefined) ok = path.dirname(dir) === dir || folderOk(path.dirname(dir));
    else if (found.isDirectory()) ok = true;
    else {
      ok = false;
      inTheWay.push(`${dir} is a file, not a folder`);
    }
    folders.set(dir, ok);
    return ok;
  };
  for (const file of files) {
    const target = path.join(outDir, file.path);
    if (!folderOk(path.dirname(target))) continue;
    const found = statIfThere(target);
    if (found?.isDirectory()) inTheWay.push(`${target} is a folder, not a file`);
    else if (found) replaced.push(file.path);
  }
  return { replaced, inTheWay };
}
