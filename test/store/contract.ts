// The contract every org store backend must pass (STYLE.md "Ports"): reads, carrying out every
// action kind through applyPlan, partial failure, `unknown` outcomes resolved by reading back,
// resume after a crash, the ledger's chain and the lock. A backend that behaves otherwise is wrong,
// or the port is. `backendContract(factory)` is called once per backend (contract.test.ts).
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { InputError, LockHeldError, StoreError, type ActionKind, type LedgerLine, type LedgerRecord, type ObservedApp, type ObservedLine, type Plan, type StatePart } from '../../src/model/index.js';
import { readAndPlanOrg } from '../../src/read-and-plan-org.js';
import { GENESIS, hashLedgerLine, isObservedLine, nextObservedLine, storeRevision, verifyChain } from '../../src/store/ledger-chain.js';
import { changedFiles } from '../../src/apply/refresh-live-org.js';
import { refreshOrg, type RefreshAudit } from '../../src/apply/refresh-org.js';
import { observeChanges } from '../../src/audit/observe-changes.js';
import { recordPendingApplies } from '../../src/audit/record-apply.js';
import { verifyTrail } from '../../src/audit/verify-trail.js';
import { git, gitEnv, initRepo, useEnv } from '../helpers/git.js';
import type { OrgStore } from '../../src/store/org-store.js';
import { digestOfData } from '../../src/store/store-digest.js';
import { copyInto, makeTempDir, removeDir } from '../helpers/cli.js';
import { ADMIN, ORG, writeGeneratedOrg } from '../helpers/generated-org.js';

/** What a backend is asked to do wrong, once: the n-th change it makes (1-based, over its life). */
export interface Fault {
  at: number;
  /** `failed`: nothing of that change is done; `unknown`: it is done, but the backend cannot tell. */
  outcome: 'failed' | 'unknown';
}

/** A backend under test: a store, and another view of the same org as a new process would open it. */
export interface Backend {
  store: OrgStore;
  /** A new store object on the same backing state (after a crash: nothing of the old object is kept). */
  reopen(): OrgStore;
  /** Changes an app as someone outside capctl would (Setup): in the backing state, not through the ports. */
  changeApp(org: string, app: ObservedApp): Promise<void>;
}

/** Builds a backend holding what the org-state folder `seed` holds (a backend with nothing on disk copies it). */
export interface BackendFactory {
  name: string;
  create(seed: string, options?: { fault?: Fault }): Promise<Backend>;
}

const now = () => new Date('2026-11-28T13:00:00Z');

/** The applied-action lines of a ledger. */
function applied(ledger: readonly LedgerRecord[]): LedgerLine[] {
  return ledger.filter((l): l is LedgerLine => !isObservedLine(l));
}
const madeAt = new Date('2026-11-28T12:00:00Z');

/** The seeds whose plans hold every action kind between them. */
const seeds = { example: { orgState: 'org-state', desired: 'examples/acme', actor: 'ci-bot@acme.example' }, uninstall: { orgState: 'test/cases/r6-uninstall/org-state', desired: 'test/cases/r6-uninstall/desired', actor: 'ci-bot@acme.example' } };

