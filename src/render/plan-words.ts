// The words and symbols every plan view shares (text and markdown), so that they cannot disagree.
import type { Action, ActionKind, Plan, Summary, UserList } from '../model/index.js';
import type { Color } from './color.js';

/** The symbol and colour of each action kind, as in a Terraform plan. */
export const actionStyle: Record<ActionKind, { symbol: string; color: Color; label: string }> = {
  'set-org-settings': { symbol: '~', color: 'yellow', label: 'update' },
  install: { symbol: '+', color: 'green', label: 'install' },
  'set-policies': { symbol: '~', color: 'yellow', label: 'update' },
  'set-assignments': { symbol: '~', color: 'yellow', label: 'update' },
  unblock: { symbol: 'o', color: 'green', label: 'unblock' },
  revoke: { symbol: '!', color: 'magenta', label: 'revoke sessions' },
  block: { symbol: 'x', color: 'red', label: 'block' },
  uninstall: { symbol: '-', color: 'red', label: 'uninstall' },
};

/** `1 session`, `2 sessions`. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** `Plan: 1 to install, 2 to update, 1 to block, 37 sessions to revoke.` */
export function summaryLine(summary: Summary): string {
  const update = summary['set-org-settings'] + summary['set-policies'] + summary['set-assignments'];
  const parts = [
    summary.install > 0 ? `${summary.install} to install` : '',
    update > 0 ? `${update} to update` : '',
    summary.unblock > 0 ? `${summary.unblock} to unblock` : '',
    summary.block > 0 ? `${summary.block} to block` : '',
    summary.uninstall > 0 ? `${summary.uninstall} to uninstall` : '',
    summary.sessionsEnded > 0 ? `${count(summary.sessionsEnded, 'session')} to revoke` : '',
  ].filter(Boolean);
  return `Plan: ${parts.length > 0 ? parts.join(', ') : 'nothing to do'}.`;
}

/** `No changes. acme-prod matches the desired state.` */
export function noChangesLine(plan: Plan): string {
  return `No changes. ${plan.org.name} matches the desired state.`;
}

/** Whether the plan has any error diagnostic (then it has no actions). */
export function planFailed(plan: Plan): boolean {
  return plan.diagnostics.some((d) => d.severity === 'error');
}

/** `install Slack`, `revoke INC-2041 on Slack`, `set-org-settings`. */
export function actionTitle(action: Action): string {
  if (action.kind === 'revoke') return `revoke ${action.revocation?.id ?? ''} on ${action.app?.name ?? ''}`.replace('  ', ' ');
  return action.app ? `${action.kind} ${action.app.name}` : action.kind;
}

/** `ends 25 sessions of 18 users`, or `no sessions end`. */
export function sessionsEffect(action: Action): string {
  const { sessionsEnded, usersAffected } = action.effects;
  return sessionsEnded === 0 ? 'no sessions end' : `ends ${count(sessionsEnded, 'session')} of ${count(usersAffected, 'user')}`;
}

/** `3 users: a, b, c` or `1,204 users: a, b, … and 1,199 more`, listing at most `limit` names. */
export function userListText(list: UserList, limit: number): string {
  const shown = list.users.slice(0, limit);
  const more = list.count - shown.length;
  return `${count(list.count, 'user')}${shown.length > 0 ? `: ${shown.join(', ')}` : ''}${more > 0 ? ` and ${more} more` : ''}`;
}

/** What an uninstall removes: `policies, 2 profile assignments, 1 permission-set assignment, 14 sessions`. */
export function removedText(action: Action): string | undefined {
  const removed = action.effects.removed;
  if (!removed) return undefined;
  return [
    removed.policies ? 'its policies' : '',
    count(removed.profiles, 'profile assignment'),
    count(removed.permissionSets, 'permission-set assignment'),
    count(removed.sessions, 'session'),
  ]
    .filter(Boolean)
    .join(', ');
}
