// Manual steps on a live org (SPEC §13): apply stops before a manual step (exit 4); a person does
// it in Setup; the next apply reads the org and sees it done. What the step asked for, once done,
// is what the plan expected: it does not make the plan stale. Pure: these say whether the org shows
// a step done and whether it moved in nothing else (sessions apart, which come and go).
import type { Action, ObservedApp, OrgSnapshot } from '../model/index.js';
import { stateDigestOf } from '../plan/digest.js';
import { sortAppsByName } from '../store/app-order.js';

type State = Pick<OrgSnapshot, 'org' | 'users' | 'apps'>;

/**
 * Whether the org shows a manual step done: its app, found by name (an install gives an app known
 * only by name its real id), as the action leaves it.
 */
export function manualStepDone(action: Action, state: Pick<OrgSnapshot, 'apps'>): boolean {
  if (!action.manual || !action.app) return false;
  const named = state.apps.filter((a) => a.name === action.app!.name);
  switch (action.kind) {
    case 'install':
      return named.some((a) => a.installed);
    case 'uninstall':
      return named.every((a) => !a.installed);
    case 'block':
      return named.length > 0 && named.every((a) => a.blocked);
    default:
      return false;
  }
}

/** `state` with the apps named in `names` as `from` has them (absent there: absent). */
export function withAppsOf(state: State, from: Pick<OrgSnapshot, 'apps'>, names: ReadonlySet<string>): State {
  const apps = [...state.apps.filter((a) => !names.has(a.name)), ...from.apps.filter((a) => names.has(a.name))];
  sortAppsByName(apps);
  return { org: state.org, users: state.users, apps };
}

/** Whether two states differ in nothing but sessions and the apps named. */
export function sameApartFrom(a: State, b: State, names: ReadonlySet<string>): boolean {
  const without = (s: State): State => ({ org: s.org, users: s.users, apps: s.apps.filter((app) => !names.has(app.name)) });
  return stateDigestOf(without(a)) === stateDigestOf(without(b));
}

/** The sessions a manual step ended: those of its app before that the org no longer has, and their distinct users. */
export function sessionsEndedByHand(action: Action, before: Pick<OrgSnapshot, 'apps'>, after: Pick<OrgSnapshot, 'apps'>): { sessionsEnded: number; usersAffected: number } {
  const sessions = (s: Pick<OrgSnapshot, 'apps'>): ObservedApp['sessions'] => s.apps.filter((a) => a.name === action.app?.name).flatMap((a) => a.sessions);
  const key = (x: ObservedApp['sessions'][number]): string => `${x.user}\u0000${x.created}`;
  const left = new Set(sessions(after).map(key));
  const ended = sessions(before).filter((x) => !left.has(key(x)));
  return { sessionsEnded: ended.length, usersAffected: new Set(ended.map((x) => x.user)).size };
}
