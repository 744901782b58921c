// Every bad-input case of test/cases/invalid-*/: run the real CLI in a copy of the case folder and
// compare its exit code, stdout and stderr with the case's expected.txt (update with `vitest -u`).
//
// A case folder holds its input (desired/ …), an optional generate.json (inputs too big or too odd to
// commit: written into the copy before the run) and expected.txt:
//
//   $ capctl validate desired      ← the command, run in the case folder
//   exit 1
//   --- stdout
//   …
//   --- stderr
//   …
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';

const casesRoot = path.join(repoRoot, 'test/cases');
const cases = readdirSync(casesRoot)
  .filter((name) => name.startsWith('invalid-'))
  .sort();

/** One input file to write before the run. */
interface GeneratedFile {
  /** Where, relative to the case folder. */
  path: string;
  /** The start of the file. */
  text: string;
  /** utf8 (the default) or latin1: to make a file that is not UTF-8. */
  encoding?: 'utf8' | 'latin1';
  /** Pad with `padLine` repeated until the file has exactly this many bytes. */
  padToBytes?: number;
  padLine?: string;
}

async function generate(caseDir: string, workDir: string): Promise<void> {
  const recipe = path.join(caseDir, 'generate.json');
  if (!existsSync(recipe)) return;
  const { files } = JSON.parse(await readFile(recipe, 'utf8')) as { files: GeneratedFile[] };
  for (const file of files) {
    let bytes = Buffer.from(file.text, file.encoding ?? 'utf8');
    if (file.padToBytes !== undefined) {
      const line = Buffer.from(file.padLine ?? '#\n', 'utf8');
      const copies = Math.ceil(Math.max(0, file.padToBytes - bytes.length) / line.length);
      bytes = Buffer.concat([bytes, ...Array.from({ length: copies }, () => line)]).subarray(0, file.padToBytes);
    }
    const target = path.join(workDir, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
}

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map(removeDir));
});

describe('invalid desired-state cases (test/cases/invalid-*)', () => {
  it('there are at least 20 of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.concurrent.for(cases)('%s', async (name, { expect }) => {
    const caseDir = path.join(casesRoot, name);
    const expectedFile = path.join(caseDir, 'expected.txt');
    const commandLine = readFileSync(expectedFile, 'utf8').split('\n')[0] ?? '';
    expect(commandLine, 'expected.txt starts with the command: $ capctl ...').toMatch(/^\$ capctl /);
    const args = commandLine.replace(/^\$ capctl /, '').split(' ').filter(Boolean);

    const workDir = await makeTempDir(`capctl-${name}-`);
    tempDirs.push(workDir);
    await copyInto(caseDir, workDir);
    await generate(caseDir, workDir);
    const result = await runCapctl(args, { cwd: workDir });

    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // never a stack trace
    const actual = `${commandLine}\nexit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
    await expect(actual).toMatchFileSnapshot(expectedFile);
  });
});
