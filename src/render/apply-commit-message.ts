// The message of an apply commit: a short subject, a body listing every action and its effect, and
// trailers that `git interpret-trailers --parse` reads (SPEC §8).
import { Trailers, type ActionKind, type LedgerLine } from '../model/index.js';
import { actionKinds, allActionKinds, type ActionVerb } from '../plan/action-kinds.js';
import { groupRank } from '../plan/ordering.js';
import { renderAppliedAction } from './applied-action.js';
import { escapeStrings } from './escape-text.js';
import { count } from './plan-words.js';

/** Everything an apply commit records. */
export interface ApplyCommitInput {
  org: string;
  actor: string;
  planDigest: string;
  /** The desired folder's commit the plan was made from; null when it was not in git; undefined when unknown. */
  desiredCommit: string | null | undefined;
  /** The ledger lines of this plan, in order. */
  lines: readonly LedgerLine[];
  revisionBefore?: number;
  revisionAfter?: number;
  /** A sentence added to the body (e.g. that the apply was recorded late). */
  note?: string;
}

/** Longest subject before the per-app phrases give way to counts. */
const maxSubject = 100;

/** The subject's phrases after the org settings': one per verb, in plan order (SPEC §6), naming apps or counting sessions. */
const phraseOrder: { verb: ActionVerb; kinds: ActionKind[]; counts: 'apps' | 'sessions' }[] = subjectPhrases();

function subjectPhrases(): { verb: ActionVerb; kinds: ActionKind[]; counts: 'apps' | 'sessions' }[] {
  const byVerb = new Map<ActionVerb, { verb: ActionVerb; kinds: ActionKind[]; counts: 'apps' | 'sessions'; rank: number }>();
  for (const kind of allActionKinds) {
    const row = actionKinds[kind];
    if (row.subject === 'org') continue;
    const rank = groupRank({ kind });
    const phrase = byVerb.get(row.verb);
    if (phrase) {
      phrase.kinds.push(kind);
      phrase.rank = Math.min(phrase.rank, rank);
    } else byVerb.set(row.verb, { verb: row.verb, kinds: [kind], counts: row.subject, rank });
  }
  return [...byVerb.values()].sort((a, b) => a.rank - b.rank).map(({ verb, kinds, counts }) => ({ verb, kinds, counts }));
}

function sum(lines: readonly LedgerLine[]): number {
  return lines.reduce((n, l) => n + l.result.sessionsEnded, 0);
}

/**
 * The ids of the revocations these lines carried out, in order: each revoke's own, and those an
 * action covered in passing (R9: a block of their app), which have no line of their own.
 */
export function revocationIds(lines: readonly LedgerLine[]): string[] {
  const ids = lines.flatMap((l) => [...(l.action.kind === 'revoke' && l.action.revocation ? [l.action.revocation.id] : []), ...(l.action.covers ?? [])]);
  return [...new Set(ids)];
}

function idList(lines: readonly LedgerLine[], compact: boolean): string {
  const ids = revocationIds(lines);
  const shown = compact && ids.length > 2 ? [...ids.slice(0, 2), `+${ids.length - 2}`] : ids;
  return shown.length > 0 ? ` (${shown.join(', ')})` : '';
}

/** `install Slack`, `update 4 apps`, `revoke 12 sessions (INC-2041)`: one phrase per kind of action. */
function phrases(lines: readonly LedgerLine[], namesUpTo: number): string[] {
  const out: string[] = [];
  if (lines.some((l) => actionKinds[l.action.kind].subject === 'org')) out.push('update org settings');
  for (const { verb, kinds, counts } of phraseOrder) {
    const ofKind = lines.filter((l) => kinds.includes(l.action.kind));
    if (ofKind.length === 0) continue;
    if (counts === 'sessions') {
      out.push(`${verb} ${count(sum(ofKind), 'session')}${idList(ofKind, namesUpTo === 0)}`);
      continue;
    }
    const names = [...new Set(ofKind.map((l) => l.action.app?.name ?? '?'))];
    out.push(names.length <= namesUpTo ? `${verb} ${names.join(', ')}` : `${verb} ${count(names.length, 'app')}`);
  }
  return out;
}

