// Where `plan --out`, `import --out` and `export --metadata` may write (SPEC §10): a regular file or
// a new path only, never a FIFO, a device, a symbolic link, and never into the org store or the
// desired folder, whichever way the path gets there (a symlinked parent, `..`). Each refusal is
// exit 1 with the reason, and nothing anywhere is written: the real CLI in child processes, on real
// files, with the whole temporary folder compared before and after.
import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyInto, makeTempDir, removeDir, runCapctl, type CliResult } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
let root: string;

beforeAll(async () => {
  root = await makeTempDir('capctl-out-');
  await copyInto('examples/acme', path.join(root, 'desired'));
  await copyInto('org-state', path.join(root, 'org-state'));
  await mkdir(path.join(root, 'elsewhere'));
  await writeFile(path.join(root, 'elsewhere/kept.json'), 'kept\n');
  await symlink('elsewhere/kept.json', path.join(root, 'link-to-file'));
  await symlink('elsewhere/nothing-yet.json', path.join(root, 'link-to-nowhere'));
  await symlink('org-state', path.join(root, 'store-link'));
  await symlink('desired', path.join(root, 'desired-link'));
  await symlink('../org-state/acme-prod', path.join(root, 'elsewhere/acme-link'));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
});
afterAll(() => removeDir(root));

/** Every entry under the temporary folder: its kind, and a file's bytes or a link's target. */
async function everything(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const at = path.relative(root, file);
    if (entry.isSymbolicLink()) out.set(at, `link ${await readlink(file)}`);
    else if (entry.isFile()) out.set(at, `file ${await readFile(file, 'utf8')}`);
    else if (entry.isFIFO()) out.set(at, 'fifo');
    else if (entry.isCharacterDevice()) out.set(at, 'character device');
    else out.set(at, entry.isDirectory() ? 'folder' : 'other');
  }
  return out;
}

/** Runs capctl in the temporary folder and expects a refusal: exit 1, `reason` on stderr, no stack, nothing written. */
async function expectRefused(args: string[], reason: string | RegExp): Promise<CliResult> {
  const before = await everything();
  const result = await runCapctl(args, { cwd: root });
  expect(result.code, result.stderr).toBe(1);
  if (typeof reason === 'string') expect(result.stderr).toBe(`capctl: ${reason}\n`);
  else expect(result.stderr).toMatch(reason);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(await everything()).toEqual(before);
  return result;
}

const notAFile = (shown: string, what: string) => `${shown} is ${what}: capctl writes only a regular file or a new path; nothing written`;
const inside = (shown: string, folder: string) => `${shown} is inside ${folder}: capctl never writes its output there; nothing written`;

