// The message of a refresh commit (SPEC §8): a short subject naming what changed outside capctl
// (`capctl refresh acme-prod: Asana blocked, 3 sessions ended`), a body with every change, and the
// trailers Capctl-Org, Capctl-Actor, Capctl-Refresh (the observed line's hash) and Capctl-Ledger-Seq.
// A change names the entry of the state folder it is in (`file`); which part of the state that is
// (the org, its users, an app) the folder tells (`DescribeEntry`, its StateFolder's `describe`).
import { Trailers, type DescribeEntry, type ObservedChange, type ObservedChanges, type ObservedLine } from '../model/index.js';
import { count } from './plan-words.js';

/** Longest subject before the per-app phrases give way to counts (as for an apply commit). */
const maxSubject = 100;

/** One line, whatever a name holds: control characters as \u escapes. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The top-level key of a dotted field path. */
function topKey(field: string): string {
  return field.split('.')[0]!;
}

/** `Asana blocked`, `Slack policies changed`, `org settings changed`, `2 users changed`, `3 sessions ended`: what changed, in file order. */
export function observedPhrases(observed: ObservedChanges, describe: DescribeEntry): string[] {
  if (!observed.named) return ['store changed (not named: no earlier state to compare with)'];
  const out: string[] = [];
  const byFile = new Map<string, ObservedChange[]>();
  for (const change of observed.changes) byFile.set(change.file, [...(byFile.get(change.file) ?? []), change]);
  for (const [file, changes] of byFile) {
    const part = describe(file)?.kind;
    if (part === 'users') {
      out.push(`${count(new Set(changes.map((c) => topKey(c.field))).size, 'user')} changed`);
      continue;
    }
    const name = part === 'org' ? 'org' : oneLine(changes[0]!.app?.name ?? file);
    const other = new Set<string>();
    for (const c of changes) {
      if (c.field === '(file)') out.push(`${name} ${c.after === '(absent)' ? 'removed' : 'added'}`);
      else if (c.field === 'blocked' && part !== 'org') out.push(`${name} ${c.after === 'true' ? 'blocked' : 'unblocked'}`);
      else if (c.field === 'installed' && part !== 'org') out.push(`${name} ${c.after === 'true' ? 'installed' : 'uninstalled'}`);
      else other.add(topKey(c.field));
    }
    if (other.size > 0) out.push(`${name} ${[...other].join(' and ')} changed`);
  }
  out.push(...sessionPhrases(observed));
  return out;
}

function sessionPhrases(observed: ObservedChanges): string[] {
  const total = (key: 'ended' | 'started' | 'used') => observed.sessions.reduce((n, s) => n + s[key], 0);
  return (['ended', 'started', 'used'] as const).filter((key) => total(key) > 0).map((key) => `${count(total(key), 'session')} ${key}`);
}

/** `capctl refresh acme-prod: Asana blocked, 3 sessions ended`, kept short (counts when the names do not fit). */
export function renderRefreshSubject(org: string, observed: ObservedChanges, describe: DescribeEntry): string {
  const head = `capctl refresh ${org}: `;
  const subject = head + observedPhrases(observed, describe).join(', ');
  if (subject.length <= maxSubject) return subject;
  const kinds = observed.changes.map((c) => ({ file: c.file, kind: describe(c.file)?.kind }));
  const apps = new Set(kinds.filter((c) => c.kind === 'app').map((c) => c.file)).size;
  const others = (['org', 'users'] as const).filter((kind) => kinds.some((c) => c.kind === kind));
  const targets = [apps > 0 ? count(apps, 'app') : '', ...others].filter(Boolean).join(', ');
  return head + [targets ? `changes to ${targets}` : '', ...sessionPhrases(observed)].filter(Boolean).join(', ');
}

/** One line of the body per change: `apps/0H4….json Asana: blocked false → true`, then each app's sessions counted. */
export function renderObservedLines(observed: ObservedChanges): string[] {
  const lines = observed.changes.map((c) => `${c.app ? `${oneLine(c.app.name)} (${c.file})` : c.file}: ${oneLine(c.field)} ${oneLine(c.before)} → ${oneLine(c.after)}`);
  for (const s of observed.sessions) {
    const parts = [s.ended > 0 ? `${s.ended} ended` : '', s.started > 0 ? `${s.started} started` : '', s.used > 0 ? `${s.used} used` : ''].filter(Boolean);
    lines.push(`${oneLine(s.app.name)}: sessions ${parts.join(', ')}`);
  }
  return lines;
}

/** The trailers of a refresh commit, in order. */
export function refreshTrailers(org: string, line: ObservedLine): [string, string][] {
  return [
    [Trailers.org, org],
    [Trailers.actor, line.actor],
    [Trailers.refresh, line.hash],
    [Trailers.ledgerSeq, `${line.seq}-${line.seq}`],
  ];
}

/** The whole message: subject, what was recorded, one line per change, trailers. */
export function renderRefreshCommitMessage(org: string, line: ObservedLine, describe: DescribeEntry, note?: string): string {
  const intro = `Recorded changes made outside capctl to ${org}, found by ${line.actor} (ledger line ${line.seq}; store digest ${line.observed.previousDigest ?? '(none)'} → ${line.result.storeDigest}).`;
  const body = renderObservedLines(line.observed).map((l) => `  ${l}`);
  const parts = [renderRefreshSubject(org, line.observed, describe), intro + (note ? `\n\n${note}` : '')];
  if (body.length > 0) parts.push(body.join('\n'));
  parts.push(refreshTrailers(org, line).map(([k, v]) => `${k}: ${v}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}
