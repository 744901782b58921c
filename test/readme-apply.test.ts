// The README's "Apply and audit" loop is real output: every command of its console block is run in
// a scratch repository set up as the README says, and each line it shows is in the real output, in
// order (digests, commit ids and times normalised).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl } from './helpers/cli.js';
import { git, gitEnv } from './helpers/git.js';

const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

function normalise(line: string): string {
  return line
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/sha256:[0-9a-f]{12}…/g, 'sha256:<short>…')
    .replace(/\b[0-9a-f]{40}\b/g, '<commit>')
    .replace(/\b[0-9a-f]{12}\b/g, '<short>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<time>');
}

describe('README "Apply and audit"', () => {
  it('shows the real output of plan --out, apply, the trailers, history, verify and drift', async () => {
    const block = /```console\n([\s\S]*?)```/.exec(section('Apply and audit'))![1]!;
    // Commands and the output lines shown under each.
    const steps: { command: string; expected: string[] }[] = [];
    for (const line of block.split('\n').filter((l) => l !== '')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] });
      else steps.at(-1)!.expected.push(line);
    }
    expect(steps.map((s) => s.command.split(' ').slice(0, 2).join(' '))).toEqual([
      'mkdir demo',
      'git init',
      'npx capctl',
      'npx capctl',
      'git log',
      'npx capctl',
      'npx capctl',
      'npx capctl',
    ]);

    const dir = await makeTempDir('capctl-readme-apply-');
    temps.push(dir);
    const env = { ...gitEnv(dir, false), GIT_AUTHOR_NAME: 'Dana Platform', GIT_AUTHOR_EMAIL: 'dana@acme.example', GIT_COMMITTER_NAME: 'Dana Platform', GIT_COMMITTER_EMAIL: 'dana@acme.example' };
    // The set-up lines, as the README gives them.
    await copyInto('examples/acme', path.join(dir, 'desired'));
    await copyInto('org-state', path.join(dir, 'org-state'));
    git(dir, ['init', '-q'], env);
    git(dir, ['add', '-A'], env);
    git(dir, ['commit', '-qm', 'acme-prod: declare connected-app access'], env);

    for (const step of steps.slice(2)) {
      let output: string;
      if (step.command.startsWith('npx capctl ')) {
        const run = await runCapctl(step.command.split(' ').slice(2), { cwd: dir, env });
        expect(run.code, `${step.command}\n${run.stderr}`).toBe(0);
        output = run.stdout;
      } else {
        expect(step.command).toBe('git log -1 --format=%B | git interpret-trailers --parse');
        output = git(dir, ['interpret-trailers', '--parse'], env, git(dir, ['log', '-1', '--format=%B'], env));
      }
      const actual = output.split('\n').map(normalise);
      let at = 0;
      for (const line of step.expected) {
        if (line.trim() === '…') continue;
        const found = actual.indexOf(normalise(line), at);
        expect(found, `${step.command}: README line in the real output, in order:\n${line}\n--- real output:\n${output}`).toBeGreaterThanOrEqual(0);
        at = found + 1;
      }
    }
  });
});
