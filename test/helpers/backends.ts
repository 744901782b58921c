// The org store backends a test can run on, each opened on what an org-state folder holds: the
// file store on the folder itself, the in-memory store on a copy read once (it then has no file).
// Tests reach both through the ports; `files` says which may also look at the folder.
import type { Plan } from '../../src/model/index.js';
import { readAndPlanOrg } from '../../src/read-and-plan-org.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { MemoryOrgStore, type MemoryOrgStoreOptions } from '../../src/store/memory-store.js';
import type { OrgStore } from '../../src/store/org-store.js';
import { fingerprint } from './fingerprint.js';

/** A backend opened on a seed. */
export interface OpenBackend {
  store: OrgStore;
  /** Another store object on the same state, as a new process would open it. */
  reopen(): OrgStore;
  /**
   * Everything the backend holds, to compare before and after: for the file store every file's
   * bytes (byte for byte), for the memory store every org's snapshot, ledger and lock holder.
   */
  state(): Promise<unknown>;
}

/** A kind of backend. */
export interface TestBackend {
  name: string;
  /** Whether the state is files in the seed folder (file-specific assertions run only then). */
  files: boolean;
  open(orgState: string): Promise<OpenBackend>;
}

/** Reads the seed once with the file store; the memory store then has no file. */
export async function memoryStoreOf(seed: string, options: MemoryOrgStoreOptions = {}): Promise<MemoryOrgStore> {
  const files = new FileOrgStore(seed);
  const snapshots = await Promise.all((await files.listOrgs()).map((org) => files.readSnapshot(org)));
  return MemoryOrgStore.of(snapshots, options);
}

export const fileBackend: TestBackend = {
  name: 'file store',
  files: true,
  open(orgState) {
    return Promise.resolve({ store: new FileOrgStore(orgState), reopen: () => new FileOrgStore(orgState), state: () => fingerprint(orgState) });
  },
};

export const memoryBackend: TestBackend = {
  name: 'in-memory store',
  files: false,
  async open(orgState) {
    const store = await memoryStoreOf(orgState);
    const reopen = () => new MemoryOrgStore(store.orgs);
    const state = async () => {
      const reader = reopen();
      const orgs = await reader.listOrgs();
      return Promise.all(orgs.map(async (org) => ({ org, snapshot: await reader.readSnapshot(org), ledger: await reader.readLedger(org), lock: await reader.lockHolder(org) })));
    };
    return { store, reopen, state };
  },
};

/** Both backends, for describe.each. */
export const backends: readonly TestBackend[] = [fileBackend, memoryBackend];

/** The plan of `desired` for the org store `store` holds (as savePlan makes it, without writing a file). */
export async function planWith(store: OrgStore, desired: string, now = new Date('2026-11-28T12:00:00Z')): Promise<Plan> {
  return (await readAndPlanOrg({ desired, store, storeName: 'the store', now })).plan;
}
