// The words and symbols every plan view shares (text and markdown), so that they cannot disagree.
import type { Action, ActionKind, ManualStep, Plan, Summary, UserList } from '../model/index.js';
import { actionKinds, allActionKinds, summaryVerbs } from '../plan/action-kinds.js';
import type { Color } from './color.js';
import { count } from '../plan/count.js';

/** The symbol and colour of each action kind, as in a Terraform plan (the registry's rows). */
export const actionStyle: Record<ActionKind, { symbol: string; color: Color; label: string }> = actionKinds;

export { count } from '../plan/count.js';

/** `Plan: 1 to install, 2 to update, 1 to block, 37 sessions to revoke.` */
export function summaryLine(summary: Summary): string {
  const parts = summaryVerbs.map((verb) => {
    const n = allActionKinds.filter((kind) => actionKinds[kind].verb === verb).reduce((sum, kind) => sum + (summary[kind] ?? 0), 0);
    return n > 0 ? `${n} to ${verb}` : '';
  });
  parts.push(summary.sessionsEnded > 0 ? `${count(summary.sessionsEnded, 'session')} to revoke` : '');
  const shown = parts.filter(Boolean);
  return `Plan: ${shown.length > 0 ? shown.join(', ') : 'nothing to do'}.`;
}

/** `No changes. acme-prod matches the desired state.` */
export function noChangesLine(plan: Plan): string {
  return `No changes. ${plan.org.name} matches the desired state.`;
}

/** Whether the plan has any error diagnostic (then it has no actions). */
export function planFailed(plan: Plan): boolean {
  return plan.diagnostics.some((d) => d.severity === 'error');
}

export { actionTitle } from '../plan/action-kinds.js';

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

/** The page a manual step names, in words. */
export const manualPageName: Record<ManualStep['page'], string> = {
  'oauth-usage': "Setup's Connected Apps OAuth Usage page",
  'install-approval': "the app's install approval page",
};

/** `by hand (no API does it), on Setup's Connected Apps OAuth Usage page: URL` */
export function manualStepText(step: ManualStep): string {
  return `by hand (no API does it), on ${manualPageName[step.page]}: ${step.url}`;
}

/** `1 action is a manual step: apply stops before it (exit 4) until it is done by hand.`, or undefined. */
export function manualStepsLine(actions: readonly Action[]): string | undefined {
  const n = actions.filter((a) => a.manual).length;
  if (n === 0) return undefined;
  return `${n === 1 ? '1 action is a manual step' : `${n} actions are manual steps`}: apply carries out what comes before, then stops (exit 4) until it is done by hand.`;
}
