// What an apply did, in the past tense, one line per action, then a summary (and what is left
// when an action failed).
import type { Action, ApplyReport, LedgerLine } from '../model/index.js';
import { renderAppliedAction } from './applied-action.js';
import { paint } from './color.js';
import { escapeControls, escapeStrings } from './escape-text.js';
import { renderRecordedChanges } from './refresh-report.js';
import { actionTitle, count, manualPageName } from './plan-words.js';
import { actionName } from '../plan/action-kinds.js';

/**
 * `; the plan counted 25` when the action ended another number of sessions than its plan counted:
 * sessions come and go on a live org, and apply counts them again (SPEC §7).
 */
function recounted(line: LedgerLine): string {
  const planned = line.action.effects.sessionsEnded;
  return line.result.status !== 'skipped' && line.result.sessionsEnded !== planned ? `; the plan counted ${planned}` : '';
}

/** `  ✓ 3. blocked Dropbox: ended 25 sessions of 18 users` — numbered by the plan's action seq. */
export function renderAppliedLine(data: LedgerLine, color: boolean): string {
  const line = escapeStrings(data);
  const mark = line.result.status === 'skipped' ? paint('-', 'gray', color) : paint('✓', 'green', color);
  const byHand = line.result.byHand ? ' (a manual step: done by hand, seen done on the org)' : '';
  const ahead = line.result.aheadOf !== undefined ? ` (ahead of action ${line.result.aheadOf}: the org saved it in the same call, and not that one)` : '';
  return `  ${mark} ${line.action.seq}. ${renderAppliedAction(line.action, line.result)}${byHand}${ahead}${recounted(line)}\n`;
}

/** `1-4, 6`: action seqs as ranges, in order. */
function seqRanges(seqs: readonly number[]): string {
  const ranges: [number, number][] = [];
  for (const seq of [...seqs].sort((a, b) => a - b)) {
    const last = ranges.at(-1);
    if (last && seq === last[1] + 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
}

/** The first line of an apply: which plan, which org, as whom, and whether it resumes. */
export function renderApplyStart(org: string, planDigest: string, actor: string, resumed: readonly LedgerLine[]): string {
  const head = `Applying plan ${planDigest.slice(0, 19)}… to ${org} as ${escapeControls(actor)}.\n`;
  if (resumed.length === 0) return head;
  const first = resumed[0]!;
  const last = resumed.at(-1)!;
  // Not the plan's first actions in order: one was saved ahead of an action of its call that was not done.
  if (resumed.some((l) => l.result.aheadOf !== undefined)) {
    return `${head}Resuming: an earlier run applied actions ${seqRanges(resumed.map((l) => l.action.seq))} (ledger lines ${first.seq}-${last.seq}); continuing with the others, in plan order.\n`;
  }
  return `${head}Resuming: an earlier run applied actions ${first.action.seq}-${last.action.seq} (ledger lines ${first.seq}-${last.seq}); continuing after action ${last.action.seq}.\n`;
}

function notDoneLines(actions: readonly Action[]): string {
  return actions.map((a) => `  · ${a.seq}. ${actionName(a)}\n`).join('');
}

/** The summary after the per-action lines: the outcome, the revision, the git commit. */
export function renderApplySummary(data: ApplyReport, color: boolean): string {
  const report = escapeStrings(data);
  const lines = [...report.resumed, ...report.applied];
  const ended = lines.reduce((n, l) => n + l.result.sessionsEnded, 0);
  let out = report.earlierCommits
    .map((c) => (c.status === 'committed' ? `Recorded in git an earlier apply that had no commit: ${c.commit.slice(0, 12)} ${c.subject}\n` : ''))
    .join('');
  if (report.refreshed) out += renderRecordedChanges(report.org, report.refreshed);
  switch (report.status) {
    case 'no-changes':
      return `${out}Nothing to apply: the plan has no actions.\n`;
    case 'already-applied':
      out += `Nothing left to do: every action of this plan was applied before (ledger lines ${lines[0]?.seq ?? '?'}-${lines.at(-1)?.seq ?? '?'}).\n`;
      break;
    case 'applied':
      out += `${paint('Apply complete', 'green', color)}: ${count(lines.length, 'action')} applied${report.resumed.length > 0 ? ` (${report.resumed.length} by an earlier run)` : ''}, ${count(ended, 'session')} ended. ${report.org} is at store revision ${report.revisionAfter}.\n`;
      break;
    case 'failed': {
      const f = report.failure!;
      out += `${paint('Apply failed', 'red', color)} at action ${f.action.seq} (${actionName(f.action)}): ${f.message}\n`;
      out += `Done before the failure: ${count(lines.length, 'action')}, ${count(ended, 'session')} ended (store revision ${report.revisionAfter}).\n`;
      if (report.notDone.length > 0) out += `Not done (${report.notDone.length}):\n${notDoneLines(report.notDone)}`;
      out += 'Fix the cause and run the same apply again: it continues after the last action done.\n';
      break;
    }
    case 'stopped-at-manual-step': {
      const step = report.manualStep!;
      const manual = step.manual!;
      out += `${paint('Apply stopped', 'magenta', color)} before action ${step.seq} (${actionTitle(step)}): a manual step, which no API does.\n`;
      out += `Do it by hand: ${actionTitle(step)} on ${manualPageName[manual.page]}:\n  ${manual.url}\n`;
      out += `Done before it: ${count(lines.length, 'action')}, ${count(ended, 'session')} ended (store revision ${report.revisionAfter}).\n`;
      if (report.notDone.length > 1) out += `Then (${report.notDone.length - 1}):\n${notDoneLines(report.notDone.slice(1))}`;
      out += 'Then run the same apply again: it reads the org, sees the step done, and goes on.\n';
      break;
    }
  }
  out += renderCommitOutcome(report);
  return out;
}

function renderCommitOutcome(report: ApplyReport): string {
  const c = report.commit;
  if (!c) return '';
  switch (c.status) {
    case 'committed':
      return `Committed ${c.commit.slice(0, 12)}: ${c.subject}\n`;
    case 'not-in-a-repository':
      return 'The store is not in a git repository: no commit was made.\n';
    case 'nothing-to-commit':
      return 'Git: nothing to commit (the apply commit was made before).\n';
    case 'skipped':
      return 'Not committed (--no-commit).\n';
    case 'failed':
      return `Git commit failed: ${c.message}\n`;
  }
}

/** The whole apply in text: start line, every action, summary. */
export function renderApplyReportText(report: ApplyReport, color: boolean): string {
  if (report.status === 'no-changes' || report.status === 'already-applied') return renderApplySummary(report, color);
  return renderApplyStart(report.org, report.planDigest, report.actor, report.resumed) + report.applied.map((l) => renderAppliedLine(l, color)).join('') + renderApplySummary(report, color);
}
