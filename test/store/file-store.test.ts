// The file store in process, on real files: snapshot digest, commit (only changed files, one
// atomic unit with its ledger line), runs of changes as one unit, reading a pending journal, torn ledger repair, deterministic
// JSON, and the bundled store being exactly what its generator writes.
import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ObservedApp, LedgerLine } from '../../src/model/index.js';
import { StoreError } from '../../src/model/index.js';
import { digestOf } from '../../src/plan/digest.js';
import { approvalUrl } from '../../src/plan/approval-url.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { isInstant, isLeapSecond } from '../../src/store/instant.js';
import { formatJson, withSortedKeys } from '../../src/store/json-format.js';
import { findJsonSyntaxError, locateJsonPointer } from '../../src/store/json-locate.js';
import { formatLedgerLine } from '../../src/store/ledger-file.js';
import { snapshotDigest, SnapshotDigester } from '../../src/store/store-digest.js';
import { copyInto, makeTempDir, removeDir, repoRoot } from '../helpers/cli.js';
import { fingerprint } from '../helpers/fingerprint.js';
// @ts-expect-error -- a plain .mjs script without type declarations
import { writeExampleOrg } from '../../scripts/make-example-org.mjs';

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await removeDir(dir);
});

async function bundledCopy(): Promise<{ root: string; orgDir: string }> {
  const dir = await makeTempDir('capctl-store-');
  temps.push(dir);
  const root = path.join(dir, 'org-state');
  await copyInto('org-state', root);
  return { root, orgDir: path.join(root, 'acme-prod') };
}

async function storeFiles(orgDir: string): Promise<string[]> {
  return ['org.json', 'users.json', ...(await readdir(path.join(orgDir, 'apps'))).map((f) => `apps/${f}`)];
}

function ledgerLine(seq: number, prev: string, storeDigest: string, app: ObservedApp): LedgerLine {
  const line = {
    seq,
    at: '2026-11-28T12:00:00Z',
    actor: 'ci-bot@acme.example',
    plan: `sha256:${'a'.repeat(64)}`,
    action: { seq: 1, kind: 'block' as const, app: { name: app.name, id: app.id }, reason: 'file sharing banned', requires: 'ViewSetup' as const, effects: { sessionsEnded: app.sessions.length, usersAffected: 1 } },
    result: { status: 'blocked' as const, sessionsEnded: app.sessions.length, usersAffected: 1, storeDigest },
    prev,
  };
  return { ...line, hash: digestOf(line) };
}

