// The in-memory backend: every port of an org store (org-store.ts) over plain values held in
// memory, with no file. It plays the org with the same pure transition as the file store (so both
// carry out an action the same way) and the same canonical snapshot digest (digestOfData). Tests
// run apply and the contract suite on it; a backend being built can compare itself with it.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { InputError, LockHeldError, RefusedError, StoreError, type Action, type ObservedApp, type LedgerLine, type LedgerRecord, type ObservedLine, type OrgSnapshot, type StatePart } from '../model/index.js';
import { byCodePoint } from '../plan/names.js';
import { transitionOf } from '../plan/action-kinds.js';
import type { OrgData } from '../plan/transition.js';
import { nextLedgerLine } from './ledger-chain.js';
import type { CarryOutContext, CarryOutFailure, CarryOutResult, LockInfo, LockRequest, OrgLock, OrgStore, SnapshotReadOptions, StateFolder } from './org-store.js';
import { checkAgainstSchema } from './schema-validators.js';
import { digestOfData } from './store-digest.js';

/** What a memory store holds of one org: its data, its ledger and who holds its lock. */
export interface MemoryOrg {
  data: OrgData;
  ledger: LedgerRecord[];
  lock?: LockInfo;
  /** An action whose outcome was unknown and that was in fact done: settle() records it. */
  unsettled?: { data: OrgData; lines: LedgerRecord[] };
}

/**
 * What happens to the n-th action the store is asked to carry out (1-based, counted over the
 * store's life): `failed` (not done), `unknown-done` (done, but the store cannot tell: settle()
 * shows it done), `unknown-not-done` (not done, and the store cannot tell). A test seam.
 */
export type MemoryFault = (n: number, action: Action) => 'failed' | 'unknown-done' | 'unknown-not-done' | undefined;

/** Options of a memory store. */
export interface MemoryOrgStoreOptions {
  fault?: MemoryFault;
}

const orgSlugPattern = /^[a-z0-9][a-z0-9-]*$/;

/** The org store held in memory; `orgs` may be shared by several store objects (several "processes"). */
export class MemoryOrgStore implements OrgStore {
  private attempts = 0;

  constructor(
    readonly orgs: Map<string, MemoryOrg>,
    private readonly options: MemoryOrgStoreOptions = {},
  ) {}

  /** A store seeded with copies of `snapshots` and empty ledgers. */
  static of(snapshots: Iterable<Pick<OrgSnapshot, 'slug' | 'org' | 'users' | 'apps'>>, options: MemoryOrgStoreOptions = {}): MemoryOrgStore {
    const orgs = new Map<string, MemoryOrg>();
    for (const s of snapshots)
      orgs.set(s.slug, {
        data: structuredClone({ org: s.org, users: s.users, apps: s.apps }),
        ledger: [],
      });
    return new MemoryOrgStore(orgs, options);
  }

  async listOrgs(): Promise<string[]> {
    return [...this.orgs.keys()].sort();
  }

  async readSnapshot(org: string, options: SnapshotReadOptions = {}): Promise<OrgSnapshot> {
    options.signal?.throwIfAborted();
    const held = this.held(org);
    const { data } = held;
    options.onOrg?.(data.org, data.apps.length);
    options.onProgress?.(data.apps.length, data.apps.length);
    return {
      slug: org,
      org: data.org,
      users: data.users,
      apps: data.apps,
      digest: digestOfData(data),
    };
  }

  async readLedger(org: string): Promise<LedgerRecord[]> {
    return [...this.held(org).ledger];
  }