describe('plan --out', () => {
  const plan = (out: string, ...more: string[]) => ['plan', '--desired', 'desired', '--org-state', 'org-state', '--out', out, ...more];

  it('refuses a FIFO, a symbolic link (to a file, or to nothing yet) and a link to a folder', async () => {
    await expectRefused(plan('fifo'), notAFile('--out fifo', 'a FIFO (named pipe)'));
    await expectRefused(plan('link-to-file'), notAFile('--out link-to-file', 'a symbolic link'));
    expect(await readFile(path.join(root, 'elsewhere/kept.json'), 'utf8')).toBe('kept\n');
    await expectRefused(plan('link-to-nowhere'), notAFile('--out link-to-nowhere', 'a symbolic link'));
    await expectRefused(plan('store-link'), notAFile('--out store-link', 'a symbolic link'));
  });

  it.runIf(isRoot)('refuses a device node: one of its own, then /dev/null and /dev/full (as root, where a rename would replace them)', async () => {
    execFileSync('mknod', [path.join(root, 'null-device'), 'c', '1', '3']);
    try {
      await expectRefused(plan('null-device'), notAFile('--out null-device', 'a character device'));
      for (const device of ['/dev/null', '/dev/full']) {
        try {
          await expectRefused(plan(device), notAFile(`--out ${device}`, 'a character device'));
        } finally {
          // Were it replaced after all, put the device back for everything else on the machine.
          if (!lstatSync(device).isCharacterDevice()) {
            execFileSync('rm', ['-f', device]);
            execFileSync('mknod', ['-m', '666', device, 'c', '1', device === '/dev/null' ? '3' : '7']);
          }
        }
        expect(lstatSync(device).isCharacterDevice()).toBe(true);
      }
    } finally {
      execFileSync('rm', ['-f', path.join(root, 'null-device')]);
    }
  });

  it('refuses a file of the org store (org.json among them) and a new path in it', async () => {
    await expectRefused(plan('org-state/acme-prod/org.json'), inside('--out org-state/acme-prod/org.json', 'the org store org-state'));
    await expectRefused(plan('org-state/acme-prod/plan.json'), inside('--out org-state/acme-prod/plan.json', 'the org store org-state'));
    await expectRefused(plan('org-state/new/plan.json'), inside('--out org-state/new/plan.json', 'the org store org-state'));
  });

  it('refuses the store and the desired folder however the path leads there: a symlinked parent, `..`, a store named through a link', async () => {
    const real = (relative: string) => path.join(root, relative);
    await expectRefused(plan('store-link/acme-prod/org.json'), inside(`--out store-link/acme-prod/org.json (through symbolic links: ${real('org-state/acme-prod/org.json')})`, 'the org store org-state'));
    await expectRefused(plan('elsewhere/acme-link/users.json'), inside(`--out elsewhere/acme-link/users.json (through symbolic links: ${real('org-state/acme-prod/users.json')})`, 'the org store org-state'));
    await expectRefused(plan('elsewhere/../org-state/acme-prod/org.json'), inside('--out elsewhere/../org-state/acme-prod/org.json', 'the org store org-state'));
    await expectRefused(plan('desired-link/plan.json'), inside(`--out desired-link/plan.json (through symbolic links: ${real('desired/plan.json')})`, 'the desired folder desired'));
    await expectRefused(plan('desired/apps/../plan.json'), inside('--out desired/apps/../plan.json', 'the desired folder desired'));
    // The folders compared are real paths too: a store named through its link still holds org-state/.
    await expectRefused(
      ['plan', '--desired', 'desired-link', '--org-state', 'store-link', '--out', 'org-state/acme-prod/org.json'],
      inside('--out org-state/acme-prod/org.json', 'the org store store-link'),
    );
    await expectRefused(plan(path.join(root, 'desired/org.json')), inside(`--out ${path.join(root, 'desired/org.json')}`, 'the desired folder desired'));
  });

  it('refuses a path under a link that leads nowhere', async () => {
    await symlink('elsewhere/missing-folder', path.join(root, 'folder-link-to-nowhere'));
    try {
      await expectRefused(plan('folder-link-to-nowhere/plan.json'), `--out folder-link-to-nowhere/plan.json: ${path.join(root, 'folder-link-to-nowhere')} is a symbolic link that leads nowhere; nothing written`);
    } finally {
      execFileSync('rm', [path.join(root, 'folder-link-to-nowhere')]);
    }
  });

  it('writes a new path, and replaces a regular file, beside the store and through a symlinked parent outside it', async () => {
    const fresh = await runCapctl(plan('elsewhere/plan.json'), { cwd: root });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(await readFile(path.join(root, 'elsewhere/plan.json'), 'utf8'))).toHaveProperty('formatVersion');
    await symlink('elsewhere', path.join(root, 'elsewhere-link'));
    const again = await runCapctl(plan('elsewhere-link/plan.json'), { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    expect((await lstat(path.join(root, 'elsewhere/plan.json'))).isFile()).toBe(true);
    // `org-state-plans/` only starts like the store's name.
    const beside = await runCapctl(plan('org-state-plans/plan.json'), { cwd: root });
    expect(beside.code, beside.stderr).toBe(0);
  });
});

describe('import --out', () => {
  it('refuses a folder inside the org store, directly, through a link or with `..`', async () => {
    await expectRefused(['import', '--out', 'org-state/acme-prod/desired'], inside('org-state/acme-prod/desired', 'the org store org-state'));
    await expectRefused(['import', '--out', 'org-state'], inside('org-state', 'the org store org-state'));
    await expectRefused(['import', '--out', 'store-link'], inside(`store-link (through symbolic links: ${path.join(root, 'org-state')})`, 'the org store org-state'));
    await expectRefused(['import', '--out', 'elsewhere/../org-state/x'], inside('elsewhere/../org-state/x', 'the org store org-state'));
  });

  it('refuses, even with --force, a file to write that is a link (into the store or anywhere) or a FIFO', async () => {
    const out = path.join(root, 'imported');
    await mkdir(path.join(out, 'apps'), { recursive: true });
    await symlink('../../org-state/acme-prod/org.json', path.join(out, 'org.yaml'));
    try {
      await expectRefused(['import', '--out', 'imported', '--force'], notAFile('imported/org.yaml', 'a symbolic link'));
    } finally {
      execFileSync('rm', [path.join(out, 'org.yaml')]);
    }
    execFileSync('mkfifo', [path.join(out, 'apps/slack.yaml')]);
    await expectRefused(['import', '--out', 'imported', '--force'], notAFile('imported/apps/slack.yaml', 'a FIFO (named pipe)'));
    execFileSync('rm', [path.join(out, 'apps/slack.yaml')]);
    // A folder of the output that is a link into the store.
    await symlink('../org-state/acme-prod', path.join(out, 'apps-link-target'));
    execFileSync('rm', ['-r', path.join(out, 'apps')]);
    await symlink('apps-link-target', path.join(out, 'apps'));
    await expectRefused(['import', '--out', 'imported'], new RegExp(`^capctl: imported/apps/[a-z0-9-]+\\.yaml \\(through symbolic links: ${root}/org-state/acme-prod/[a-z0-9-]+\\.yaml\\) is inside the org store org-state: capctl never writes its output there; nothing written\\n$`));
    execFileSync('rm', ['-r', out]);
  });
});

describe('export --metadata', () => {
  const exportTo = (dir: string) => ['export', '--metadata', dir, '--desired', 'desired', '--org', 'acme-prod'];

  it('refuses a folder inside the desired folder or the org store', async () => {
    await expectRefused(exportTo('desired/force-app'), inside('--metadata desired/force-app', 'the desired folder desired'));
    await expectRefused(exportTo('desired'), inside('--metadata desired', 'the desired folder desired'));
    await expectRefused(exportTo('org-state/acme-prod'), inside('--metadata org-state/acme-prod', 'the org store org-state'));
    await expectRefused(exportTo('desired-link/meta'), inside(`--metadata desired-link/meta (through symbolic links: ${path.join(root, 'desired/meta')})`, 'the desired folder desired'));
    await expectRefused(exportTo('fifo'), '--metadata fifo is a FIFO (named pipe), not a folder; nothing written');
  });

  it('refuses a file to write that is a link, or a folder of the tree that leads into the desired folder', async () => {
    const meta = path.join(root, 'meta');
    await mkdir(path.join(meta, 'force-app/main/default/connectedApps'), { recursive: true });
    await symlink('../../../../../elsewhere/kept.json', path.join(meta, 'force-app/main/default/connectedApps/Slack.connectedApp-meta.xml'));
    await expectRefused(exportTo('meta'), notAFile('meta/force-app/main/default/connectedApps/Slack.connectedApp-meta.xml', 'a symbolic link'));
    execFileSync('rm', ['-r', path.join(meta, 'force-app/main/default/connectedApps')]);
    await symlink('../../../../desired/apps', path.join(meta, 'force-app/main/default/connectedApps'));
    await expectRefused(
      exportTo('meta'),
      inside(`meta/force-app/main/default/connectedApps/Data_Loader.connectedApp-meta.xml (through symbolic links: ${path.join(root, 'desired/apps/Data_Loader.connectedApp-meta.xml')})`, 'the desired folder desired'),
    );
    execFileSync('rm', ['-r', meta]);
    const fine = await runCapctl(exportTo('meta'), { cwd: root });
    expect(fine.code, fine.stderr).toBe(0);
    expect(fine.stdout).toContain('Exported acme-prod to meta: 19 created');
  });
});
