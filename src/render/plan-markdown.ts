// A plan as a pull-request comment: the summary first, then the errors and warnings, a table of
// the actions, and the details folded away. However large the plan, the comment stays under a
// size limit (GitHub refuses comments over 65,536 characters) and says what it left out.
import type { Action, Diagnostic, Plan } from '../model/index.js';
import { actionKinds } from '../plan/action-kinds.js';
import { renderPermissionExpr } from '../plan/permissions.js';
import { diagnosticPlace } from './diagnostics.js';
import { escapeStrings } from './escape-text.js';
import { actionStyle, actionTitle, count, manualPageName, manualStepsLine, noChangesLine, planFailed, removedText, sessionsEffect, summaryLine } from './plan-words.js';
import { renderReason } from './reason-text.js';
import { diffLineText, diffNames, diffValues } from './values-diff.js';

/** The largest comment this renderer writes, in characters. */
export const markdownLimit = 60_000;

const usersShown = 20;
const cutOffShown = 30;
const tableOpenBelow = 25;
/** Room kept for the closing lines and the note on what was cut. */
const reserve = 1_500;

/**
 * The plan as GitHub-flavoured markdown of at most `limit` characters. The summary comes first;
 * when everything does not fit, room goes first to errors, then warnings, then the action table,
 * then each action's details, then the notes, and a last line says what was left out.
 */
export function renderPlanMarkdown(data: Plan, options: { limit?: number } = {}): string {
  const plan = escapeStrings(data);
  const limit = options.limit ?? markdownLimit;
  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  const warnings = plan.diagnostics.filter((d) => d.severity === 'warning');
  const notes = plan.diagnostics.filter((d) => d.severity === 'info');
  const head = `### capctl plan: \`${plan.org.name}\`\n\n**${statusLine(plan)}**\n\n${contextLine(plan)}\n\n`;
  let room = limit - reserve - head.length;
  const cut: string[] = [];
  const take = (items: readonly string[], budget: number, what: (left: number) => string): string => {
    const { text, left } = fill(items, budget);
    room -= text.length;
    if (left > 0) cut.push(what(left));
    return text;
  };

  const errorText = take(errors.map(diagnosticBullet), room, (n) => count(n, 'error'));
  const warningText = take(warnings.map(diagnosticBullet), room, (n) => count(n, 'warning'));
  const tableText = take(plan.actions.map((a) => actionRow(a, plan)), Math.floor(room / 2), (n) => count(n, 'table row'));
  const detailText = take(plan.actions.map((a) => actionDetails(a, plan)), Math.floor(room * 0.85), (n) => `the details of ${count(n, 'action')}`);
  const noteText = take(notes.map(diagnosticBullet), room, (n) => count(n, 'note'));

  const parts = [head];
  if (errorText) parts.push(`#### Errors\n\n${errorText}\n`);
  if (tableText) {
    const folded = plan.actions.length > tableOpenBelow;
    parts.push(
      folded ? `<details><summary>All ${plan.actions.length} actions</summary>\n\n` : '',
      actionTableHeader(plan),
      tableText,
      folded ? '\n</details>\n\n' : '\n',
    );
  }
  if (warningText) parts.push(`#### Warnings\n\n${warningText}\n`);
  if (detailText) parts.push(`<details><summary>Details of each action</summary>\n\n${detailText}</details>\n\n`);
  if (noteText) parts.push(`<details><summary>${count(notes.length, 'note')}</summary>\n\n${noteText}\n</details>\n\n`);
  if (cut.length > 0) {
    parts.push(`> **Cut to stay under ${limit.toString().replace(/\B(?=(\d{3})+$)/g, ',')} characters:** ${cut.join(', ')} not shown. \`capctl plan --format json\` prints the whole plan.\n`);
  }
  return parts.join('').replace(/\n+$/, '\n');
}

/** As many items as fit in `budget` characters, in order, and how many were left out. */
function fill(items: readonly string[], budget: number): { text: string; left: number } {
  let used = 0;
  const kept: string[] = [];
  for (const item of items) {
    if (used + item.length > budget) break;
    kept.push(item);
    used += item.length;
  }
  return { text: kept.join(''), left: items.length - kept.length };
}

function statusLine(plan: Plan): string {
  if (planFailed(plan)) {
    const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
    return `❌ The plan has ${count(errors, 'error')}, so it has no actions.`;
  }
  if (plan.actions.length === 0) return `✅ ${noChangesLine(plan)}`;
  const manual = manualStepsLine(plan.actions);
  return manual ? `${summaryLine(plan.summary)} ${manual}` : summaryLine(plan.summary);
}

function contextLine(plan: Plan): string {
  const parts = [`Org \`${plan.org.name}\` (\`${plan.org.id}\`) at store revision ${plan.basis.storeRevision}`];
  if (plan.basis.desiredCommit) parts.push(`desired state at \`${plan.basis.desiredCommit}\``);
  if (plan.actor !== undefined) {
    const refused = plan.actions.filter((a) => a.allowed === false).length;
    parts.push(refused === 0 ? `actor \`${plan.actor}\` may apply it` : `actor \`${plan.actor}\` lacks permissions for ${count(refused, 'action')}`);
  }
  parts.push(`plan \`${plan.digest.slice(0, 19)}\``);
  return parts.join(' · ');
}

