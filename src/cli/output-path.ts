// Where a command may write its output (`plan --out`, `import --out`, `export --metadata`): a
// regular file or a new path, never anything else a rename would replace (a symbolic link, a FIFO,
// a device node, a socket), and never a path inside a folder the command reads (the org store,
// the desired folder). Folders are compared by their real paths — every symbolic link and `..` in
// the path, and in the folder's, resolved — so neither a symlinked parent nor `a/../b` leads past
// the check. Each check runs before anything is written and throws an InputError saying why.
import { realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { InputError } from '../model/index.js';
import { statIfThere as statOrUndefined } from '../store/durable-fs.js';

/** A folder the command reads, and so never writes into; `name` says what it is in messages ("the org store org-state"). */
export interface ReadFolder {
  dir: string;
  name: string;
}

/** How a check names the path in its messages, and what must not be written into. */
export interface OutputCheck {
  /** The path as the user gave it, or as messages show it ("--out plan.json"). */
  shown: string;
  /** The folders the output must stay out of. */
  readFolders: readonly ReadFolder[];
}

/** Why an existing entry is not a regular file capctl may replace, or undefined when it is one. */
function notAFile(found: Stats): string | undefined {
  if (found.isFile()) return undefined;
  if (found.isSymbolicLink()) return 'a symbolic link';
  if (found.isDirectory()) return 'a folder';
  if (found.isFIFO()) return 'a FIFO (named pipe)';
  if (found.isCharacterDevice()) return 'a character device';
  if (found.isBlockDevice()) return 'a block device';
  if (found.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Refuses `file` as a place to write a file: anything but a regular file or a new path, a path
 * under a file, or a path inside one of the folders read. Returns the real path it would write.
 */
export function assertOutputFile(file: string, check: OutputCheck): string {
  const target = path.resolve(file);
  const found = lstatIfThere(target, check.shown);
  if (found) {
    const what = notAFile(found);
    if (what !== undefined) throw new InputError(`${check.shown} is ${what}: capctl writes only a regular file or a new path; nothing written`);
  }
  const real = realPathOf(target, check.shown);
  assertOutside(target, real, check);
  return real;
}

/** Refuses `dir` as a folder to write files into: anything but a folder or a new path, or one inside a folder read. */
export function assertOutputFolder(dir: string, check: OutputCheck): string {
  const target = path.resolve(dir);
  const found = statIfThere(target, check.shown);
  if (found && !found.isDirectory()) throw new InputError(`${check.shown} is ${found.isFile() ? 'a file' : notAFile(found)!}, not a folder; nothing written`);
  const real = realPathOf(target, check.shown);
  assertOutside(target, real, check);
  return real;
}

/** Throws when `real` (the real path of `target`) is one of the folders read, or inside one. */
function assertOutside(target: string, real: string, check: OutputCheck): void {
  for (const folder of check.readFolders) {
    const inside = path.relative(realPathOf(path.resolve(folder.dir), folder.dir), real);
    if (inside === '' || (inside !== '..' && !inside.startsWith(`..${path.sep}`) && !path.isAbsolute(inside))) {
      const through = real === target ? '' : ` (through symbolic links: ${real})`;
      throw new InputError(`${check.shown}${through} is inside ${folder.name}: capctl never writes its output there; nothing written`);
    }
  }
}

/**
 * The real path of an absolute, normalised path that may not exist yet: its nearest existing
 * folder with every symbolic link resolved, then the names that do not exist yet. The parts that
 * do not exist hold no link and no `..` (the path is normalised), so the result is where a write
 * would land. Throws when a file stands where a folder of the path would be.
 */
function realPathOf(target: string, shown: string): string {
  const rest: string[] = [];
  for (let at = target; ; at = path.dirname(at)) {
    const found = statIfThere(at, shown);
    if (found) {
      if (rest.length > 0 && !found.isDirectory()) throw new InputError(`${shown}: ${at} is a file, not a folder`);
      return path.join(realpathSync.native(at), ...rest.reverse());
    }
    // A link that leads nowhere: writing through it would create its target, wherever that is.
    if (lstatIfThere(at, shown)) throw new InputError(`${shown}: ${at} is a symbolic link that leads nowhere; nothing written`);
    if (path.dirname(at) === at) return target;
    rest.push(path.basename(at));
  }
}

/** The entry itself (a link is not followed), or undefined when there is nothing there. */
function lstatIfThere(file: string, shown: string): Stats | undefined {
  return readable(() => statOrUndefined(file, { followLinks: false }), file, shown);
}

/** What the path leads to (links followed), or undefined when there is nothing there (or a link leads nowhere). */
function statIfThere(file: string, shown: string): Stats | undefined {
  return readable(() => statOrUndefined(file), file, shown);
}

/** A stat that cannot be made (permission denied, a loop of links) is the reason nothing is written. */
function readable(read: () => Stats | undefined, file: string, shown: string): Stats | undefined {
  try {
    return read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new InputError(`${shown}: ${file} cannot be read (permission denied); nothing written`);
    if (code === 'ELOOP') throw new InputError(`${shown}: ${file} is a loop of symbolic links; nothing written`);
    throw error;
  }
}