/** `capctl apply acme-prod: install Slack, block Dropbox, revoke 12 sessions (INC-2041)`, kept short. */
export function renderApplySubject(org: string, data: readonly LedgerLine[]): string {
  // One line whatever the names hold: a newline in an app's name must not end the subject.
  const lines = escapeStrings(data);
  const head = `capctl apply ${org}: `;
  if (lines.length === 0) return `${head}no changes`;
  for (const namesUpTo of [3, 2, 1, 0]) {
    const subject = head + phrases(lines, namesUpTo).join(', ');
    if (subject.length <= maxSubject) return subject;
  }
  // Many kinds of change: count them, and keep the revocations, which auditors search for.
  const changes = lines.filter((l) => actionKinds[l.action.kind].subject !== 'sessions');
  const revokes = lines.filter((l) => actionKinds[l.action.kind].subject === 'sessions');
  const apps = new Set(changes.flatMap((l) => (l.action.app ? [l.action.app.id] : []))).size;
  const settings = changes.some((l) => actionKinds[l.action.kind].subject === 'org');
  const targets = [apps > 0 ? count(apps, 'app') : '', settings ? 'org settings' : ''].filter(Boolean).join(' and ');
  const parts = [changes.length > 0 ? `change ${targets}` : '', revokes.length > 0 ? `revoke ${count(sum(revokes), 'session')}${idList(revokes, true)}` : ''];
  return head + parts.filter(Boolean).join(', ');
}

/** The trailers of an apply commit, in order, as [key, value] pairs. */
export function applyTrailers(input: ApplyCommitInput): [string, string][] {
  const trailers: [string, string][] = [
    [Trailers.org, input.org],
    [Trailers.actor, input.actor],
    [Trailers.plan, input.planDigest],
    [Trailers.desiredCommit, input.desiredCommit === undefined ? 'unknown' : (input.desiredCommit ?? 'none')],
    ...revocationIds(input.lines).map((id): [string, string] => [Trailers.revocation, id]),
  ];
  const first = input.lines[0];
  const last = input.lines.at(-1);
  if (first && last) {
    trailers.push([Trailers.ledgerSeq, `${first.seq}-${last.seq}`], [Trailers.ledgerHead, last.hash]);
  }
  return trailers;
}

/** The whole commit message: subject, blank line, summary and one line per action, blank line, trailers. */
export function renderApplyCommitMessage(data: ApplyCommitInput): string {
  // Names and the actor escaped: no line of theirs can pass for a trailer or a paragraph.
  const input = escapeStrings(data);
  const ended = input.lines.reduce((n, l) => n + l.result.sessionsEnded, 0);
  const revision =
    input.revisionBefore !== undefined && input.revisionAfter !== undefined ? ` (store revision ${input.revisionBefore} → ${input.revisionAfter})` : '';
  const range = input.lines.length > 0 ? `, ledger lines ${input.lines[0]!.seq}-${input.lines.at(-1)!.seq}` : '';
  const intro = `Applied ${count(input.lines.length, 'action')} to ${input.org} as ${input.actor}${revision}${range}; ${count(ended, 'session')} ended.`;
  const width = String(input.lines.at(-1)?.seq ?? 0).length;
  const body = input.lines.map((l) => `${String(l.seq).padStart(width)}. ${renderAppliedAction(l.action, l.result)}`);
  const trailers = applyTrailers(input).map(([k, v]) => `${k}: ${v}`);
  const note = input.note ? `\n\n${input.note}` : '';
  return `${renderApplySubject(input.org, input.lines)}\n\n${intro}${note}\n\n${body.join('\n')}\n\n${trailers.join('\n')}\n`;
}