describe('FileOrgStore.readSnapshot', () => {
  it('reads the bundled org with its apps sorted by name', async () => {
    const snapshot = await new FileOrgStore(path.join(repoRoot, 'org-state')).readSnapshot('acme-prod');
    expect(snapshot.slug).toBe('acme-prod');
    expect(snapshot.org.id).toBe('00D5e0000001AcmEAA');
    expect(snapshot.users).toHaveLength(60);
    expect(snapshot.apps).toHaveLength(40);
    const names = snapshot.apps.map((a) => a.name);
    expect(names.slice(0, 3)).toEqual(['Acme Data Bridge', 'Asana', 'Box']);
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), 'en')));
    expect(snapshot.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('has a digest that changes when any byte of any store file changes, and not with the ledger', async () => {
    const { root, orgDir } = await bundledCopy();
    const store = new FileOrgStore(root);
    const base = (await store.readSnapshot('acme-prod')).digest;
    const seen = new Set([base]);
    for (const rel of await storeFiles(orgDir)) {
      const file = path.join(orgDir, rel);
      const original = await readFile(file, 'utf8');
      await writeFile(file, original.replace(/\n$/, ' \n')); // one more byte, still the same JSON
      const digest = (await store.readSnapshot('acme-prod')).digest;
      expect(seen.has(digest), rel).toBe(false);
      seen.add(digest);
      await writeFile(file, original);
    }
    expect((await store.readSnapshot('acme-prod')).digest).toBe(base);
    const snapshot = await store.readSnapshot('acme-prod');
    await writeFile(path.join(orgDir, 'ledger.jsonl'), formatLedgerLine(ledgerLine(1, 'genesis', base, snapshot.apps[0]!)));
    await writeFile(path.join(orgDir, '.lock'), '{}');
    expect((await store.readSnapshot('acme-prod')).digest).toBe(base);
  });

  it('has a digest that does not depend on the order files are read or written in', async () => {
    const entries: [string, string][] = [
      ['org.json', 'a'.repeat(64)],
      ['users.json', 'b'.repeat(64)],
      ['apps/0H4AAAAAAAAAAAAAAA.json', 'c'.repeat(64)],
      ['apps/0H4BBBBBBBBBBBBBBB.json', 'd'.repeat(64)],
    ];
    const reversed = [...entries].reverse();
    const shuffled = [entries[2]!, entries[0]!, entries[3]!, entries[1]!];
    expect(snapshotDigest(reversed)).toBe(snapshotDigest(entries));
    expect(snapshotDigest(shuffled)).toBe(snapshotDigest(entries));
    // As documented: sha256 over `<path> <hash>\n` lines in path order.
    const lines = [entries[2]!, entries[3]!, entries[0]!, entries[1]!].map(([rel, hash]) => `${rel} ${hash}\n`).join('');
    expect(snapshotDigest(shuffled)).toBe(`sha256:${createHash('sha256').update(lines).digest('hex')}`);

    // Two copies whose files were written in opposite orders.
    const { root: first, orgDir } = await bundledCopy();
    const dir = await makeTempDir('capctl-store-');
    temps.push(dir);
    const second = path.join(dir, 'org-state');
    const rels = (await storeFiles(orgDir)).reverse();
    for (const rel of rels) {
      await copyInto(path.join(orgDir, rel), path.join(second, 'acme-prod', rel));
    }
    const a = await new FileOrgStore(first).readSnapshot('acme-prod');
    const b = await new FileOrgStore(second).readSnapshot('acme-prod');
    expect(b.digest).toBe(a.digest);
  });
});