function actionTableHeader(plan: Plan): string {
  const actor = plan.actor !== undefined;
  return (
    `| # | | action | app | users gaining access | users losing access | sessions ended | users whose sessions end |${actor ? ' actor |' : ''}\n` +
    `|--:|:-:|---|---|--:|--:|--:|--:|${actor ? ':-:|' : ''}\n`
  );
}

function actionRow(action: Action, plan: Plan): string {
  const style = actionStyle[action.kind];
  const detail = actionKinds[action.kind].detail;
  const what = `${detail ? `${action.kind} ${escape(detail(action))}` : action.kind}${action.manual ? ' (manual)' : ''}`;
  const cells = [
    String(action.seq),
    `\`${style.symbol}\``,
    what,
    action.app ? escape(action.app.name) : '—',
    signed('+', action.effects.gained?.count ?? 0),
    signed('−', action.effects.lost?.count ?? 0),
    String(action.effects.sessionsEnded),
    String(action.effects.usersAffected),
  ];
  if (plan.actor !== undefined) cells.push(action.allowed ? '✅' : '❌');
  return `| ${cells.join(' | ')} |\n`;
}

/** `+55` or `−22`; no sign on 0. */
function signed(sign: '+' | '−', n: number): string {
  return n === 0 ? '0' : `${sign}${n}`;
}

function actionDetails(action: Action, plan: Plan): string {
  const style = actionStyle[action.kind];
  const lines = [`#### \`${style.symbol}\` ${action.seq}. ${escape(actionTitle(action))}`, '', escape(renderReason(action, plan.org.name)), ''];
  if (action.source) lines.push(`- declared at ${code(`${action.source.file}:${action.source.line}:${action.source.column}`)}`);
  let requires = `- requires ${code(renderPermissionExpr(action.requires))}`;
  if (plan.actor !== undefined && action.allowed !== undefined) {
    requires += action.allowed ? ` — ✅ ${code(plan.actor)} holds it` : ` — ❌ ${code(plan.actor)} lacks ${(action.missing ?? []).map(code).join(', ')}`;
  }
  lines.push(requires);
  if (action.approvalUrl) lines.push(`- approval URL ${code(action.approvalUrl)}`);
  if (action.manual) lines.push(`- **manual step**: by hand (no API does it), on [${manualPageName[action.manual.page]}](${action.manual.url}); apply stops before it until it is done`);
  const { effects } = action;
  if (effects.accessBefore !== undefined && effects.accessAfter !== undefined) {
    lines.push(
      effects.accessBefore === effects.accessAfter
        ? `- access: ${escape(effects.accessAfter)} (unchanged)`
        : `- access: ${escape(effects.accessBefore)} → ${escape(effects.accessAfter)}`,
    );
  }
  const scope = action.app ? '' : ' to some apps';
  if (effects.gained && effects.gained.count > 0) lines.push(`- gain access${scope}: ${userList(effects.gained.count, effects.gained.users)}`);
  if (effects.lost && effects.lost.count > 0) lines.push(`- lose access${scope}: ${userList(effects.lost.count, effects.lost.users)}`);
  lines.push(`- effect: ${sessionsEffect(action)}`);
  const removed = removedText(action);
  if (removed) lines.push(`- removes: ${removed}`);
  if (effects.appsCutOff) {
    const shown = effects.appsCutOff.slice(0, cutOffShown).map((a) => `${escape(a.name)} (${count(a.sessionsEnded, 'session')})`);
    const more = effects.appsCutOff.length - shown.length;
    lines.push(`- cuts off ${count(effects.appsCutOff.length, 'app')}: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
  }
  const diff = diffValues(action, ...diffNames(action, plan));
  if (diff) {
    const body = diff.map(diffLineText).join('\n');
    const fence = fenceFor(body);
    lines.push('', `${fence}diff`, body, fence);
  }
  return `${lines.join('\n')}\n\n`;
}

function userList(total: number, users: readonly string[]): string {
  const shown = users.slice(0, usersShown).map(code);
  const more = total - shown.length;
  return `${count(total, 'user')}${shown.length > 0 ? `: ${shown.join(', ')}` : ''}${more > 0 ? ` and ${more} more` : ''}`;
}

function diagnosticBullet(d: Diagnostic): string {
  const place = diagnosticPlace(d);
  return `- ${place === '-' ? '' : `${code(place)} `}**${d.severity}** ${d.code} ${escape(d.message)}\n`;
}

/** Markdown-inert text: HTML and the characters that start emphasis, links, tables or code. */
function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/\n/g, ' ');
}

/** An inline code span that survives backticks in the text. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  return longest > 0 ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`;
}

function fenceFor(body: string): string {
  const longest = Math.max(0, ...(body.match(/`{3,}/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}
