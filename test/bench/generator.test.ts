// The benchmark's generator (scripts/bench/generate.mjs), at a tiny scale: what it writes is a
// valid desired state and a valid store of SPEC §4, the same bytes every time, and a plan of it
// has the kinds of actions the benchmark means to measure.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir, repoRoot, runCapctl } from '../helpers/cli.js';

const run = promisify(execFile);
const generator = path.join(repoRoot, 'scripts/bench/generate.mjs');
const scale = '0.002';
const org = 'bench-org';

interface Summary {
  sessions: number;
  declaredApps: number;
  revocations: number;
  actor: string;
  expected: { changes: number; sessionsRevoked: number; sessionsBlocked: number };
}

interface SessionFile {
  sessions: { user: string }[];
}

async function generate(dir: string): Promise<Summary> {
  const { stdout } = await run(process.execPath, [generator, dir, '--scale', scale]);
  return JSON.parse(stdout) as Summary;
}

/** Every file under `dir`, relative to it, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('benchmark generator', () => {
  let dir: string;
  let summary: Summary;
  const desired = () => path.join(dir, 'desired');
  const orgState = () => path.join(dir, 'org-state');

  beforeAll(async () => {
    dir = await makeTempDir('capctl-bench-gen-');
    summary = await generate(path.join(dir));
  });
  afterAll(async () => {
    await removeDir(dir);
  });

  it('writes the same bytes for the same seed and scale', async () => {
    const again = await makeTempDir('capctl-bench-gen-');
    try {
      await generate(again);
      const files = await listFiles(dir);
      expect(await listFiles(again)).toEqual(files);
      for (const file of files) {
        expect(await readFile(path.join(again, file), 'utf8'), file).toBe(await readFile(path.join(dir, file), 'utf8'));
      }
    } finally {
      await removeDir(again);
    }
  });

  it('writes store files that match the org-state schema, in deterministic JSON, within R11', async () => {
    const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    for (const name of ['desired-state', 'org-state', 'plan']) {
      ajv.addSchema(JSON.parse(await readFile(path.join(repoRoot, 'schemas', `${name}.schema.json`), 'utf8')) as object);
    }
    const validator = (def: string) => ajv.getSchema(`https://capctl.dev/schemas/org-state.schema.json#/$defs/${def}`)!;
    const orgDir = path.join(orgState(), org);
    const check = async (file: string, def: string): Promise<unknown> => {
      const text = await readFile(path.join(orgDir, file), 'utf8');
      const value = JSON.parse(text) as unknown;
      const validate = validator(def);
      expect(validate(value), `${file}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(text.endsWith('}\n') || text.endsWith(']\n'), `${file} ends with a newline`).toBe(true);
      expect(text, `${file} is two-space indented`).toMatch(/^[[{]\n {2}\S/);
      return value;
    };
    await check('org.json', 'OrgFile');
    const users = (await check('users.json', 'UsersFile')) as { username: string }[];
    const usernames = new Set(users.map((u) => u.username));
    expect(usernames.has(summary.actor)).toBe(true);
    let sessions = 0;
    for (const file of await readdir(path.join(orgDir, 'apps'))) {
      const app = (await check(path.join('apps', file), 'AppFile')) as SessionFile;
      const perUser = new Map<string, number>();
      for (const session of app.sessions) {
        expect(usernames.has(session.user), session.user).toBe(true);
        perUser.set(session.user, (perUser.get(session.user) ?? 0) + 1);
      }
      expect(Math.max(0, ...perUser.values()), `${file}: sessions per user`).toBeLessThanOrEqual(5);
      sessions += app.sessions.length;
    }
    expect(sessions).toBe(summary.sessions);
  });

  it('writes a desired state that capctl validate accepts', async () => {
    const result = await runCapctl(['validate', desired(), '--org-state', orgState()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('writes a declaration that capctl plan turns into installs, changes, revocations and blocks', async () => {
    const result = await runCapctl(['plan', '--desired', desired(), '--org-state', orgState(), '--org', org, '--format', 'json']);
    expect([0, 2], result.stderr).toContain(result.code);
    const plan = JSON.parse(result.stdout) as { actions: { kind: string }[]; diagnostics: { severity: string }[] };
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const kinds = new Set(plan.actions.map((a) => a.kind));
    for (const kind of ['set-org-settings', 'install', 'set-policies', 'set-assignments', 'unblock', 'revoke', 'block', 'uninstall']) {
      expect(kinds, kind).toContain(kind);
    }
    expect(plan.actions.length).toBeGreaterThanOrEqual(summary.expected.changes);
  });
});
