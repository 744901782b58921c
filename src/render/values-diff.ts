// A unified diff of the values an action changes, made with `diff` over YAML-like lines, so a
// reviewer reads a policy change the way they read a change to the declaration.
import { structuredPatch } from 'diff';
import type { Action, Plan, Values } from '../model/index.js';
import { actionKinds } from '../plan/action-kinds.js';

/** One line of a diff: its kind and text (without the leading sign). */
export interface DiffLine {
  kind: 'header' | 'hunk' | 'context' | 'removed' | 'added';
  text: string;
}

/** The diff of an update action's before and after, or undefined when it has none. */
export function diffValues(action: Action, oldName: string, newName: string): DiffLine[] | undefined {
  // The kinds whose registry row asks for a diff: the updates of policies, assignments and org settings.
  const diff = actionKinds[action.kind].diff;
  if (!action.before || !action.after || !diff) return undefined;
  const wrap = diff.wrap;
  const oldText = yamlLines(action.before, wrap).join('\n') + '\n';
  const newText = yamlLines(action.after, wrap).join('\n') + '\n';
  const patch = structuredPatch(oldName, newName, oldText, newText, undefined, undefined, { context: 3 });
  if (patch.hunks.length === 0) return undefined;
  const lines: DiffLine[] = [
    { kind: 'header', text: `--- ${oldName}` },
    { kind: 'header', text: `+++ ${newName}` },
  ];
  for (const hunk of patch.hunks) {
    lines.push({ kind: 'hunk', text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
    for (const line of hunk.lines) {
      if (line.startsWith('\\')) continue;
      const kind = line[0] === '-' ? 'removed' : line[0] === '+' ? 'added' : 'context';
      lines.push({ kind, text: line.slice(1) });
    }
  }
  return lines;
}

/** A diff line with its sign, as in a patch. */
export function diffLineText(line: DiffLine): string {
  if (line.kind === 'removed') return `-${line.text}`;
  if (line.kind === 'added') return `+${line.text}`;
  if (line.kind === 'context') return ` ${line.text}`;
  return line.text;
}

/** Values as YAML-like lines: `key: value`, lists one item a line, maps indented. */
export function yamlLines(values: Values, wrap?: string): string[] {
  const indent = wrap ? '  ' : '';
  const lines: string[] = wrap ? [`${wrap}:`] : [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${indent}${key}: []`);
      else lines.push(`${indent}${key}:`, ...value.map((item) => `${indent}  - ${item}`));
    } else if (typeof value === 'object') {
      lines.push(`${indent}${key}:`);
      for (const [inner, flag] of Object.entries(value)) if (flag !== undefined) lines.push(`${indent}  ${inner}: ${flag}`);
    } else {
      lines.push(`${indent}${key}: ${value}`);
    }
  }
  return lines;
}

/** The two sides of an action's diff: the org, and the declaration. */
export function diffNames(action: Action, plan: Plan): [string, string] {
  const subject = action.app?.name ?? 'OrgSettings';
  const declared = action.source ? action.source.file : 'the desired state';
  return [`${subject} in ${plan.org.name}`, `${subject} in ${declared}`];
}
