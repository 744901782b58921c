// What an applied action did, in the past tense (`blocked Dropbox: ended 25 sessions of 18 users`).
// Shared by the apply output, the apply commit's body and `history`, so that they cannot disagree.
import type { Action, ActionResult, Values } from '../model/index.js';
import { actionKinds } from '../plan/action-kinds.js';
import { count } from './plan-words.js';

/** One value of an action's before/after, as a person reads it. */
export function renderValue(value: Values[string]): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** Nested objects of before/after (oauthFlows) flattened to dotted keys, so each changed member is named. */
function flatten(values: Values): Record<string, Values[string]> {
  const out: Record<string, Values[string]> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [member, v] of Object.entries(value)) out[`${key}.${member}`] = v;
    } else out[key] = value;
  }
  return out;
}

/** `permittedUsers all-users → admin-approved; profiles [] → [Sales User]` for the keys that change. */
export function renderValueChanges(action: Pick<Action, 'before' | 'after'>): string {
  const after = flatten(action.after ?? {});
  const before = flatten(action.before ?? {});
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((key) => renderValue(before[key]) !== renderValue(after[key]))
    .map((key) => `${key} ${renderValue(before[key])} → ${renderValue(after[key])}`)
    .join('; ');
}

/** `12 sessions of 8 users` */
export function renderSessionCount(sessions: number, users: number): string {
  return `${count(sessions, 'session')} of ${count(users, 'user')}`;
}

function appName(action: Action): string {
  return action.app?.name ?? '(org)';
}

/**
 * One line in the past tense for an applied action and its result. A `skipped` result says so:
 * the action had nothing left to do (a revocation whose sessions were already gone).
 */
export function renderAppliedAction(action: Action, result: Pick<ActionResult, 'status' | 'sessionsEnded' | 'usersAffected'>): string {
  const ended = result.sessionsEnded > 0 ? `: ended ${renderSessionCount(result.sessionsEnded, result.usersAffected)}` : '';
  const changes = renderValueChanges(action);
  if (result.status === 'skipped') return `skipped ${action.kind} ${appName(action)}: nothing left to do`;
  return actionKinds[action.kind].applied({
    app: appName(action),
    changes: changes ? `: ${changes}` : '',
    ended,
    sessions: renderSessionCount(result.sessionsEnded, result.usersAffected),
    revocation: action.revocation ? ` (${action.revocation.id})` : '',
  });
}
