// The seams of the store (issue 13): the file layout is known in the file backend only, store/ never
// imports apply/ (nor audit/, cli/, render/), and the CLI opens stores through openStore alone.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f).split(path.sep).join('/'));
}

const code = (file: string) =>
  readFileSync(path.join(repoRoot, file), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join('\n');

/**
 * The file backend of the store (src/store/README.md): the rooms of FileOrgStore and what only
 * they use. Only these may know the layout of org-state/<org>/ (file-layout.ts).
 */
const fileBackend = new Set([
  'src/store/action-change.ts',
  'src/store/carry-out-files.ts',
  'src/store/check-store.ts',
  'src/store/commit-run.ts',
  'src/store/journal.ts',
  'src/store/ledger-file.ts',
  'src/store/lock-file.ts',
  'src/store/read-snapshot-files.ts',
  'src/store/store-entry.ts',
]);
const inFileBackend = (f: string) => /^src\/store\/file-[a-z-]+\.ts$/.test(f) || fileBackend.has(f);

/** A file-layout name in code (comments aside): the ledger file, an app file or the apps folder, the lock, the journal, org.json, users.json. */
const layoutNames = /ledger\.jsonl|['"`]apps\/|['"`]\.lock\b|\.journal\.json|\b(org|users)\.json\b/;
const importsLayout = /from '[./]*(store\/)?file-layout\.js'/;

/** Files outside the file backend that may still name the layout, each with why. */
const layoutExceptions: Record<string, string> = {
  // It names the desired folder's files (apps/<slug>.yaml), not the store's.
  'src/render/desired-yaml.ts': 'the desired folder, not the store',
  // The neutral digest labels each part of a snapshot (the org, its users, each app) by its file in
  // the file store, so that the digest of values equals the digest of the files: other labels would
  // change every digest (plans, ledgers, goldens).
  'src/store/store-digest.ts': 'the digest labels parts by their file names',
};

describe('store boundaries', () => {
  it('no src file outside the file backend imports file-layout.ts or names a store file (but the listed exceptions)', () => {
    const offenders = sources('src')
      .filter((f) => !inFileBackend(f) && !f.startsWith('src/model/generated/'))
      .filter((f) => importsLayout.test(code(f)) || layoutNames.test(code(f)));
    expect(offenders.sort()).toEqual(Object.keys(layoutExceptions).sort());
  });

  it('store/ imports nothing of apply/, audit/, cli/ or render/', () => {
    const offenders = sources('src/store').filter((f) => /from '\.\.\/(apply|audit|cli|render)\//.test(code(f)));
    expect(offenders).toEqual([]);
  });

  it('the CLI opens a store through openStore only', () => {
    const offenders = sources('src/cli').filter((f) => /new FileOrgStore|store\/file-store\.js/.test(code(f)));
    expect(offenders).toEqual([]);
  });

  it('only open-store.ts constructs the file store (one way in)', () => {
    const offenders = sources('src').filter((f) => f !== 'src/store/open-store.ts' && /new FileOrgStore\b/.test(code(f)));
    expect(offenders).toEqual([]);
  });
});
