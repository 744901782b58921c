// Carrying out actions on the file store: each action's next state by the pure transition
// (action-change.ts), exactly the files that change and the action's ledger line, a run of them
// written as one atomic change (commit-run.ts), or as several when its files add up to more than
// `maxChangeBytes`. A commit that fails before its journal is written is `failed`; after, `unknown`
// (recovery, which `settle` and the next lock run, finishes it).
import type { Action, ObservedApp, LedgerLine, OrgSnapshot } from '../model/index.js';
import type { OrgData } from '../plan/transition.js';
import { actionChange } from './action-change.js';
import type { RunCommitter } from './commit-run.js';
import type { FileStoreCaches } from './file-caches.js';
import type { FileChange, StoreChange } from './file-change.js';
import { kindOfFile } from './file-layout.js';
import type { OrgFolders } from './file-org-folder.js';
import { readJournal } from './journal.js';
import { nextLedgerLine } from './ledger-chain.js';
import type { CarryOutContext, CarryOutResult } from './org-store.js';
import type { SnapshotFileReader } from './read-snapshot-files.js';
import { checkAgainstSchema } from './schema-validators.js';

const defaultMaxChangeBytes = 64 * 1024 * 1024;

/** The file store's executor: carries out runs of actions as commits. */
export class FileExecutor {
  constructor(
    private readonly folders: OrgFolders,
    private readonly caches: FileStoreCaches,
    private readonly reader: SnapshotFileReader,
    private readonly committer: RunCommitter,
    /** The most bytes of files one atomic change holds (default 64 MiB). */
    private readonly maxChangeBytes: number = defaultMaxChangeBytes,
  ) {}

  /**
   * Carries out a run of actions, in order, as ONE atomic change (commitAll): computes each
   * action's next state with the pure transition and writes exactly the files that change, with
   * each action's ledger line (whose result records the parts of the state it changed and the
   * snapshot digest right after it). A run whose files add up to more than `maxChangeBytes` is
   * written as several changes, one after the other, so that memory stays bounded. No counter is
   * written: the revision comes from the ledger (ledger-chain.ts storeRevision). An action whose
   * transition fails, or whose change cannot be written, ends the run there: those before it are
   * written. Call while holding the org's lock: the state is the snapshot and ledger read under it
   * (or left by the last carryOut), not read again for every run.
   */
  async carryOut(org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult> {
    let data: OrgData = this.caches.of(org).working ?? (await this.reader.readSnapshot(org));
    const known = this.caches.of(org).lastLine;
    let previous = (known !== undefined ? known : (await this.reader.readLedger(org)).at(-1)) ?? undefined;
    const applied: LedgerLine[] = [];
    let pending: StoreChange[] = [];
    let pendingBytes = 0;
    let pendingFrom = 0;
    /** Writes the pending changes as one atomic change; a failure is reported at the first of them. */
    const writePending = async (): Promise<CarryOutResult['failure']> => {
      if (pending.length === 0) return undefined;
      const lineCount = applied.length;
      try {
        const digests = await this.committer.commitAll(org, pending);
        const next: OrgSnapshot = { slug: org, ...data, digest: digests.at(-1)! };
        this.caches.remember(org, { working: next, lastRead: next, lastLine: applied.at(-1)! });
      } catch (error) {
        applied.length = lineCount; // lines built for a change that was not written
        this.caches.forget(org, 'run-failed');
        // A journal left behind is a change decided: recovery (settle) finishes it, and the
        // ledger then shows it done. Without one, nothing of it was written.
        const decided = (await readJournal(this.folders.orgDir(org)).catch(() => undefined)) !== undefined;
        return decided ? { index: pendingFrom, error: asError(error), outcome: 'unknown' } : { index: pendingFrom, error: asError(error), outcome: 'failed', retryable: true };
      }
      pendingFrom += pending.length;
      pending = [];
      pendingBytes = 0;
      return undefined;
    };
    for (const [i, action] of actions.entries()) {
      let change;
      try {
        change = actionChange(data, action, this.appIndexOf(org, data.apps, action.app?.id));
        assertWritable(change.files, change.values);
      } catch (error) {
        // A transition that fails, or a file the store would refuse to read, fails the same way again.
        const failure = (await writePending()) ?? { index: i, error: asError(error), outcome: 'failed' as const, retryable: false };
        return { applied, failure };
      }
      data = change.next;
      const result = { ...change.result, parts: change.parts };
      const entry = { at: context.at.toISOString(), actor: context.actor, plan: context.planDigest, action };
      pending.push({
        files: change.files,
        ledgerLine: (storeDigest) => {
          previous = nextLedgerLine(previous, { ...entry, result: { ...result, storeDigest } });
          applied.push(previous);
          return previous;
        },
      });
      for (const file of change.files) pendingBytes += file.content?.length ?? 0;
      if (pendingBytes >= this.maxChangeBytes) {
        const failure = await writePending();
        if (failure) return { applied, failure };
      }
    }
    const failure = await writePending();
    return failure === undefined ? { applied } : { applied, failure };
  }

  /** Where each app is in `apps` (kept between actions: they never reorder the list, see transitionOf). */
  private appIndexOf(org: string, apps: readonly ObservedApp[], id: string | undefined): (id: string) => number | undefined {
    let index = this.caches.of(org).appIndex;
    if (index === undefined || (id !== undefined && apps[index.get(id) ?? -1]?.id !== id)) {
      index = new Map(apps.map((app, i) => [app.id, i]));
      this.caches.remember(org, { appIndex: index });
    }
    const known = index;
    return (appId) => known.get(appId);
  }
}

/**
 * Throws when a file an action would write breaks its schema (a plan edited by hand, its digest
 * recomputed, can ask for values the planner never gives): the store never writes a file that it
 * would refuse to read. Checks across files (users, profiles) are the planner's.
 */
export function assertWritable(files: readonly FileChange[], values: readonly unknown[]): void {
  files.forEach(({ path: rel }, i) => {
    const problems = checkAgainstSchema(kindOfFile(rel), values[i]);
    if (problems.length > 0) {
      throw new Error(`it would write an invalid ${rel}: ${problems.map((p) => p.message.replace(/^the file: /, '')).join('; ')}`);
    }
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
