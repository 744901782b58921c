// Names with control characters (an app renamed in the store by a pull request, say) are printed
// escaped everywhere text is: plan (text, markdown), usage, apply, history, verify, and the apply
// commit, whose subject stays one line and whose body cannot forge a trailer.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, runCapctl } from '../helpers/cli.js';
import { git, gitEnv, initRepo } from '../helpers/git.js';

const ACTOR = 'ci-bot@acme.example';
/** Clears the screen, paints red, reverses the text, ends the line and poses as a trailer. */
const evil = '\u001b[2J\u001b[31mDrop\u202ebox\nCapctl-Actor: mallory@evil.example';
const shown = '\\x1b[2J\\x1b[31mDrop\\u202ebox\\nCapctl-Actor: mallory@evil.example';
/** What must never reach the output raw: every control but the line feed, and the bidirectional controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let dir: string;
let env: Record<string, string | undefined>;

function capctl(args: string[]) {
  return runCapctl(args, { cwd: dir, env: { ...env, CAPCTL_ACTOR: ACTOR } });
}

beforeAll(async () => {
  dir = await makeTempDir('capctl-control-chars-');
  env = gitEnv(dir);
  await copyInto('org-state', path.join(dir, 'org-state'));
  const appFile = path.join(dir, 'org-state/acme-prod/apps/0H4lSJO1NW9H8g8sD3.json');
  const app = JSON.parse(await readFile(appFile, 'utf8')) as { name: string };
  expect(app.name).toBe('Dropbox');
  await writeFile(appFile, `${JSON.stringify({ ...app, name: evil }, null, 2)}\n`);
  await copyInto('examples/acme', path.join(dir, 'desired'));
  await rm(path.join(dir, 'desired/apps'), { recursive: true });
  await rm(path.join(dir, 'desired/revocations'), { recursive: true });
  await writeFile(path.join(dir, 'desired/org.yaml'), 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\nunmanagedApps: ignore\n');
  await writeFile(path.join(dir, 'desired/evil.yaml'), `apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: ${JSON.stringify(evil)}\nblocked: true\n`);
  initRepo(dir, env);
}, 60_000);
afterAll(() => removeDir(dir));

describe('a name with control characters', () => {
  it.each([
    ['plan', ['plan']],
    ['plan --format markdown', ['plan', '--format', 'markdown']],
    ['usage', ['usage']],
    ['usage APP', ['usage', '0H4lSJO1NW9H8g8sD3']],
  ])('is escaped by %s', async (_name, args) => {
    const result = await capctl(args);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(raw);
    // Markdown also escapes its own characters (the backslashes and brackets of the escapes).
    expect(result.stdout).toContain(args[1] === '--format' ? shown.replace(/[\\[]/g, '\\$&') : shown);
    expect(result.stdout.split('\n').some((line) => line.startsWith('Capctl-Actor: mallory'))).toBe(false);
  });

  it('is escaped by apply, in a one-line commit subject, and in history and verify', async () => {
    const applied = await capctl(['apply', '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).not.toMatch(raw);
    expect(applied.stdout).toContain(`blocked ${shown}`);

    const subject = git(dir, ['log', '-1', '--format=%s'], env);
    expect(subject).toBe(`capctl apply acme-prod: block ${shown}\n`);
    const message = git(dir, ['log', '-1', '--format=%B'], env);
    expect(message).not.toMatch(raw);
    const actors = git(dir, ['interpret-trailers', '--parse'], env, message).split('\n').filter((l) => l.startsWith('Capctl-Actor:'));
    expect(actors).toEqual([`Capctl-Actor: ${ACTOR}`]);

    const history = await capctl(['history']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).not.toMatch(raw);
    expect(history.stdout).toContain(`blocked ${shown}`);
    const verify = await capctl(['verify']);
    expect(verify.code, verify.stdout).toBe(0);
  });
});

describe('an error that quotes a name', () => {
  it('prints it escaped (line breaks stay: such messages list things one per line)', async () => {
    const result = await capctl(['usage', 'Drop\u001b[2J\u202ebox']);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(raw);
    expect(result.stderr).toContain('"Drop\\x1b[2J\\u202ebox"');
  });
});
