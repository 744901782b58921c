// What `capctl refresh` (and an apply, before its first action) recorded of the changes made
// outside capctl, as text.
import type { CommitOutcome, RecordedChanges, RefreshReport } from '../model/index.js';
import { renderObservedLines } from './refresh-commit-message.js';

function commitLine(commit: CommitOutcome): string {
  switch (commit.status) {
    case 'committed':
      return `Committed ${commit.commit.slice(0, 12)}: ${commit.subject}\n`;
    case 'not-in-a-repository':
      return 'The store is not in a git repository: no commit was made.\n';
    case 'nothing-to-commit':
      return 'Git: nothing to commit.\n';
    case 'skipped':
      return 'Not committed (--no-commit).\n';
    case 'failed':
      return `Git commit failed: ${commit.message}\n`;
  }
}

/** The observed line's changes and how its commit went. */
export function renderRecordedChanges(org: string, recorded: RecordedChanges): string {
  const changes = renderObservedLines(recorded.line.observed);
  let out = `Recorded changes made outside capctl to ${org} (ledger line ${recorded.line.seq}):\n`;
  out += changes.length > 0 ? changes.map((l) => `  ~ ${l}\n`).join('') : '  (the store moved; what changed cannot be named)\n';
  out += commitLine(recorded.commit);
  return out + recorded.notes.map((n) => `note: ${n}\n`).join('');
}

/** `capctl refresh`'s outcome. */
export function renderRefreshText(report: RefreshReport): string {
  const earlier = report.earlierCommits
    .map((c) => (c.status === 'committed' ? `Recorded in git an earlier ledger line that had no commit: ${c.commit.slice(0, 12)} ${c.subject}\n` : ''))
    .join('');
  switch (report.status) {
    case 'nothing-recorded-yet':
      return `Nothing to compare with: the ledger of ${report.org} is empty, so the store as it is is where it starts; nothing was written.\n`;
    case 'no-changes':
      return `No changes: ${report.org} is as the ledger's last line recorded it; nothing was written.\n`;
    case 'recorded':
      return earlier + renderRecordedChanges(report.org, report.recorded!);
  }
}
