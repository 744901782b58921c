// `history`, `verify` and `drift` as text. Their JSON forms are the report data itself.
import type { DriftReport, HistoryEntry, VerifyReport } from '../model/index.js';
import { paint } from './color.js';
import { escapeStrings } from './escape-text.js';
import { count } from './plan-words.js';

/** The audit trail, newest first: each apply with its actor, time, actions and effects; each desired change with its files. */
export function renderHistoryText(data: readonly HistoryEntry[], color: boolean): string {
  if (data.length === 0) return 'No history found.\n';
  return escapeStrings(data)
    .map((e) => {
      const head = `${paint(e.commit.slice(0, 12), 'yellow', color)}  ${e.date}  `;
      if (e.type === 'desired-change') {
        return `${head}desired state changed by ${e.author}\n    ${e.subject}\n${e.files.map((f) => `    ~ ${f}\n`).join('')}`;
      }
      if (e.type === 'refresh') {
        const changes = e.observed ?? [];
        return `${head}refresh ${e.org ?? '?'} by ${e.actor ?? '?'}: ${count(changes.length, 'change')} made outside capctl recorded\n    ${e.subject}\n${changes.map((l) => `      ~ ${l}\n`).join('')}`;
      }
      let out = `${head}apply ${e.org ?? '?'} by ${e.actor ?? '?'}: ${count(e.actions.length, 'action')}, ${count(e.sessionsEnded, 'session')} ended\n`;
      out += `    ${e.subject}\n`;
      out += `    plan ${e.plan ?? '?'}${e.desiredCommit && e.desiredCommit !== 'none' ? `, desired state at ${e.desiredCommit}` : ''}\n`;
      if (e.revocations.length > 0) out += `    revocations: ${e.revocations.join(', ')}\n`;
      for (const c of e.contained ?? []) out += `    contained: ${c}\n`;
      out += e.actions.map((a) => `      ${a.seq}. ${a.text}\n`).join('');
      return out;
    })
    .join('\n');
}

/** `verify`'s verdict: OK with counts, or the first line or commit that breaks. */
export function renderVerifyText(data: VerifyReport, color: boolean): string {
  const report = escapeStrings(data);
  const notes = report.notes.map((n) => `note: ${n}\n`).join('');
  if (report.ok) {
    const refreshes = report.refreshCommits > 0 ? ` and ${count(report.refreshCommits, 'refresh commit')}` : '';
    const verb = report.applyCommits === 1 && refreshes === '' ? 'matches' : 'match';
    return `${paint('OK', 'green', color)}: ${report.org}: ledger chain of ${count(report.ledgerLines, 'line')} intact; ${count(report.applyCommits, 'apply commit')}${refreshes} ${verb} the ledger.\n${notes}`;
  }
  const f = report.failure!;
  const where = f.kind === 'ledger-line' ? `ledger line ${f.line} (seq ${f.seq})` : `commit ${f.commit.slice(0, 12)} "${f.subject}"`;
  return `${paint('BROKEN', 'red', color)}: ${report.org}: ${where}: ${f.reason}\n${notes}`;
}

/** `drift`: none, or each change not recorded yet since the ledger's last line (an apply or a refresh). */
export function renderDriftText(data: DriftReport, color: boolean): string {
  const report = escapeStrings(data);
  const notes = report.notes.map((n) => `note: ${n}\n`).join('');
  const which = report.lastApply?.kind === 'refresh' ? 'refresh' : 'apply';
  const last = report.lastApply ? ` since the last ${which} (ledger line ${report.lastApply.seq}, ${report.lastApply.at}, by ${report.lastApply.actor})` : '';
  if (!report.drifted) {
    const state = which === 'refresh' ? 'as the last refresh recorded it' : 'as the last apply left it';
    return `No drift: ${report.org} is ${state}${last ? last.replace(` since the last ${which}`, '') : ''}.\n${notes}`;
  }
  let out = `${paint('Drift', 'red', color)}: ${report.org} changed${last} outside capctl.\n`;
  out += `  store digest expected ${report.expectedDigest ?? '?'}\n  store digest now      ${report.actualDigest}\n`;
  if (report.lastApply?.commit) out += `  compared with commit ${report.lastApply.commit.slice(0, 12)}\n`;
  for (const c of report.changes) {
    const subject = c.app ? `${c.app.name} (${c.file})` : c.file;
    out += `  ~ ${subject}: ${c.field} ${c.before} → ${c.after}\n`;
  }
  out += `Record these changes with \`capctl refresh --org ${report.org}\` (apply records them first too).\n`;
  return out + notes;
}
