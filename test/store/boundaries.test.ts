// The seams of the store (issue 13): the file layout is named in one module only, store/ never
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

describe('store boundaries', () => {
  it('names the file layout (ledger file, apps folder, lock, journal) only in store/file-layout.ts', () => {
    const names = /ledger\.jsonl|['"`]apps\/|['"`]\.lock['"`]|\.journal\.json|['"`](org|users)\.json['"`]/;
    const offenders = sources('src')
      // desired-yaml.ts names the desired folder's files (apps/<slug>.yaml), not the store's.
      .filter((f) => f !== 'src/store/file-layout.ts' && f !== 'src/render/desired-yaml.ts' && !f.startsWith('src/model/generated/'))
      .filter((f) => names.test(code(f)));
    // refresh-commit-message.ts (pure render/, which may not import store/) still tells org, users and app changes apart by file name.
    expect(offenders).toEqual(['src/render/refresh-commit-message.ts']);
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