  async carryOut(org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult> {
    const held = this.held(org);
    const applied: LedgerLine[] = [];
    for (const [i, action] of actions.entries()) {
      const fault = this.options.fault?.(++this.attempts, action);
      if (fault === 'failed' || fault === 'unknown-not-done') {
        return {
          applied,
          failure: failure(i, fault === 'failed' ? 'failed' : 'unknown'),
        };
      }
      let data: OrgData;
      let result;
      try {
        // No counter is written: the revision comes from the ledger (ledger-chain.ts storeRevision).
        const transition = transitionOf(held.data, action);
        data = transition.next;
        assertValues([...(transition.changed.org ? [['OrgFile', 'org record', data.org] as const] : []), ...changedApps(data.apps, transition.changed.apps)]);
        result = { ...transition.result, parts: partsOf(transition.changed) };
      } catch (error) {
        return {
          applied,
          failure: {
            index: i,
            error: error instanceof Error ? error : new Error(String(error)),
            outcome: 'failed',
            retryable: false,
          },
        };
      }
      const line = nextLedgerLine(held.ledger.at(-1), {
        at: context.at.toISOString(),
        actor: context.actor,
        plan: context.planDigest,
        action,
        result: { ...result, storeDigest: digestOfData(data) },
      });
      if (fault === 'unknown-done') {
        held.unsettled = { data, lines: [...held.ledger, line] };
        return { applied, failure: failure(i, 'unknown') };
      }
      held.data = data;
      held.ledger.push(line);
      applied.push(line);
    }
    return { applied };
  }

  async recordObserved(org: string, build: (storeDigest: string) => ObservedLine): Promise<ObservedLine> {
    const held = this.held(org);
    const line = build(digestOfData(held.data));
    held.ledger.push(line);
    return line;
  }

  async settle(org: string): Promise<void> {
    const held = this.held(org);
    if (held.unsettled) {
      held.data = held.unsettled.data;
      held.ledger = held.unsettled.lines;
      delete held.unsettled;
    }
    return;
  }

  async lock(org: string, options: LockRequest): Promise<OrgLock> {
    const held = this.held(org);
    if (held.lock) {
      options.onWait?.(held.lock);
      const h = held.lock;
      throw new LockHeldError(`${org} is locked by ${h.user} (${h.command}, pid ${h.pid} on ${h.host}, since ${h.acquiredAt})`);
    }
    const info: LockInfo = {
      id: randomBytes(6).toString('hex'),
      host: os.hostname(),
      pid: process.pid,
      user: options.user ?? 'capctl',
      command: options.command,
      acquiredAt: new Date().toISOString(),
    };
    held.lock = info;
    // Whatever a lost process left unsettled is settled by the next holder, as the file store's recovery does.
    void this.settle(org);
    return {
      info,
      release: async () => {
        if (held.lock?.id === info.id) delete held.lock;
        return;
      },
    };
  }

  async lockHolder(org: string): Promise<LockInfo | undefined> {
    return this.held(org).lock;
  }

  async unlock(org: string, lockId: string): Promise<void> {
    const held = this.held(org);
    if (held.lock === undefined) return;
    if (held.lock.id !== lockId) throw new RefusedError(`${org} is locked with id ${held.lock.id}, not ${lockId}: nothing was removed`);
    delete held.lock;
    return;
  }

  stateFolder(): StateFolder | undefined {
    return undefined;
  }

  private held(org: string): MemoryOrg {
    if (!orgSlugPattern.test(org)) throw new InputError(`"${org}" is not an org slug (lower-case letters, digits and dashes, e.g. acme-prod)`);
    const held = this.orgs.get(org);
    if (held === undefined) {
      const known = this.orgs.size > 0 ? `the store has: ${[...this.orgs.keys()].sort().join(', ')}` : 'the store has no orgs';
      throw new StoreError(`no org "${org}" in the store (${known})`);
    }
    return held;
  }
}

function failure(index: number, outcome: 'failed' | 'unknown'): CarryOutFailure {
  return {
    index,
    error: new Error('the org did not answer'),
    outcome,
    retryable: outcome === 'failed',
  };
}

/** The parts of the state a transition changed: the org's record, then its apps by id. */
function partsOf(changed: { org: boolean; apps: readonly string[] }): StatePart[] {
  return [...(changed.org ? [{ kind: 'org' as const }] : []), ...[...changed.apps].sort(byCodePoint).map((appId) => ({ kind: 'app' as const, appId }))];
}

function changedApps(apps: readonly ObservedApp[], ids: readonly string[]): ['AppFile', string, ObservedApp][] {
  const wanted = new Set(ids);
  return apps.filter((a) => wanted.has(a.id)).map((a) => ['AppFile', `app ${a.id}`, a]);
}

/** A backend never keeps a value it would refuse to read (a hand-edited plan can ask for one). */
function assertValues(values: readonly (readonly ['OrgFile' | 'AppFile', string, unknown])[]): void {
  for (const [def, name, value] of values) {
    const problems = checkAgainstSchema(def, value);
    if (problems.length > 0) throw new Error(`it would write an invalid ${name}: ${problems.map((p) => p.message.replace(/^the file: /, '')).join('; ')}`);
  }
}
