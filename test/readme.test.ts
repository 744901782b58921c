// The README stays true: its YAML examples validate, "Try it" gives the two expected commands, and
// "Performance" states the benchmark's own targets.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../src/load/load-desired.js';
import { makeTempDir, removeDir, repoRoot, runCapctl } from './helpers/cli.js';

const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');

/** The text of a `## heading` section, up to the next `## ` heading. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** The fenced code blocks of a language in some Markdown. */
function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

describe('README.md', () => {
  it('"Try it" gives the install-and-run command and the test command', () => {
    expect(codeBlocks(section('Try it'), 'sh').map((block) => block.trim())).toEqual([
      'npm ci && npx capctl plan --desired examples/acme --org-state org-state',
      'npm test',
    ]);
  });

  it('every YAML example of "The desired state" is valid, on its own and together', async () => {
    const blocks = codeBlocks(section('The desired state'), 'yaml');
    const kinds = blocks.flatMap((block) => parseAllDocuments(block).map((doc) => (doc.toJS() as { kind: string }).kind));
    expect(kinds).toEqual(['OrgSettings', 'ConnectedApp', 'Revocation']);

    const dir = await makeTempDir('capctl-readme-');
    temps.push(dir);
    for (const [i, block] of blocks.entries()) await writeFile(path.join(dir, `example-${i + 1}.yaml`), block);
    const { diagnostics, documents, desired } = await loadDesiredState(dir, { now: new Date('2026-11-29T00:00:00Z') });
    expect(diagnostics).toEqual([]);
    expect(documents).toBe(3);
    expect(desired.orgs['acme-prod']?.apps.map((a) => a.doc.name)).toEqual(['Slack']);
  });

  it('"Performance" states the targets the benchmark checks, and how many changes its apply writes', async () => {
    const text = section('Performance');
    // @ts-expect-error -- a plain .mjs script without type declarations
    const { targets } = (await import('../scripts/bench/targets.mjs')) as { targets: { [name in 'planRatio' | 'planJsonRatio' | 'validateRatio' | 'applyRatio' | 'usageFirstLineMs']: number } };
    const rows = (name: string): string => text.split('\n').find((line) => line.startsWith(`| ${name}`)) ?? '';
    expect(rows('`validate`')).toContain(`≤ ${targets.validateRatio}× ✓`);
    expect(rows('`plan` |')).toContain(`≤ ${targets.planRatio}× ✓`);
    expect(rows('`plan --format json`')).toContain(`≤ ${targets.planJsonRatio}× ✓`);
    expect(rows('`apply --no-commit`')).toContain(`≤ ${targets.applyRatio}× ✓`);
    expect(rows('`usage`')).toContain(`first line ≤ ${targets.usageFirstLineMs / 1000} s ✓`);
    const { runLengths } = await import('../src/apply/apply-plan.js');
    const [, actions] = /\((\d+) actions, ledger\)/.exec(text) ?? [];
    const [, changes] = /written in (\d+) atomic changes/.exec(text) ?? [];
    expect(Number(changes)).toBe(runLengths(Number(actions)).length);
  });

  it('lists the exit codes 0 to 4 (4: apply stopped before a manual step, SPEC §8)', () => {
    const codes = [...section('Exit codes').matchAll(/^\| `(\d)` \|/gm)].map((m) => m[1]);
    expect(codes).toEqual(['0', '1', '2', '3', '4']);
  });

  it('"Plan" shows real output of the bundled example: every line of its excerpt is in the plan, in order', async () => {
    const [excerpt] = codeBlocks(section('Plan'), 'console');
    const lines = excerpt!.split('\n').filter((line) => line !== '');
    expect(lines[0]).toBe('$ npx capctl plan --desired examples/acme --org-state org-state');
    const run = await runCapctl(lines[0]!.split(' ').slice(3));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const output = run.stdout.split('\n');
    let at = 0;
    for (const line of lines.slice(1)) {
      if (line.trim() === '…') continue;
      const found = output.indexOf(line, at);
      expect(found, `README line in the real output, in order: ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });
});
