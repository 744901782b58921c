// Golden cases: test/cases/<what-it-shows>/ holds a desired/ folder and an org-state/ store; the
// plan of the two, made by the CLI (in-process, with a fixed clock), must match plan.txt (the
// command, its exit code and both output streams of the text format) and plan.json (the JSON
// format, which must also validate against schemas/plan.schema.json) and plan.md (the markdown
// format, a pull-request comment). A case may add arguments in case.json ({"args": [...]}). Cases named invalid-* belong to the loader and are run elsewhere.
//
// To write the expected files after a deliberate change: UPDATE_GOLDEN=1 npx vitest run test/plan/golden-cases.test.ts
// and review the diff before committing it.
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import type { Plan } from '../../src/model/index.js';
import { copyInto, makeTempDir, removeDir, repoRoot } from '../helpers/cli.js';
import { memoryHost } from '../helpers/memory-host.js';
import { expectValidPlan } from './plan-schema.js';

const casesDir = path.join(repoRoot, 'test/cases');
const update = process.env.UPDATE_GOLDEN === '1';
/** The clock of every golden plan: after every revocation's cutoff, before nothing else matters. */
const now = new Date('2026-11-29T12:00:00Z');

const cases = readdirSync(casesDir)
  .filter((name) => !name.startsWith('invalid-') && existsSync(path.join(casesDir, name, 'org-state')))
  .sort();

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

/** Runs `capctl plan` in-process in `cwd` (the store is read relative to the working folder). */
async function plan(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const host = memoryHost({ cwd, now, env: {} });
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const code = await runCli(['plan', ...args], host);
    return { code, stdout: host.stdout, stderr: host.stderr };
  } finally {
    process.chdir(previous);
  }
}

/**
 * The clock is fixed and paths are relative, so only digests are normalised (they would change
 * with any byte of the inputs) and the temporary folder, should a message name it.
 */
function normalize(text: string, dir: string): string {
  return text.split(dir).join('<tmp>').replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>');
}

async function expectFile(file: string, actual: string): Promise<void> {
  if (update) {
    await writeFile(file, actual);
    return;
  }
  expect(existsSync(file), `${path.relative(repoRoot, file)} exists (UPDATE_GOLDEN=1 writes it)`).toBe(true);
  expect(actual).toBe(await readFile(file, 'utf8'));
}

describe('golden plan cases', () => {
  it('there is one for every rule and every action kind', async () => {
    for (const rule of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13']) {
      expect(cases.some((name) => name.startsWith(`${rule}-`)), `a case for ${rule.toUpperCase()}`).toBe(true);
    }
    const kinds = new Set<string>();
    for (const name of cases) {
      const file = path.join(casesDir, name, 'plan.json');
      if (!existsSync(file)) continue;
      for (const action of (JSON.parse(await readFile(file, 'utf8')) as Plan).actions) kinds.add(action.kind);
    }
    expect([...kinds].sort()).toEqual(['block', 'install', 'revoke', 'set-assignments', 'set-org-settings', 'set-policies', 'unblock', 'uninstall']);
  });

  it.each(cases)('%s', async (name) => {
    const dir = await makeTempDir(`capctl-case-${name}-`);
    temps.push(dir);
    await copyInto(path.join(casesDir, name), dir);
    const extra = existsSync(path.join(dir, 'case.json'))
      ? ((JSON.parse(await readFile(path.join(dir, 'case.json'), 'utf8')) as { args: string[] }).args ?? [])
      : [];
    const args = ['--desired', 'desired', '--org-state', 'org-state', '--detailed-exitcode', ...extra];

    const text = await plan(dir, args);
    const transcript = `$ capctl plan ${args.join(' ')}\nexit ${text.code}\n--- stdout\n${text.stdout}--- stderr\n${text.stderr}`;
    await expectFile(path.join(casesDir, name, 'plan.txt'), normalize(transcript, dir));

    const markdown = await plan(dir, [...args, '--format', 'markdown']);
    expect(markdown.code).toBe(text.code);
    // The comment names the plan by the first 12 hex digits of its digest.
    await expectFile(path.join(casesDir, name, 'plan.md'), normalize(markdown.stdout, dir).replace(/sha256:[0-9a-f]{12}\b/g, 'sha256:<digest>'));

    const json = await plan(dir, [...args, '--format', 'json']);
    expect(json.code).toBe(text.code);
    const jsonFile = path.join(casesDir, name, 'plan.json');
    if (json.stdout === '') {
      expect(existsSync(jsonFile), 'no plan, so no plan.json').toBe(update ? existsSync(jsonFile) : false);
      return;
    }
    const parsed = JSON.parse(json.stdout) as unknown;
    expectValidPlan(parsed);
    await expectFile(jsonFile, normalize(json.stdout, dir));
  });
});
