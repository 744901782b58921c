// The README's commands run as written on a fresh clone: `npm link` puts capctl on the PATH
// offline, and the `npx capctl` lines of "Start managing an existing org" and "Salesforce
// metadata" do what their comments say (real children, real files in a temporary folder).
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, repoRoot, runCapctl, runProcess } from './helpers/cli.js';

const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
const version = (JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** The `npx capctl …` lines of a section's sh blocks: their arguments and their comment. */
function capctlLines(markdown: string): { line: string; args: string[]; comment: string }[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.startsWith('npx capctl '))
    .map((line) => {
      const [command = '', comment = ''] = line.split(/\s+#\s*/);
      return { line, args: command.trim().split(/\s+/).slice(2), comment: comment.trim() };
    });
}

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

describe('README commands', () => {
  it('says near the top how to put capctl on the PATH, and `npm link` does it offline', async () => {
    const top = readme.slice(0, readme.indexOf('\n## The desired state\n'));
    expect(top).toContain('put it on the PATH once with `npm link`');
    const prefix = await makeTempDir('capctl-link-');
    temps.push(prefix);
    // A prefix of our own, so that the link goes into the temporary folder, not the machine's.
    const env = { ...process.env, npm_config_prefix: prefix, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
    const linked = await runProcess('npm', ['link'], { cwd: repoRoot, env });
    expect(linked.code, linked.stderr).toBe(0);
    const bin = process.platform === 'win32' ? prefix : path.join(prefix, 'bin');
    const onPath = await runProcess('capctl', ['--version'], { cwd: prefix, env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` } });
    expect(onPath).toMatchObject({ code: 0, stdout: `${version}\n` });
  }, 120_000);

  it('"Start managing an existing org": import, then plan says what its comment says', async () => {
    const lines = capctlLines(section('Start managing an existing org'));
    expect(lines.map((l) => l.args[0])).toEqual(['import', 'plan']);
    const dir = await makeTempDir('capctl-readme-import-');
    temps.push(dir);
    await copyInto(path.join(repoRoot, 'org-state'), path.join(dir, 'org-state'));
    for (const { line, args, comment } of lines) {
      const result = await runCapctl(args, { cwd: dir });
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
      if (args[0] === 'plan') expect(result.stdout).toContain(comment);
    }
  });

  it('"Salesforce metadata": import from an sfdx tree and export back into it, as written', async () => {
    const lines = capctlLines(section('Salesforce metadata'));
    expect(lines.map((l) => l.args[0])).toEqual(['import', 'export']);
    const dir = await makeTempDir('capctl-readme-metadata-');
    temps.push(dir);
    // An sfdx project of capctl's own fixtures, its metadata in force-app/ as the README's is.
    await cp(path.join(repoRoot, 'test/metadata/fixtures/tidewater-ops/force-app'), path.join(dir, 'force-app'), { recursive: true });
    for (const { line, args } of lines) {
      const result = await runCapctl(args, { cwd: dir });
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
    }
  });
});
