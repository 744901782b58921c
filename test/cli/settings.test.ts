import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseOrg, resolveSettings } from '../../src/cli/settings.js';
import type { Host } from '../../src/cli/host.js';
import { InputError } from '../../src/model/index.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

function hostAt(cwd: string, env: Record<string, string> = {}): Host {
  return { cwd, env, out() {}, err() {}, drain: async () => {}, stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false, color: false, now: () => new Date(0), exitCode: 0 };
}

async function repoWithConfig(config: string): Promise<string> {
  const root = await makeTempDir();
  dirs.push(root);
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(root, 'teams/platform'), { recursive: true });
  await writeFile(path.join(root, 'capctl.yaml'), config);
  return root;
}

describe('settings', () => {
  it('uses the defaults without capctl.yaml', async () => {
    const root = await makeTempDir();
    dirs.push(root);
    await mkdir(path.join(root, '.git'));
    expect(await resolveSettings({}, hostAt(root))).toEqual({ desired: 'desired', orgState: 'org-state' });
  });

  it('reads capctl.yaml at the repository root, relative to it, from a subfolder', async () => {
    const root = await repoWithConfig('desired: access/desired\norgState: stores\norg: acme-prod\nactor: ci-bot@acme.example\n');
    const settings = await resolveSettings({}, hostAt(path.join(root, 'teams/platform')));
    expect(settings).toMatchObject({ desired: '../../access/desired', orgState: '../../stores', org: 'acme-prod', actor: 'ci-bot@acme.example' });
  });

  it('lets flags win over CAPCTL_ACTOR, and CAPCTL_ACTOR over capctl.yaml', async () => {
    const root = await repoWithConfig('org: acme-prod\nactor: from-file\n');
    expect((await resolveSettings({}, hostAt(root, { CAPCTL_ACTOR: 'from-env' }))).actor).toBe('from-env');
    expect(await resolveSettings({ actor: 'from-flag', org: 'other', desired: 'd' }, hostAt(root, { CAPCTL_ACTOR: 'from-env' }))).toMatchObject({ actor: 'from-flag', org: 'other', desired: 'd' });
  });

  it('rejects a capctl.yaml with an unknown field, naming it', async () => {
    const root = await repoWithConfig('desierd: x\n');
    await expect(resolveSettings({}, hostAt(root))).rejects.toThrow(/capctl\.yaml.*desierd/);
    await expect(resolveSettings({}, hostAt(root))).rejects.toThrow(InputError);
  });

  it('chooses the only org, or the requested one, and explains otherwise', () => {
    expect(chooseOrg(undefined, ['acme-prod'], 'org-state')).toBe('acme-prod');
    expect(chooseOrg('b', ['a', 'b'], 'org-state')).toBe('b');
    expect(() => chooseOrg(undefined, ['a', 'b'], 'org-state')).toThrow(/several orgs \(a, b\): choose one with --org/);
    expect(() => chooseOrg('c', ['a', 'b'], 'org-state')).toThrow(/no org "c" in org-state \(the store has: a, b\)/);
  });
});

describe('the capctl.yaml shown in the README', () => {
  it('is valid and sets what it says', async () => {
    const { readFile } = await import('node:fs/promises');
    const { repoRoot } = await import('../helpers/cli.js');
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /## Use it in CI[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const root = await repoWithConfig(block!);
    expect(await resolveSettings({}, hostAt(root))).toMatchObject({ desired: 'desired', orgState: 'org-state', org: 'acme-prod', actor: 'ci-bot@acme.example' });
    // From a subfolder, so that the folders come from the file (relative to it), not the defaults.
    expect(await resolveSettings({}, hostAt(path.join(root, 'teams/platform')))).toMatchObject({
      desired: '../../desired',
      orgState: '../../org-state',
      org: 'acme-prod',
      actor: 'ci-bot@acme.example',
    });
  });
});

describe('capctl.yaml and the environment, at their edges', () => {
  it('resolves the default folders relative to capctl.yaml too, not the working folder', async () => {
    const root = await repoWithConfig('org: acme-prod\n');
    expect(await resolveSettings({}, hostAt(path.join(root, 'teams/platform')))).toMatchObject({ desired: '../../desired', orgState: '../../org-state', org: 'acme-prod' });
    expect(await resolveSettings({}, hostAt(root))).toMatchObject({ desired: 'desired', orgState: 'org-state' });
    // Flags stay relative to the working folder.
    expect(await resolveSettings({ desired: 'here' }, hostAt(path.join(root, 'teams/platform')))).toMatchObject({ desired: 'here', orgState: '../../org-state' });
  });

  it('counts an empty CAPCTL_ACTOR as unset', async () => {
    const root = await repoWithConfig('actor: from-file\n');
    expect((await resolveSettings({}, hostAt(root, { CAPCTL_ACTOR: '' }))).actor).toBe('from-file');
    const bare = await repoWithConfig('org: acme-prod\n');
    expect(await resolveSettings({}, hostAt(bare, { CAPCTL_ACTOR: '' }))).not.toHaveProperty('actor');
  });
});
