// What an apply did: the data its text and JSON output are rendered from.
import type { Action, LedgerLine, ObservedLine } from './generated/schema-types.js';

/** How recording the apply in git went. */
export type CommitOutcome =
  | { status: 'committed'; commit: string; subject: string; files: string[] }
  | { status: 'not-in-a-repository' }
  | { status: 'nothing-to-commit' }
  | { status: 'skipped' }
  | { status: 'failed'; message: string };

/** The outcome of one `capctl apply`. */
export interface ApplyReport {
  org: string;
  actor: string;
  planDigest: string;
  /**
   * applied: every action done; no-changes: the plan had none; already-applied: an earlier run had
   * done them all; failed: an action failed (those before it are done); stopped-at-manual-step:
   * the next action is a manual step (its `manual` says where), those before it are done (exit 4).
   */
  status: 'applied' | 'no-changes' | 'already-applied' | 'failed' | 'stopped-at-manual-step';
  /** Ledger lines an earlier, interrupted run of this plan wrote (the apply resumed after them). */
  resumed: LedgerLine[];
  /** Ledger lines this run wrote, in order. */
  applied: LedgerLine[];
  /** Actions of the plan not carried out (after a failure, or from the manual step it stopped before). */
  notDone: Action[];
  revisionBefore: number;
  revisionAfter: number;
  failure?: { action: Action; message: string };
  /** The manual step the apply stopped before (status stopped-at-manual-step). */
  manualStep?: Action;
  /** Commits made first, for earlier applies that were interrupted before their commit. */
  earlierCommits: CommitOutcome[];
  /** This apply's commit. */
  commit?: CommitOutcome;
  /** Changes made outside capctl, recorded (an observed ledger line and its refresh commit) before the first action. */
  refreshed?: RecordedChanges;
}

/** What recording outside changes did. */
export interface RecordedChanges {
  line: ObservedLine;
  /** The refresh commit; `skipped` without an audit trail (or with --no-commit). */
  commit: CommitOutcome;
  notes: string[];
}

/** The outcome of one `capctl refresh`. */
export interface RefreshReport {
  org: string;
  /** recorded: an observed line was appended; no-changes: the store is as the ledger's last line left it; nothing-recorded-yet: the ledger is empty. */
  status: 'recorded' | 'no-changes' | 'nothing-recorded-yet';
  /** The store digest now. */
  storeDigest: string;
  recorded?: RecordedChanges;
  /** Commits made first, for ledger lines git did not hold yet. */
  earlierCommits: CommitOutcome[];
}

