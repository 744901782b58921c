// A plan as text for a terminal, like a Terraform plan: a symbol and a colour per action kind,
// then for each action why, where it is declared, what it requires (and whether the actor holds
// it), what it does to access and sessions, and a diff of the values it changes; then the summary
// line and the diagnostics. A pure function of the plan data.
import type { Action, Diagnostic, Plan } from '../model/index.js';
import { renderPermissionExpr } from '../plan/permissions.js';
import { paint, type Color } from './color.js';
import { renderDiagnosticsText } from './diagnostics.js';
import { escapeStrings } from './escape-text.js';
import {
  actionStyle,
  actionTitle,
  count,
  manualStepsLine,
  manualStepText,
  noChangesLine,
  planFailed,
  removedText,
  sessionsEffect,
  summaryLine,
  userListText,
} from './plan-words.js';
import { renderReason } from './reason-text.js';
import { diffLineText, diffNames, diffValues, type DiffLine } from './values-diff.js';

/** How to render: colour or not; how many notes of one code to show before folding the rest. */
export interface PlanTextOptions {
  color: boolean;
  notesPerCode?: number;
}

const usersShown = 5;
const cutOffShown = 10;

/** The plan as text. */
export function renderPlanText(data: Plan, options: PlanTextOptions): string {
  const plan = escapeStrings(data);
  const { color } = options;
  const out: string[] = [];
  const actor = plan.actor ? `, as ${plan.actor}` : '';
  out.push(paint(`capctl plan for ${plan.org.name} (${plan.org.id}) at store revision ${plan.basis.storeRevision}${actor}`, 'bold', color), '');

  if (planFailed(plan)) {
    const errors = plan.diagnostics.filter((d) => d.severity === 'error');
    out.push(paint(`The plan has ${count(errors.length, 'error')}, so it has no actions. Fix them and plan again:`, 'red', color), '');
    out.push(indent(renderDiagnosticsText(errors, { color })));
  } else if (plan.actions.length === 0) {
    out.push(paint(noChangesLine(plan), 'green', color), '');
  } else {
    const kinds = [...new Set(plan.actions.map((a) => a.kind))];
    const legend = [...new Map(kinds.map((k) => [actionStyle[k].symbol, actionStyle[k]])).values()]
      .map((s) => `${paint(s.symbol, s.color, color)} ${s.label}`)
      .join('  ');
    out.push(`Symbols: ${legend}`, '');
    out.push(`capctl would carry out ${count(plan.actions.length, 'action')}, in this order:`, '');
    for (const action of plan.actions) out.push(...renderAction(action, plan, color), '');
    out.push(paint(summaryLine(plan.summary), 'bold', color), '');
    const manual = manualStepsLine(plan.actions);
    if (manual) out.push(paint(manual, 'magenta', color), '');
  }

  const warnings = plan.diagnostics.filter((d) => d.severity === 'warning');
  if (warnings.length > 0) out.push(paint('Warnings:', 'yellow', color), indent(renderDiagnosticsText(warnings, { color })));
  const notes = plan.diagnostics.filter((d) => d.severity === 'info');
  if (notes.length > 0) out.push('Notes:', indent(renderNotes(notes, options)));
  return `${trimEnd(out).join('\n')}\n`;
}

function renderAction(action: Action, plan: Plan, color: boolean): string[] {
  const style = actionStyle[action.kind];
  const app = action.app ? ` (${action.app.id})` : '';
  const lines = [`  ${paint(style.symbol, style.color, color)} ${action.seq}. ${paint(actionTitle(action), 'bold', color)}${app}`];
  const field = (name: string, value: string, valueColor?: Color): void => {
    lines.push(`       ${name.padEnd(9)} ${valueColor ? paint(value, valueColor, color) : value}`);
  };
  field('why', renderReason(action, plan.org.name));
  if (action.source) field('declared', `${action.source.file}:${action.source.line}:${action.source.column}`);
  field('requires', renderPermissionExpr(action.requires));
  if (plan.actor !== undefined && action.allowed !== undefined) {
    if (action.allowed) field('actor', `${plan.actor} holds it`, 'green');
    else field('actor', `${plan.actor} lacks ${(action.missing ?? []).join(', ')}`, 'red');
  }
  if (action.approvalUrl) field('approval', action.approvalUrl);
  if (action.manual) field('manual', manualStepText(action.manual), 'magenta');
  const { effects } = action;
  if (effects.accessBefore !== undefined && effects.accessAfter !== undefined) {
    field('access', effects.accessBefore === effects.accessAfter ? `${effects.accessAfter} (unchanged)` : `${effects.accessBefore} → ${effects.accessAfter}`);
  }
  // An org-wide change (allowlisting) counts the users who gain or lose at least one app.
  const scope = action.app ? '' : 'access to some apps: ';
  if (effects.gained && effects.gained.count > 0) field('gained', scope + userListText(effects.gained, usersShown), 'green');
  if (effects.lost && effects.lost.count > 0) field('lost', scope + userListText(effects.lost, usersShown), 'red');
  field('effect', sessionsEffect(action), action.effects.sessionsEnded > 0 ? 'red' : undefined);
  const removed = removedText(action);
  if (removed) field('removes', removed, 'red');
  if (effects.appsCutOff) {
    const shown = effects.appsCutOff.slice(0, cutOffShown).map((a) => `${a.name} (${count(a.sessionsEnded, 'session')})`);
    const more = effects.appsCutOff.length - shown.length;
    field('cuts off', `${count(effects.appsCutOff.length, 'app')}${shown.length > 0 ? `: ${shown.join(', ')}` : ''}${more > 0 ? ` and ${more} more` : ''}`, 'red');
  }
  const diff = diffValues(action, ...diffNames(action, plan));
  if (diff) lines.push(...diff.map((line) => `         ${paintDiffLine(line, color)}`));
  return lines;
}

function paintDiffLine(line: DiffLine, color: boolean): string {
  const text = diffLineText(line);
  if (line.kind === 'removed') return paint(text, 'red', color);
  if (line.kind === 'added') return paint(text, 'green', color);
  if (line.kind === 'hunk') return paint(text, 'cyan', color);
  return text;
}

/** Notes, at most `notesPerCode` of each code, then how many more there are. */
function renderNotes(notes: readonly Diagnostic[], options: PlanTextOptions): string {
  const limit = options.notesPerCode ?? 10;
  const shown: Diagnostic[] = [];
  const hidden = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const note of notes) {
    const n = (seen.get(note.code) ?? 0) + 1;
    seen.set(note.code, n);
    if (n <= limit) shown.push(note);
    else hidden.set(note.code, (hidden.get(note.code) ?? 0) + 1);
  }
  let text = renderDiagnosticsText(shown, { color: options.color });
  for (const [code, n] of hidden) text += `… and ${count(n, `more ${code} note`)} (--format json lists them all)\n`;
  return text;
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

function trimEnd(lines: string[]): string[] {
  const out = lines.flatMap((l) => l.split('\n'));
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}