describe('FileOrgStore.commit', () => {
  it('rewrites only the files whose bytes change, appends the ledger line, and returns the new digest', async () => {
    const { root, orgDir } = await bundledCopy();
    const store = new FileOrgStore(root);
    const lock = await store.lock('acme-prod', { timeoutMs: 0, command: 'test' });
    const before = await store.readSnapshot('acme-prod');
    const dropbox = before.apps.find((a) => a.name === 'Dropbox')!;
    const zoom = before.apps.find((a) => a.name === 'Zoom')!;
    const usersStat = await stat(path.join(orgDir, 'users.json'));
    const slackFile = path.join(orgDir, 'apps/0H4Hp000000TN1xKAG.json');
    const slackStat = await stat(slackFile);

    let digestSeen: string | undefined;
    const { digest } = await store.commit('acme-prod', {
      files: [
        { path: 'org.json', content: formatJson({ ...before.org, revision: before.org.revision + 1 }) },
        { path: 'users.json', content: formatJson(before.users) }, // same bytes
        { path: `apps/${dropbox.id}.json`, content: formatJson({ ...dropbox, blocked: true, sessions: [] }) },
        { path: 'apps/0H4Hp000000TN1xKAG.json', content: await readFile(slackFile, 'utf8') }, // same bytes
        { path: `apps/${zoom.id}.json`, content: null },
        { path: 'apps/0H4NOTTHERE0000000.json', content: null }, // removing what is not there is nothing
      ],
      ledgerLine: (storeDigest) => {
        digestSeen = storeDigest;
        return ledgerLine(1, 'genesis', storeDigest, dropbox);
      },
    });
    await lock.release();

    expect(digestSeen).toBe(digest);
    const after = await new FileOrgStore(root).readSnapshot('acme-prod');
    expect(after.digest).toBe(digest);
    expect(after.org.revision).toBe(before.org.revision + 1);
    expect(after.apps.find((a) => a.name === 'Dropbox')).toMatchObject({ blocked: true, sessions: [] });
    expect(after.apps.some((a) => a.name === 'Zoom')).toBe(false);
    for (const [file, old] of [
      ['users.json', usersStat],
      ['apps/0H4Hp000000TN1xKAG.json', slackStat],
    ] as const) {
      const now = await stat(path.join(orgDir, file));
      expect({ ino: now.ino, mtimeMs: now.mtimeMs }, file).toEqual({ ino: old.ino, mtimeMs: old.mtimeMs });
    }
    const ledger = await store.readLedger('acme-prod');
    expect(ledger.map((l) => [l.seq, l.result.storeDigest])).toEqual([[1, digest]]);
    const names = await readdir(orgDir);
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('knows the ledger\'s last line as it left it, and sees a line another store appended behind its back', async () => {
    const { root } = await bundledCopy();
    const store = new FileOrgStore(root);
    const other = new FileOrgStore(root);
    const lock = await store.lock('acme-prod', { timeoutMs: 0, command: 'test' });
    const apps = (await store.readSnapshot('acme-prod')).apps;
    const [dropbox, zoom] = ['Dropbox', 'Zoom'].map((name) => apps.find((a) => a.name === name)!);
    expect(await store.lastLedgerLine('acme-prod')).toBeUndefined();
    // recordSteps chains each step on the last line: the first onto none, the next onto the first.
    const step = (app: ObservedApp) => ({ apps: [{ ...app, deniedAttempts: 7 }], line: (previous: LedgerLine | undefined, d: string) => ledgerLine((previous?.seq ?? 0) + 1, previous?.hash ?? 'genesis', d, app) });
    const [first] = await store.recordSteps('acme-prod', [step(dropbox!)]);
    expect(await store.lastLedgerLine('acme-prod')).toEqual(first);
    // Another store (another process) appends a line: this one sees it, not the one it wrote.
    const { digest } = await other.commit('acme-prod', { files: [], ledgerLine: (d) => ledgerLine(2, first!.hash, d, zoom!) });
    const appended = (await other.readLedger('acme-prod')).at(-1)!;
    expect(appended.result.storeDigest).toBe(digest);
    expect(await store.lastLedgerLine('acme-prod')).toEqual(appended);
    const [third] = await store.recordSteps('acme-prod', [step(zoom!)]);
    expect(third!.seq).toBe(3);
    expect(third!.prev).toBe(appended.hash);
    await lock.release();
    expect((await new FileOrgStore(root).readLedger('acme-prod')).map((l) => l.seq)).toEqual([1, 2, 3]);
  });

  it('knows the current digest without reading unchanged files, and sees files changed behind its back', async () => {
    const { root, orgDir } = await bundledCopy();
    const store = new FileOrgStore(root);
    const snapshot = await store.readSnapshot('acme-prod');
    expect(await store.currentDigest('acme-prod')).toBe(snapshot.digest);

    // Someone edits a file in place: same size, new bytes.
    const users = path.join(orgDir, 'users.json');
    await writeFile(users, (await readFile(users, 'utf8')).replace('ci-bot@', 'ci-bou@'));
    const edited = await store.currentDigest('acme-prod');
    expect(edited).not.toBe(snapshot.digest);
    expect(await new FileOrgStore(root).currentDigest('acme-prod')).toBe(edited);

    const zoom = snapshot.apps.find((a) => a.name === 'Zoom')!;
    const { digest } = await store.commit('acme-prod', { files: [{ path: `apps/${zoom.id}.json`, content: formatJson({ ...zoom, deniedAttempts: 4 }) }] });
    expect(await store.currentDigest('acme-prod')).toBe(digest);
    expect(await new FileOrgStore(root).currentDigest('acme-prod')).toBe(digest);
  });

  it('reads an unchanged org again from memory, and any change (by anyone) from the files', async () => {
    const { root, orgDir } = await bundledCopy();
    const store = new FileOrgStore(root);
    const first = await store.readSnapshot('acme-prod');
    expect(await store.readSnapshot('acme-prod')).toBe(first);

    // Changed behind its back: read from the files.
    const users = path.join(orgDir, 'users.json');
    const activeBefore = first.users.filter((u) => u.active).length;
    await writeFile(users, (await readFile(users, 'utf8')).replace('"active": true', '"active": false'));
    const edited = await store.readSnapshot('acme-prod');
    expect(edited).not.toBe(first);
    expect(edited.users.filter((u) => u.active).length).toBe(activeBefore - 1);
    expect(edited.digest).toBe((await new FileOrgStore(root).readSnapshot('acme-prod')).digest);

    // Changed by a commit of this store: its own view is dropped and the files read.
    const zoom = edited.apps.find((a) => a.name === 'Zoom')!;
    await store.commit('acme-prod', { files: [{ path: `apps/${zoom.id}.json`, content: formatJson({ ...zoom, deniedAttempts: 4 }) }] });
    const committed = await store.readSnapshot('acme-prod');
    expect(committed.apps.find((a) => a.name === 'Zoom')!.deniedAttempts).toBe(4);

    // A broken file is never hidden by what was read before.
    await writeFile(path.join(orgDir, `apps/${zoom.id}.json`), '{');
    await expect(store.readSnapshot('acme-prod')).rejects.toThrow(/malformed/);
  });

  it('refuses paths that are not store files', async () => {
    const { root } = await bundledCopy();
    const store = new FileOrgStore(root);
    for (const bad of ['ledger.jsonl', '.lock', '../x.json', 'apps/../../x.json', '/etc/passwd']) {
      await expect(store.commit('acme-prod', { files: [{ path: bad, content: '{}' }] }), bad).rejects.toThrow(/is not a file of the org store/);
    }
  });
});

describe('a commit interrupted after its journal', () => {
  async function interrupted(): Promise<{ root: string; orgDir: string; line: LedgerLine; digest: string }> {
    const { root, orgDir } = await bundledCopy();
    const crash = new Error('simulated crash');
    const store = new FileOrgStore(root, {
      onCommitStep: (step) => {
        if (step === 'files-removed') throw crash;
      },
    });
    const snapshot = await store.readSnapshot('acme-prod');
    const slack = snapshot.apps.find((a) => a.name === 'Slack')!;
    let line: LedgerLine | undefined;
    let digest = '';
    await expect(
      store.commit('acme-prod', {
        files: [{ path: `apps/${slack.id}.json`, content: formatJson({ ...slack, blocked: true, sessions: [] }) }],
        ledgerLine: (d) => {
          digest = d;
          return (line = ledgerLine(1, 'genesis', d, slack));
        },
      }),
    ).rejects.toBe(crash);
    expect((await readdir(orgDir)).includes('.journal.json')).toBe(true);
    return { root, orgDir, line: line!, digest };
  }

  it('is read as done before recovery, and recovery makes it so', async () => {
    const { root, line, digest } = await interrupted();
    const reader = new FileOrgStore(root);
    expect((await reader.readSnapshot('acme-prod')).digest).toBe(digest);
    expect(await reader.readLedger('acme-prod')).toEqual([line]);
    expect(await reader.recover('acme-prod')).toEqual({ rolledForward: true, tempFilesRemoved: 0 });
    expect(await reader.recover('acme-prod')).toEqual({ rolledForward: false, tempFilesRemoved: 0 });
    expect((await reader.readSnapshot('acme-prod')).digest).toBe(digest);
    expect(await reader.readLedger('acme-prod')).toEqual([line]);
  });

  it('repairs a torn ledger line: a cut line is replaced, a whole line without its newline kept once', async () => {
    for (const torn of ['cut', 'no-newline'] as const) {
      const { root, orgDir, line } = await interrupted();
      const text = formatLedgerLine(line);
      const ledger = path.join(orgDir, 'ledger.jsonl');
      await appendFile(ledger, torn === 'cut' ? text.slice(0, 40) : text.slice(0, -1));
      const store = new FileOrgStore(root);
      expect(await store.readLedger('acme-prod')).toEqual([line]);
      await store.recover('acme-prod');
      expect(await readFile(ledger, 'utf8'), torn).toBe(text);
    }
  });

  it('leaves a torn ledger line without a journal as an error', async () => {
    const { root, orgDir } = await interrupted();
    await new FileOrgStore(root).recover('acme-prod');
    const ledger = path.join(orgDir, 'ledger.jsonl');
    const { size } = await stat(ledger);
    await truncate(ledger, size - 10);
    await expect(new FileOrgStore(root).readLedger('acme-prod')).rejects.toThrow(/malformed/);
  });
});

describe('a run of changes (commitAll)', () => {
  it('writes each file once, as the last change leaves it, and gives each change the digest of one commit at a time', async () => {
    const one = await bundledCopy();
    const run = await bundledCopy();
    const before = await new FileOrgStore(one.root).readSnapshot('acme-prod');
    const app = (name: string): ObservedApp => before.apps.find((a) => a.name === name)!;
    const [slack, zoom, dropbox] = [app('Slack'), app('Zoom'), app('Dropbox')];
    const file = (a: ObservedApp): string => `apps/${a.id}.json`;
    const changes = [
      [{ path: 'org.json', content: formatJson({ ...before.org, revision: before.org.revision + 1 }) }, { path: file(slack), content: formatJson({ ...slack, blocked: true }) }],
      [{ path: file(slack), content: formatJson({ ...slack, blocked: true, sessions: [] }) }, { path: file(dropbox), content: formatJson({ ...dropbox, deniedAttempts: 9 }) }],
      [{ path: file(zoom), content: null }],
      [{ path: file(zoom), content: formatJson({ ...zoom, deniedAttempts: 3 }) }, { path: file(dropbox), content: formatJson(dropbox) }],
    ];
    const dropboxStat = await stat(path.join(run.orgDir, file(dropbox)));

    const singly = new FileOrgStore(one.root);
    const expected: string[] = [];
    let prev = 'genesis';
    for (const [i, files] of changes.entries()) {
      await singly.commit('acme-prod', { files, ledgerLine: (d) => ledgerLine(i + 1, prev, d, slack) });
      prev = (await singly.readLedger('acme-prod')).at(-1)!.hash;
      // The digest of the files as they are, read by a store that knows nothing of them.
      expected.push((await new FileOrgStore(one.root).readSnapshot('acme-prod')).digest);
    }

    const store = new FileOrgStore(run.root);
    const lines: LedgerLine[] = [];
    const digests = await store.commitAll(
      'acme-prod',
      changes.map((files, i) => ({ files, ledgerLine: (d: string) => (lines[i] = ledgerLine(i + 1, lines[i - 1]?.hash ?? 'genesis', d, slack)) })),
    );
    expect(digests).toEqual(expected);
    expect(await fingerprint(run.orgDir)).toEqual(await fingerprint(one.orgDir));
    expect(await new FileOrgStore(run.root).readLedger('acme-prod')).toEqual(lines);
    expect((await new FileOrgStore(run.root).readSnapshot('acme-prod')).digest).toBe(expected.at(-1));
    // Dropbox changed and changed back within the run: not rewritten.
    const dropboxNow = await stat(path.join(run.orgDir, file(dropbox)));
    expect({ ino: dropboxNow.ino, mtimeMs: dropboxNow.mtimeMs }).toEqual({ ino: dropboxStat.ino, mtimeMs: dropboxStat.mtimeMs });
    expect((await readdir(run.orgDir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  /** A run of three changes killed after its journal: the lines it decided, and the store. */
  async function interruptedRun(): Promise<{ root: string; orgDir: string; lines: LedgerLine[] }> {
    const { root, orgDir } = await bundledCopy();
    const crash = new Error('simulated crash');
    const store = new FileOrgStore(root, { onCommitStep: (step) => { if (step === 'files-removed') throw crash; } });
    const snapshot = await store.readSnapshot('acme-prod');
    const lines: LedgerLine[] = [];
    const changes = snapshot.apps.slice(0, 3).map((app, i) => ({
      files: [{ path: `apps/${app.id}.json`, content: formatJson({ ...app, blocked: true }) }],
      ledgerLine: (d: string) => (lines[i] = ledgerLine(i + 1, lines[i - 1]?.hash ?? 'genesis', d, app)),
    }));
    await expect(store.commitAll('acme-prod', changes)).rejects.toBe(crash);
    return { root, orgDir, lines };
  }

  it('killed in the middle of appending its lines, is finished with each line once', async () => {
    for (const torn of ['after-one', 'cut-second', 'all-but-newline'] as const) {
      const { root, orgDir, lines } = await interruptedRun();
      const text = lines.map(formatLedgerLine).join('');
      const ledger = path.join(orgDir, 'ledger.jsonl');
      const second = formatLedgerLine(lines[0]!).length;
      await writeFile(ledger, torn === 'after-one' ? text.slice(0, second) : torn === 'cut-second' ? text.slice(0, second + 30) : text.slice(0, -1));
      const store = new FileOrgStore(root);
      expect(await store.readLedger('acme-prod'), torn).toEqual(lines);
      expect(await store.recover('acme-prod')).toMatchObject({ rolledForward: true });
      expect(await readFile(ledger, 'utf8'), torn).toBe(text);
    }
  });

  it('is refused by a ledger that does not lead to its lines, and the ledger is left as it was', async () => {
    const { root, orgDir, lines } = await interruptedRun();
    const ledger = path.join(orgDir, 'ledger.jsonl');
    const other = formatLedgerLine({ ...lines[0]!, hash: `sha256:${'f'.repeat(64)}` });
    await writeFile(ledger, other);
    // A malformed store (its journal does not fit its ledger), found before any file is renamed.
    const error = (await new FileOrgStore(root).recover('acme-prod').catch((e: unknown) => e)) as StoreError;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.diagnostics.map((d) => d.message)).toEqual(['.journal.json does not fit the ledger: line 1 is not the one this change wrote']);
    expect(await readFile(ledger, 'utf8')).toBe(other);
  });

  it('still rolls forward a journal of the earlier format (one ledger line)', async () => {
    const { root, orgDir, lines } = await interruptedRun();
    const journalFile = path.join(orgDir, '.journal.json');
    const { ledgerLines, ...rest } = JSON.parse(await readFile(journalFile, 'utf8')) as { ledgerLines: LedgerLine[] };
    await writeFile(journalFile, JSON.stringify({ ...rest, format: 1, ledgerLine: ledgerLines[0] }));
    const store = new FileOrgStore(root);
    expect(await store.recover('acme-prod')).toMatchObject({ rolledForward: true });
    expect(await store.readLedger('acme-prod')).toEqual([lines[0]]);
  });
});

describe('deterministic JSON', () => {
  it('sorts keys at every level, keeps array order, indents by two, ends with a newline', () => {
    expect(formatJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": [\n      3,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  it('copies nothing when the keys are sorted already', () => {
    const value = { a: [{ b: 1, c: 2 }], d: { e: 'x' } };
    expect(withSortedKeys(value)).toBe(value);
    const unsorted = { a: [{ c: 2, b: 1 }], d: { e: 'x' } };
    const sorted = withSortedKeys(unsorted);
    expect(sorted).not.toBe(unsorted);
    expect(sorted.d).toBe(unsorted.d);
  });

  it('is the format of every bundled store file, and the bundled store is exactly its generator output', async () => {
    const orgDir = path.join(repoRoot, 'org-state/acme-prod');
    for (const rel of await storeFiles(orgDir)) {
      const text = await readFile(path.join(orgDir, rel), 'utf8');
      expect(formatJson(JSON.parse(text)), rel).toBe(text);
    }
    const dir = await makeTempDir('capctl-example-');
    temps.push(dir);
    await (writeExampleOrg as (out: string) => Promise<unknown>)(dir);
    const generated = path.join(dir, 'acme-prod');
    expect((await storeFiles(generated)).sort()).toEqual((await storeFiles(orgDir)).sort());
    for (const rel of await storeFiles(orgDir)) {
      expect(await readFile(path.join(generated, rel), 'utf8'), rel).toBe(await readFile(path.join(orgDir, rel), 'utf8'));
    }
  });
});

describe('SnapshotDigester', () => {
  it('gives the digest snapshotDigest gives, after any changes, kept or not', () => {
    const rel = fc.integer({ min: 0, max: 30 }).map((i) => (i === 0 ? 'org.json' : i === 1 ? 'users.json' : `apps/0H4${String(i).padStart(15, '0')}.json`));
    const hash = fc.stringMatching(/^[0-9a-f]{64}$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(rel, hash), { selector: ([r]) => r, minLength: 1 }), fc.array(fc.array(fc.tuple(rel, hash), { maxLength: 3 }), { maxLength: 5 }), (files, rounds) => {
        const current = new Map(files);
        const digester = new SnapshotDigester(current);
        expect(digester.digest()).toBe(snapshotDigest(current));
        for (const round of rounds) {
          const changes = new Map(round);
          const known = [...changes.keys()].every((r) => current.has(r));
          const after = new Map([...current, ...changes]);
          expect(digester.digest(changes)).toBe(known ? snapshotDigest(after) : undefined);
          expect(digester.digest()).toBe(snapshotDigest(current)); // a look ahead changes nothing
          expect(digester.update(changes)).toBe(known);
          if (known) for (const [r, h] of changes) current.set(r, h);
          expect(digester.digest()).toBe(snapshotDigest(current));
        }
      }),
    );
  });
});

describe('SnapshotDigester over many chunks', () => {
  it('agrees with snapshotDigest when changes land anywhere in a store of thousands of files', () => {
    const hex = (n: number): string => createHash('sha256').update(String(n)).digest('hex');
    const rels = ['org.json', 'users.json', ...Array.from({ length: 3000 }, (_, i) => `apps/0H4${String(i).padStart(15, '0')}.json`)];
    const change = fc.array(fc.tuple(fc.constantFrom(...rels), fc.nat()), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(fc.tuple(change, fc.constantFrom('none', 'same', 'other'), change), { minLength: 1, maxLength: 8 }), (rounds) => {
        const current = new Map(rels.map((rel, i) => [rel, hex(i)]));
        const digester = new SnapshotDigester(current);
        const asChanges = (c: [string, number][]) => new Map(c.map(([rel, n]) => [rel, hex(n + 10_000)]));
        for (const [round, look, other] of rounds) {
          const changes = asChanges(round);
          // A look ahead at these changes (as a commit does), or at others (a commit that failed).
          if (look === 'same') expect(digester.digest(changes)).toBe(snapshotDigest(new Map([...current, ...changes])));
          if (look === 'other') expect(digester.digest(asChanges(other))).toBe(snapshotDigest(new Map([...current, ...asChanges(other)])));
          digester.update(changes);
          for (const [rel, hash] of changes) current.set(rel, hash);
          expect(digester.digest()).toBe(snapshotDigest(current));
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('small pieces', () => {
  it('isInstant accepts RFC 3339 date-times with real dates only', () => {
    for (const good of ['2026-11-20T00:00:00Z', '2024-02-29T23:59:59.123+05:30', '2026-01-31T12:00:00-08:00', '2026-12-31t00:00:00z']) {
      expect(isInstant(good), good).toBe(true);
    }
    for (const bad of ['2026-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-20 00:00:00Z', '2026-11-20T24:00:00Z', '2026-11-20', '2026-11-20T00:00:00', '2026-12-31T23:59:60Z', '2026-06-30T23:59:60.5+00:00']) {
      expect(isInstant(bad), bad).toBe(false);
    }
    // A leap second is told apart, for its message; a bad date with :60 is not one.
    expect(['2026-12-31T23:59:60Z', '2016-12-31t23:59:60.25-01:00', '2026-12-31T23:59:59Z', '2026-02-30T23:59:60Z', '2026-12-31T23:60:00Z', 60].map(isLeapSecond)).toEqual([true, true, false, false, false, false]);
  });

  it('locates JSON pointers and syntax errors as line:column', () => {
    const text = '{\n  "a": [\n    1,\n    {"b": true}\n  ]\n}\n';
    expect(locateJsonPointer(text, '/a/1/b')).toEqual({ line: 4, column: 6 });
    expect(locateJsonPointer(text, '/a/0')).toEqual({ line: 3, column: 5 });
    expect(locateJsonPointer(text, '/nope')).toBeUndefined();
    expect(findJsonSyntaxError(text)).toBeUndefined();
    expect(findJsonSyntaxError('{\n  "a": 1,\n}\n')).toEqual({ line: 3, column: 1, message: 'expected a double-quoted property name, found "}"' });
    expect(findJsonSyntaxError('')).toMatchObject({ line: 1, column: 1 });
  });

  it('builds the install approval URL of R12', () => {
    expect(approvalUrl('0H4Hp000000TN1xKAG', '00D5e0000001AcmEAA')).toBe('/identity/app/AppInstallApprovalPage.apexp?app_id=0H4Hp000000TN1xKAG&app_org_id=00D5e0000001AcmEAA');
  });
});