export function backendContract(factory: BackendFactory): void {
  describe(`the org store contract: ${factory.name}`, () => {
    let dir: string;
    beforeEach(async () => {
      dir = await makeTempDir('capctl-contract-');
    });
    afterEach(() => removeDir(dir));

    async function seeded(which: keyof typeof seeds, options?: { fault?: Fault }): Promise<Backend & { desired: string; actor: string }> {
      const seed = seeds[which];
      const orgState = path.join(dir, which);
      await copyInto(seed.orgState, orgState);
      return { ...(await factory.create(orgState, options)), desired: seed.desired, actor: seed.actor };
    }

    async function generated(options?: { fault?: Fault }): Promise<Backend & { desired: string }> {
      const { orgState, desired } = await writeGeneratedOrg(dir, 9);
      return { ...(await factory.create(orgState, options)), desired };
    }

    async function planFor(store: OrgStore, desired: string): Promise<Plan> {
      return (await readAndPlanOrg({ desired, store, storeName: 'the store', now: madeAt })).plan;
    }

    function apply(store: OrgStore, plan: Plan, actor: string) {
      return applyPlan({ store, plan, actor, now, lockTimeoutMs: 0, command: 'contract' });
    }

    /** The store's revision: the snapshot's base and the applies its ledger records (ledger-chain.ts). */
    async function revisionOf(store: OrgStore): Promise<number> {
      const snapshot = await store.readSnapshot(ORG);
      return storeRevision(snapshot.org.revision, await store.readLedger(ORG));
    }

    /** Checks what every apply must leave: a whole chain, each line's digest, the last one the store's. */
    async function expectConsistent(store: OrgStore): Promise<void> {
      const ledger = await store.readLedger(ORG);
      expect(verifyChain(ledger)).toBeUndefined();
      const snapshot = await store.readSnapshot(ORG);
      if (ledger.length > 0) expect(ledger.at(-1)!.result.storeDigest).toBe(snapshot.digest);
      expect(snapshot.digest).toBe(digestOfData(snapshot));
    }

    describe('reads', () => {
      it('lists its orgs and reads a snapshot whose digest is that of its canonical data, telling progress', async () => {
        const { store } = await seeded('example');
        expect(await store.listOrgs()).toEqual([ORG]);
        const seen: [string, number][] = [];
        const progress: number[] = [];
        const snapshot = await store.readSnapshot(ORG, { onOrg: (org, apps) => seen.push([org.id, apps]), onProgress: (read) => progress.push(read) });
        expect(snapshot.slug).toBe(ORG);
        expect(seen).toEqual([[snapshot.org.id, snapshot.apps.length]]);
        expect(progress.at(-1)).toBe(snapshot.apps.length);
        expect(snapshot.apps.map((a) => a.name)).toEqual([...snapshot.apps.map((a) => a.name)].sort((a, b) => a.localeCompare(b)));
        expect(snapshot.digest).toBe(digestOfData(snapshot));
        expect(await store.readLedger(ORG)).toEqual([]);
      });

      it('refuses an unknown org and a bad slug, and stops a read whose signal is aborted', async () => {
        const { store } = await seeded('example');
        await expect(store.readSnapshot('acme-dev')).rejects.toThrow(StoreError);
        await expect(store.readSnapshot('acme-dev')).rejects.toThrow('no org "acme-dev"');
        await expect(store.readSnapshot('Not A Slug')).rejects.toThrow(InputError);
        const controller = new AbortController();
        controller.abort(new Error('stopped by the test'));
        await expect(store.readSnapshot(ORG, { signal: controller.signal })).rejects.toThrow('stopped by the test');
      });
    });

    describe('carrying out', () => {
      it('carries out every action kind once through apply; planning again gives nothing', async () => {
        const kinds = new Set<ActionKind>();
        for (const which of ['example', 'uninstall'] as const) {
          const { store, desired, actor } = await seeded(which);
          const plan = await planFor(store, desired);
          for (const a of plan.actions) kinds.add(a.kind);
          const report = await apply(store, plan, actor);
          expect(report.status).toBe('applied');
          expect(report.applied.map((l) => l.action)).toEqual(plan.actions);
          expect(report.applied.map((l) => l.result.sessionsEnded)).toEqual(plan.actions.map((a) => a.effects.sessionsEnded));
          expect(await revisionOf(store)).toBe(plan.basis.storeRevision + 1);
          await expectConsistent(store);
          expect((await planFor(store, desired)).actions).toEqual([]);
          expect((await apply(store, plan, actor)).status).toBe('already-applied');
        }
        expect([...kinds].sort()).toEqual(['block', 'install', 'revoke', 'set-assignments', 'set-org-settings', 'set-policies', 'unblock', 'uninstall']);
      });

      it('a failure stops the apply after the actions before it; the same plan resumes after them', async () => {
        const backend = await generated({ fault: { at: 3, outcome: 'failed' } });
        const plan = await planFor(backend.store, backend.desired);
        const first = await apply(backend.store, plan, ADMIN);
        expect(first.status).toBe('failed');
        expect([...first.applied.map((l) => l.action.seq), ...first.notDone.map((a) => a.seq)]).toEqual(plan.actions.map((a) => a.seq));
        expect(first.applied.length).toBeGreaterThan(0);
        expect(await backend.store.readLedger(ORG)).toEqual(first.applied);
        await expectConsistent(backend.store);
        const second = await apply(backend.reopen(), plan, ADMIN);
        expect(second.status).toBe('applied');
        expect(second.resumed).toEqual(first.applied);
        expect(second.applied.map((l) => l.action)).toEqual(first.notDone);
        await expectConsistent(backend.reopen());
        expect(await revisionOf(backend.reopen())).toBe(1);
      });

      it('an action whose outcome is unknown is read back before anything else, and never done twice', async () => {
        const backend = await generated({ fault: { at: 2, outcome: 'unknown' } });
        const plan = await planFor(backend.store, backend.desired);
        const report = await apply(backend.store, plan, ADMIN);
        expect(report.status).toBe('applied');
        expect(report.applied.map((l) => l.action)).toEqual(plan.actions);
        const ledger = applied(await backend.store.readLedger(ORG));
        expect(ledger.map((l) => l.action.seq)).toEqual(plan.actions.map((a) => a.seq));
        await expectConsistent(backend.store);
        expect((await planFor(backend.store, backend.desired)).actions).toEqual([]);
      });

      it('a run left unknown by a process that died is settled by the next lock holder, and the apply resumes', async () => {
        const backend = await generated({ fault: { at: 1, outcome: 'unknown' } });
        const plan = await planFor(backend.store, backend.desired);
        const lock = await backend.store.lock(ORG, { timeoutMs: 0, command: 'contract' });
        const result = await backend.store.carryOut(ORG, plan.actions.slice(0, 2), { actor: ADMIN, planDigest: plan.digest, at: now() });
        expect(result.failure?.outcome).toBe('unknown');
        // The process dies here, its lock with it.
        await lock.release();
        const next = backend.reopen();
        const report = await apply(next, plan, ADMIN);
        expect(report.status).toBe('applied');
        const ledger = applied(await next.readLedger(ORG));
        expect(ledger.map((l) => l.action.seq)).toEqual(plan.actions.map((a) => a.seq));
        expect([...report.resumed, ...report.applied].map((l) => l.action.seq)).toEqual(plan.actions.map((a) => a.seq));
        await expectConsistent(next);
      });

      it('refuses to keep a value it would not read (a plan edited by hand), after the actions before it, not to be retried', async () => {
        const { store, desired } = await generated();
        const plan = structuredClone(await planFor(store, desired));
        const edited = plan.actions.find((a) => a.kind === 'set-policies')!;
        edited.after = { ...edited.after, ipRelaxation: 'WHATEVER' };
        const result = await store.carryOut(ORG, plan.actions, { actor: ADMIN, planDigest: plan.digest, at: now() });
        expect(result.failure).toMatchObject({ index: plan.actions.indexOf(edited), outcome: 'failed', retryable: false });
        expect(result.failure!.error.message).toMatch(/it would write an invalid .*ipRelaxation/);
        expect(result.applied.map((l) => l.action.seq)).toEqual(plan.actions.slice(0, plan.actions.indexOf(edited)).map((a) => a.seq));
        await expectConsistent(store);
      });
    });

    describe('the ledger', () => {
      it('chains the lines of successive applies, each line after the one before', async () => {
        const { store, desired } = await generated();
        const plan = await planFor(store, desired);
        await apply(store, plan, ADMIN);
        const ledger = applied(await store.readLedger(ORG));
        expect(ledger.map((l) => l.seq)).toEqual(ledger.map((_, i) => i + 1));
        expect(ledger[0]!.prev).toBe('genesis');
        for (let i = 1; i < ledger.length; i++) expect(ledger[i]!.prev).toBe(ledger[i - 1]!.hash);
        expect(ledger.every((l) => l.plan === plan.digest && l.actor === ADMIN)).toBe(true);
        expect(verifyChain(ledger)).toBeUndefined();
      });

      it('records an observed line after the applied ones, in the same chain, changing nothing of the org', async () => {
        const { store, desired } = await generated();
        await apply(store, await planFor(store, desired), ADMIN);
        const before = await store.readSnapshot(ORG);
        const ledger = await store.readLedger(ORG);
        const lock = await store.lock(ORG, { timeoutMs: 0, command: 'contract refresh' });
        const observed = await store.recordObserved(ORG, (storeDigest) =>
          nextObservedLine(ledger.at(-1), { at: now().toISOString(), actor: ADMIN, observed: { named: true, previousDigest: storeDigest, changes: [], sessions: [] }, storeDigest }),
        );
        await lock.release();
        const after = await store.readLedger(ORG);
        expect(after).toEqual([...ledger, observed]);
        expect(observed.result.storeDigest).toBe(before.digest);
        expect(verifyChain(after)).toBeUndefined();
        expect((await store.readSnapshot(ORG)).digest).toBe(before.digest);
      });
    });

    describe('observed lines', () => {
      const saved = { ...process.env };
      afterEach(() => {
        process.env = { ...saved };
      });

      /**
       * The seeded example with a first line to compare with (an observed one) and, when the
       * backend keeps a state folder, a git repository holding the folder as that line left it.
       */
      async function recorded(): Promise<Backend & { env?: Record<string, string | undefined> }> {
        const backend = await seeded('example');
        const { store } = backend;
        const folder = store.stateFolder(ORG);
        const env = folder ? gitEnv(dir) : undefined;
        if (env) {
          useEnv(env);
          initRepo(dir, env);
        }
        const lock = await store.lock(ORG, { timeoutMs: 0, command: 'contract refresh' });
        await store.readSnapshot(ORG);
        const first = await store.recordObserved(ORG, (storeDigest) =>
          nextObservedLine(undefined, { at: now().toISOString(), actor: ADMIN, observed: { named: false, changes: [], sessions: [] }, storeDigest }),
        );
        await lock.release();
        if (!folder) return backend;
        expect(await recordPendingApplies(ORG, folder, [first], first.seq, { planDigest: 'none', desiredCommit: null })).toMatchObject([{ status: 'committed' }]);
        return { ...backend, env };
      }

      /** What the folder's git holds of the org at HEAD: the paths the last commit changed, relative to the org's folder. */
      function lastCommitOf(store: OrgStore, env: Record<string, string | undefined>): string[] {
        const folder = store.stateFolder(ORG)!;
        const prefix = `${path.relative(dir, folder.dir).split(path.sep).join('/')}/`;
        return git(dir, ['show', '--name-only', '--format=', 'HEAD'], env)
          .trim()
          .split('\n')
          .map((f) => (f.startsWith(prefix) ? f.slice(prefix.length) : `(outside) ${f}`))
          .sort();
      }

      /** How the parts of the state moved from `before` to `after`, in any backend's words. */
      function partsMoved(before: Parameters<typeof changedFiles>[0], after: Parameters<typeof changedFiles>[1]): StatePart[] {
        return changedFiles(before, after, { entryOf: (part) => JSON.stringify(part) }).map((f) => f.part);
      }

      /** A recorded org with one installed app blocked outside capctl (no ledger line says so yet). */
      async function blockedOutside() {
        const backend = await recorded();
        const { store } = backend;
        const before = await store.readSnapshot(ORG);
        const app = before.apps.find((a) => a.installed && !a.blocked)!;
        await backend.changeApp(ORG, { ...app, blocked: true });
        return { backend, store, before, app, folder: store.stateFolder(ORG) };
      }

      it('a refresh that records a change outside capctl names the parts that changed, never files; the state folder commits exactly their entries and the ledger', async () => {
        const { backend, store, before, app, folder } = await blockedOutside();
        const audit: RefreshAudit = folder
          ? { observe: (snapshot, ledger) => observeChanges(snapshot, ledger, folder), recordPending: (ledger, upToSeq, current) => recordPendingApplies(ORG, folder, ledger, upToSeq, current) }
          : {
              observe: async (snapshot, ledger) => ({
                observed: { named: true, previousDigest: ledger.at(-1)!.result.storeDigest, changes: [], sessions: [] },
                parts: partsMoved(before, snapshot),
                notes: [],
              }),
            };
        const report = await refreshOrg({ store, org: ORG, actor: ADMIN, now, lockTimeoutMs: 0, command: 'contract refresh', audit });
        expect(report.status).toBe('recorded');
        const line = report.recorded!.line;
        const after = await backend.reopen().readSnapshot(ORG);
        expect(line.result).toEqual({ storeDigest: after.digest, parts: [{ kind: 'app', appId: app.id }] });
        const ledger = await backend.reopen().readLedger(ORG);
        expect(ledger.at(-1)).toEqual(line);
        expect(verifyChain(ledger)).toBeUndefined();
        expect(storeRevision(after.org.revision, ledger)).toBe(before.org.revision);
        if (folder) {
          expect(report.recorded!.commit.status).toBe('committed');
          expect(folder.filesOf([line]).sort()).toEqual([folder.entryOf({ kind: 'app', appId: app.id }), folder.ledger].sort());
          expect(lastCommitOf(store, backend.env!)).toEqual(folder.filesOf([line]).sort());
          expect(await verifyTrail(ORG, folder, ledger)).toMatchObject({ ok: true, refreshCommits: 2 });
        }
      });

      it('an observed line an older capctl wrote, naming files, still reads and verifies, leaves the revision as it was, and is committed with the files it names', async () => {
        const { backend, store, before, app, folder } = await blockedOutside();
        // The file the older capctl named: the app's entry in a state folder, its file store's name elsewhere.
        const file = folder ? folder.entryOf({ kind: 'app', appId: app.id }) : `apps/${app.id}.json`;
        const lock = await store.lock(ORG, { timeoutMs: 0, command: 'contract old refresh' });
        const current = await store.readSnapshot(ORG);
        const ledger = await store.readLedger(ORG);
        const old = await store.recordObserved(ORG, (storeDigest) => {
          const unhashed: Omit<ObservedLine, 'hash'> = {
            seq: ledger.length + 1,
            at: now().toISOString(),
            actor: ADMIN,
            kind: 'observed',
            observed: { named: true, previousDigest: ledger.at(-1)!.result.storeDigest, changes: [], sessions: [] },
            result: { storeDigest, files: [file] },
            prev: ledger.at(-1)?.hash ?? GENESIS,
          };
          return { ...unhashed, hash: hashLedgerLine(unhashed) };
        });
        await lock.release();
        const read = await backend.reopen().readLedger(ORG);
        expect(read).toEqual([...ledger, old]);
        expect(read.at(-1)!.result).toEqual({ storeDigest: current.digest, files: [file] });
        expect(current.digest).toBe((await backend.reopen().readSnapshot(ORG)).digest);
        expect(verifyChain(read)).toBeUndefined();
        expect(storeRevision(before.org.revision, read)).toBe(storeRevision(before.org.revision, ledger));
        if (folder) {
          expect(folder.filesOf([old]).sort()).toEqual([file, folder.ledger].sort());
          const [outcome] = await recordPendingApplies(ORG, folder, read, old.seq, { planDigest: 'none', desiredCommit: null });
          expect(outcome!.status).toBe('committed');
          expect(lastCommitOf(store, backend.env!)).toEqual([file, folder.ledger].sort());
          expect(await verifyTrail(ORG, folder, read)).toMatchObject({ ok: true, refreshCommits: 2 });
        }
      });
    });

    describe('the revision', () => {
      it('comes from the ledger: each apply raises it by one, and no backend writes a counter', async () => {
        const { store, desired, actor } = await seeded('example');
        const base = (await store.readSnapshot(ORG)).org.revision;
        expect(base).toBe(7);
        const plan = await planFor(store, desired);
        expect(plan.basis.storeRevision).toBe(7);
        const report = await apply(store, plan, actor);
        expect(report).toMatchObject({ status: 'applied', revisionBefore: 7, revisionAfter: 8 });
        // The org record keeps the base it was made with; the ledger says 8.
        expect((await store.readSnapshot(ORG)).org.revision).toBe(base);
        expect(await revisionOf(store)).toBe(8);
        const lines = applied(await store.readLedger(ORG));
        expect(lines.every((l) => l.result.files === undefined && l.result.parts !== undefined)).toBe(true);
        // Planning again is at 8; a plan made before the apply is stale, naming both.
        expect((await planFor(store, desired)).basis.storeRevision).toBe(8);
      });

      it('counts an apply once when a partial failure was recorded as an observed line before the re-run', async () => {
        const backend = await generated({ fault: { at: 3, outcome: 'failed' } });
        const plan = await planFor(backend.store, backend.desired);
        const first = await apply(backend.store, plan, ADMIN);
        expect(first).toMatchObject({ status: 'failed', revisionBefore: 0, revisionAfter: 1 });
        // What the failed action did before it stopped (sessions ended), as the live backend records it.
        const ledger = await backend.store.readLedger(ORG);
        const lock = await backend.store.lock(ORG, { timeoutMs: 0, command: 'contract partial' });
        await backend.store.recordObserved(ORG, (storeDigest) =>
          nextObservedLine(ledger.at(-1), { at: now().toISOString(), actor: ADMIN, observed: { named: true, previousDigest: storeDigest, changes: [], sessions: [] }, storeDigest }),
        );
        await lock.release();
        expect(await revisionOf(backend.reopen())).toBe(1);
        const second = await apply(backend.reopen(), plan, ADMIN);
        expect(second).toMatchObject({ status: 'applied', revisionBefore: 0, revisionAfter: 1 });
        expect(second.resumed).toEqual(first.applied);
        expect(await revisionOf(backend.reopen())).toBe(1);
        expect((await backend.reopen().readSnapshot(ORG)).org.revision).toBe(0);
      });
    });

    describe('the lock', () => {
      it('one holder at a time: a second taker is refused naming the holder; released, it can be taken again', async () => {
        const backend = await seeded('example');
        const lock = await backend.store.lock(ORG, { timeoutMs: 0, command: 'contract first', user: 'a@acme.example' });
        expect(await backend.reopen().lockHolder(ORG)).toMatchObject({ id: lock.info.id, user: 'a@acme.example', command: 'contract first' });
        const waited: string[] = [];
        const refused = await backend
          .reopen()
          .lock(ORG, { timeoutMs: 0, command: 'contract second', onWait: (h) => waited.push(h.id) })
          .catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(LockHeldError);
        expect((refused as Error).message).toContain('a@acme.example');
        await lock.release();
        expect(await backend.reopen().lockHolder(ORG)).toBeUndefined();
        const again = await backend.reopen().lock(ORG, { timeoutMs: 0, command: 'contract third' });
        await expect(backend.reopen().unlock(ORG, 'not-its-id', { force: true })).rejects.toThrow();
        await backend.reopen().unlock(ORG, again.info.id, { force: true });
        expect(await backend.reopen().lockHolder(ORG)).toBeUndefined();
      });

      it('apply refuses while another holds the lock, changing nothing', async () => {
        const backend = await generated();
        const plan = await planFor(backend.store, backend.desired);
        const lock = await backend.reopen().lock(ORG, { timeoutMs: 0, command: 'contract holder' });
        await expect(apply(backend.store, plan, ADMIN)).rejects.toThrow(LockHeldError);
        expect(await backend.reopen().readLedger(ORG)).toEqual([]);
        await lock.release();
      });
    });
  });
}
