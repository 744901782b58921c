// `capctl refresh` (SPEC §8, §9): records the org as it is now, so that changes made outside capctl
// are never absorbed silently. For the file store the files are the org: refreshing reads them and,
// when they moved since the ledger's last line, appends ONE observed line saying what changed (its
// storeDigest the digest now), and in git commits it with the changed files (`capctl refresh
// acme-prod: Asana blocked, 3 sessions ended`). Nothing changed: nothing is written.
//   take the org's lock → read the store → observe what changed → record earlier applies not in
//   git yet → append the observed line → commit it → release the lock.
// `apply` records pending outside changes the same way (recordOutsideChanges), after its preflight
// and before its first action.
import type { CommitOutcome, LedgerRecord, Observation, OrgSnapshot, RecordedChanges, RefreshReport } from '../model/index.js';
import type { OrgStore } from '../store/org-store.js';
import { nextObservedLine } from '../store/ledger-chain.js';
import { takeLock, type LockedRunOptions } from './take-lock.js';

/** The audit trail (git) as refresh uses it; see src/audit/. */
export interface RefreshAudit {
  /** What changed since the ledger's last line, or undefined when nothing did. Omitted: only that the digest moved. */
  observe?(snapshot: OrgSnapshot, ledger: readonly LedgerRecord[]): Promise<Observation | undefined>;
  /** Omitted with --no-commit. Commits the ledger lines up to `upToSeq` that git does not hold yet (see ApplyAudit). */
  recordPending?(ledger: readonly LedgerRecord[], upToSeq: number, current: { planDigest: string; desiredCommit: string | null }): Promise<CommitOutcome[]>;
}

/** What refreshOrg needs. */
export interface RefreshOrgOptions extends LockedRunOptions {
  audit?: RefreshAudit;
}

/** Whether the store moved since the ledger's last line (an empty ledger has recorded nothing to move from). */
export function hasOutsideChanges(snapshot: OrgSnapshot, ledger: readonly LedgerRecord[]): boolean {
  const last = ledger.at(-1);
  return last !== undefined && last.result.storeDigest !== snapshot.digest;
}

/** Records the org as it is now, under its lock. */
export async function refreshOrg(options: RefreshOrgOptions): Promise<RefreshReport> {
  const { store, org } = options;
  const lock = await takeLock(store, org, options.actor, options);
  try {
    const snapshot = await store.readSnapshot(org);
    const ledger = await store.readLedger(org);
    const report: RefreshReport = { org, status: 'no-changes', storeDigest: snapshot.digest, earlierCommits: [] };
    if (ledger.length === 0) return { ...report, status: 'nothing-recorded-yet' };
    if (!hasOutsideChanges(snapshot, ledger)) return report;
    const record = options.audit?.recordPending;
    if (record) {
      const earlier = await record.call(options.audit, ledger, ledger.length, { planDigest: 'none', desiredCommit: null });
      report.earlierCommits = earlier.filter((c) => c.status === 'committed');
    }
    const recorded = await recordOutsideChanges({ ...options, snapshot, ledger, at: options.now() });
    return recorded ? { ...report, status: 'recorded', recorded } : report;
  } finally {
    await lock.release();
  }
}

/**
 * Appends the observed line for the changes since the ledger's last line and commits it (when
 * there is an audit trail); undefined when nothing changed. Call while holding the org's lock,
 * with the snapshot and ledger read under it. A failed commit is reported, not thrown: the line is
 * in the ledger, and the next apply or refresh commits it.
 */
export async function recordOutsideChanges(input: {
  store: OrgStore;
  org: string;
  actor: string;
  at: Date;
  snapshot: OrgSnapshot;
  ledger: readonly LedgerRecord[];
  audit?: RefreshAudit | undefined;
  current?: { planDigest: string; desiredCommit: string | null };
}): Promise<RecordedChanges | undefined> {
  const { store, org, snapshot, ledger, audit } = input;
  if (!hasOutsideChanges(snapshot, ledger)) return undefined;
  const last = ledger.at(-1)!;
  const observation: Observation = (audit?.observe ? await audit.observe(snapshot, ledger) : undefined) ?? {
    observed: { named: false, previousDigest: last.result.storeDigest, changes: [], sessions: [] },
    notes: ['no audit trail to compare with, so what changed cannot be named: only that the digest moved'],
  };
  const line = await store.recordObserved(org, (storeDigest) =>
    nextObservedLine(last, {
      at: input.at.toISOString(),
      actor: input.actor,
      observed: observation.observed,
      storeDigest,
      ...(observation.parts ? { parts: observation.parts } : {}),
    }),
  );
  let commit: CommitOutcome = { status: 'skipped' };
  if (audit?.recordPending) {
    try {
      commit = (await audit.recordPending([...ledger, line], line.seq, input.current ?? { planDigest: 'none', desiredCommit: null })).at(-1) ?? { status: 'nothing-to-commit' };
    } catch (error) {
      commit = { status: 'failed', message: `${error instanceof Error ? error.message : String(error)}; the next apply or refresh records it` };
    }
  }
  return { line, commit, notes: observation.notes };
}
