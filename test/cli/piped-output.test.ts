// With output piped (not a terminal), no command writes a progress bar or colour codes — even
// without CI or NO_COLOR set, which is how a user's `capctl plan | less` or a log collector runs.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { gitEnv, initRepo } from '../helpers/git.js';

const escape = '\u001b[';
let repo: string;
let home: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  repo = await makeTempDir('capctl-piped-');
  home = await makeTempDir('capctl-piped-home-');
  env = gitEnv(home);
  await copyInto('examples/acme', path.join(repo, 'desired'));
  await copyInto('org-state', path.join(repo, 'org-state'));
  initRepo(repo, env);
});

afterAll(async () => {
  await removeDir(repo);
  await removeDir(home);
});

const commands: string[][] = [
  ['validate'],
  ['plan'],
  ['plan', '--format', 'markdown', '--out', 'plan.json'],
  ['usage'],
  ['usage', 'Slack'],
  ['approval-url', 'Slack'],
  ['apply', 'plan.json', '--actor', 'ci-bot@acme.example'],
  ['history'],
  ['verify'],
  ['drift'],
  ['import', '--out', 'imported'],
  ['export', '--metadata', 'force-app'],
];

describe('piped output', () => {
  it('has no colour codes or progress bars in any command', async () => {
    for (const args of commands) {
      const result = await runCapctl(args, { cwd: repo, env: { ...env, CI: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm-256color' } });
      expect(result.code, `capctl ${args.join(' ')}\n${result.stderr}`).toBeLessThanOrEqual(2);
      expect(result.stdout.includes(escape), `stdout of capctl ${args.join(' ')}`).toBe(false);
      expect(result.stderr.includes(escape), `stderr of capctl ${args.join(' ')}`).toBe(false);
      expect(result.stderr).not.toMatch(/[█░]/);
    }
  });
});
