// What the file store remembers of each org between calls, so that a large org is not read again
// for every step of an apply, and the ONE place where any of it is forgotten (`forget`, with the
// event that makes it stale). The other rooms of the file backend read it (`of`), add to it
// (`remember`), and say what happened (`forget`); none drops a part of it on its own.
import type { LedgerRecord, OrgSnapshot } from '../model/index.js';
import { forgetDigester, type HashCache } from './file-hashes.js';

/** Where a store was at a moment: a token that changes with every change, and what readLedger needs of it. */
export interface ReadGeneration {
  token: string;
  /** The ledger's size then. */
  ledgerBytes: number;
  /** The ledger lines of a journal pending then. */
  pending?: readonly LedgerRecord[];
}

/** What the store remembers of one org. Every part may be missing: then it is read again. */
export interface OrgMemory {
  /** The files of the snapshot digest and their stat-checked hashes (file-hashes.ts), with the digester kept beside them. */
  hashes?: HashCache;
  /** The snapshot carryOut goes on from: the last one read or written. */
  working?: OrgSnapshot;
  /** The ledger's last line as carryOut goes on from it (null: an empty ledger). */
  lastLine?: LedgerRecord | null;
  /**
   * The snapshot this object last read or left by carrying out an action: readSnapshot returns it
   * again, without parsing a file, when the files' stat-checked hashes still give its digest
   * (`apply` reads the org to plan, then again under the lock).
   */
  lastRead?: OrgSnapshot;
  /**
   * Where the last snapshot read found the store (read-snapshot-files.ts): readLedger then gives
   * the ledger as it was at that moment, so that a snapshot and its ledger belong together.
   */
  readAt?: ReadGeneration;
  /** Where each app is in the working snapshot's list: actions never reorder it (see transitionOf). */
  appIndex?: Map<string, number>;
}

/** What makes a part of the memory stale, and so forgotten. */
export type StaleEvent =
  /** The lock was taken, or a run failed: another process may have changed the store, or this one half did. */
  | 'lock-taken'
  | 'run-failed'
  /** Recovery ran: it may have finished a change (`files-recovered` when it touched a file). */
  | 'recovered'
  | 'files-recovered'
  /** A commit starts: what carryOut and readSnapshot kept no longer holds once it writes. */
  | 'commit-started'
  /** A commit failed, or its digests were not followed change by change: the digester is built again when next needed. */
  | 'digests-unfollowed'
  /** A commit's journal is about to be written: the files' hashes are not trusted until it is rolled forward. */
  | 'files-moving';

const working: readonly (keyof OrgMemory)[] = ['working', 'lastLine', 'readAt'];

/** Per event, the parts it makes stale. */
const staleParts: Record<StaleEvent, readonly (keyof OrgMemory)[]> = {
  'lock-taken': working,
  'run-failed': working,
  recovered: working,
  'files-recovered': [...working, 'hashes'],
  'commit-started': [...working, 'lastRead'],
  'digests-unfollowed': [],
  'files-moving': ['hashes'],
};

/** The file store's memory of every org it worked on. */
export class FileStoreCaches {
  private readonly orgs = new Map<string, OrgMemory>();

  /** What the store remembers of `org` (read only: change it with remember and forget). */
  of(org: string): Readonly<OrgMemory> {
    return this.orgs.get(org) ?? {};
  }

  /** Remembers parts of what the store knows of `org` now. */
  remember(org: string, parts: Partial<OrgMemory>): void {
    const memory = this.orgs.get(org);
    if (memory === undefined) this.orgs.set(org, { ...parts });
    else Object.assign(memory, parts);
  }

  /** The one invalidation point: forgets what `event` makes stale of `org`. */
  forget(org: string, event: StaleEvent): void {
    const memory = this.orgs.get(org);
    if (memory === undefined) return;
    // The digester follows the hash cache change by change: it may hold hashes of a change that did not happen.
    if (event === 'digests-unfollowed' && memory.hashes !== undefined) forgetDigester(memory.hashes);
    for (const part of staleParts[event]) delete memory[part];
  }
}
