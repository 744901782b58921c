// The folder READMEs stay true: every file a src/*/README.md names exists. A name is looked up
// beside the README, then from src/, then from the repository root; a data file's name (.json,
// .jsonl, .yaml) may instead be one that capctl itself writes, so it must appear in a source file.
// Placeholders (`commands/<name>.ts`, `rules/*.ts`, `capr001-….ts`) and paths outside the
// repository (`../shared/…`) are not file names.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const src = path.join(repoRoot, 'src');
const readmes = readdirSync(src, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(src, entry.name, 'README.md')))
  .map((entry) => entry.name);

const sourceText = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => readFileSync(path.join(src, file), 'utf8'))
  .join('\n');

/** The file names a README mentions: words ending in a file extension. */
export function fileNames(markdown: string): string[] {
  const names = markdown.match(/[A-Za-z0-9_./<>*…-]*[A-Za-z0-9_*>…-]\.(?:ts|mjs|js|json|jsonl|yaml|md)\b/g) ?? [];
  return [...new Set(names)].filter((name) => !/[<>*…]/.test(name) && !name.startsWith('../'));
}

/** Whether a name a README in `folder` mentions is a file of the repository (or one capctl writes). */
function exists(name: string, folder: string): boolean {
  const plain = name.replace(/^\.\//, '');
  if ([path.join(src, folder), src, repoRoot].some((base) => existsSync(path.join(base, plain)))) return true;
  return /\.(json|jsonl|yaml)$/.test(plain) && sourceText.includes(`'${path.basename(plain)}'`);
}

describe('the folder READMEs', () => {
  it('are there, one per folder of src/', () => {
    expect(readmes.length).toBeGreaterThanOrEqual(8);
  });

  it.each(readmes)('src/%s/README.md names only files that exist', (folder) => {
    const names = fileNames(readFileSync(path.join(src, folder, 'README.md'), 'utf8'));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !exists(name, folder))).toEqual([]);
  });

  it('finds a name that is not there (the check can fail)', () => {
    const names = fileNames('`rules/guards.ts` and `summary-table.ts`, `commands/<name>.ts`, `../shared/x.md`');
    expect(names).toEqual(['rules/guards.ts', 'summary-table.ts']);
    expect(names.filter((name) => !exists(name, 'plan'))).toEqual(['summary-table.ts']);
  });
});
