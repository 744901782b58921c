// Every backend of the org store passes the same contract (contract.ts): the file store of
// org-state/ and the in-memory one. The two also agree with each other, digest for digest.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { readAndPlanOrg } from '../../src/read-and-plan-org.js';
import type { ObservedApp } from '../../src/model/index.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { formatJson } from '../../src/store/json-format.js';
import { MemoryOrgStore } from '../../src/store/memory-store.js';
import { memoryStoreOf } from '../helpers/backends.js';
import { copyInto, makeTempDir, removeDir } from '../helpers/cli.js';
import { ORG } from '../helpers/generated-org.js';
import { backendContract, type BackendFactory } from './contract.js';

const fileBackend: BackendFactory = {
  name: 'file store',
  create(seed, options = {}) {
    const fault = options.fault;
    let changes = 0;
    let tripped = false;
    const store = new FileOrgStore(seed, {
      onCommitStep: (step) => {
        if (fault === undefined || tripped) return;
        // A change fails before its journal is written (nothing done), or after (decided, but the caller is not told).
        if (step === (fault.outcome === 'failed' ? 'temps-written' : 'journal-written') && ++changes === fault.at) {
          tripped = true;
          throw new Error('the disk did not answer');
        }
      },
    });
    const changeApp = async (org: string, app: ObservedApp): Promise<void> => {
      await writeFile(path.join(seed, org, store.stateFolder(org).entryOf({ kind: 'app', appId: app.id })), formatJson(app));
    };
    return Promise.resolve({ store, reopen: () => new FileOrgStore(seed), changeApp });
  },
};

const memoryBackend: BackendFactory = {
  name: 'in-memory store',
  async create(seed, options = {}) {
    const fault = options.fault;
    const store = await memoryStoreOf(seed, fault ? { fault: (n) => (n === fault.at ? (fault.outcome === 'failed' ? 'failed' : 'unknown-done') : undefined) } : {});
    const changeApp = async (org: string, app: ObservedApp): Promise<void> => {
      const held = store.orgs.get(org)!;
      held.data = { ...held.data, apps: held.data.apps.map((a) => (a.id === app.id ? structuredClone(app) : a)) };
    };
    return { store, reopen: () => new MemoryOrgStore(store.orgs), changeApp };
  },
};

backendContract(fileBackend);
backendContract(memoryBackend);

describe('the two backends agree', () => {
  it('the same plan leaves the same ledger results and digests on both', async () => {
    const dir = await makeTempDir('capctl-agree-');
    try {
      await copyInto('org-state', path.join(dir, 'org-state'));
      const files = new FileOrgStore(path.join(dir, 'org-state'));
      const memory = await memoryStoreOf(path.join(dir, 'org-state'));
      const now = new Date('2026-11-28T12:00:00Z');
      const plans = await Promise.all([files, memory].map(async (store) => (await readAndPlanOrg({ desired: 'examples/acme', store, storeName: 'store', now })).plan));
      expect(plans[1]).toEqual(plans[0]);
      const reports = [];
      for (const store of [files, memory]) {
        reports.push(await applyPlan({ store, plan: plans[0]!, actor: 'ci-bot@acme.example', now: () => now, lockTimeoutMs: 0, command: 'test' }));
      }
      const results = reports.map((r) => r.applied.map((l) => ({ ...l.result, files: undefined })));
      expect(results[1]).toEqual(results[0]);
      expect((await memory.readSnapshot(ORG)).digest).toBe((await files.readSnapshot(ORG)).digest);
    } finally {
      await removeDir(dir);
    }
  });
});
