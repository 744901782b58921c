// SPEC §6: the order of a plan's actions. Allowlisting off comes first and allowlisting on last,
// so that apps being allowlisted are ready before everything else is cut off; revocations come
// before blocks and uninstalls, which would cover them. Within a group, actions go by app name.
import type { Action } from '../model/index.js';
import { kindGroup } from './action-kinds.js';
import { byCodePoint } from './names.js';

/** The groups of SPEC §6, in plan order. */
export const actionGroups = [
  'allowlisting-off',
  'org-settings',
  'install',
  'policies',
  'unblock',
  'revoke',
  'block',
  'uninstall',
  'allowlisting-on',
] as const;

/** One group of SPEC §6. */
export type ActionGroup = (typeof actionGroups)[number];

/** The group an action belongs to (its kind's row in action-kinds.ts says). */
export function groupOf(action: Pick<Action, 'kind' | 'after'>): ActionGroup {
  return kindGroup(action);
}

/** The position of an action's group in plan order. */
export function groupRank(action: Pick<Action, 'kind' | 'after'>): number {
  return actionGroups.indexOf(groupOf(action));
}

/** What orders actions: group, then app name, then a step within the app, then the revocation id. */
export interface OrderKey {
  rank: number;
  app: string;
  step: number;
  revocation: string;
}

/** Compares two order keys. */
export function compareOrderKeys(a: OrderKey, b: OrderKey): number {
  return a.rank - b.rank || byCodePoint(a.app, b.app) || a.step - b.step || byCodePoint(a.revocation, b.revocation);
}

/** Whether actions are in SPEC §6 order: groups in order, app names in order within a group. */
export function isInPlanOrder(actions: readonly Pick<Action, 'kind' | 'after' | 'app'>[]): boolean {
  for (let i = 1; i < actions.length; i++) {
    const a = actions[i - 1]!;
    const b = actions[i]!;
    const byGroup = groupRank(a) - groupRank(b);
    if (byGroup > 0) return false;
    if (byGroup === 0 && byCodePoint(a.app?.name ?? '', b.app?.name ?? '') > 0) return false;
  }
  return true;
}
