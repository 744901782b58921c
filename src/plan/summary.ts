// The plan's summary: how many actions of each kind, and how many sessions they end in all.
import type { Action, Summary } from '../model/index.js';

/** Counts per action kind and the sessions all actions end. */
export function summarize(actions: readonly Action[]): Summary {
  const summary: Summary = {
    'set-org-settings': 0,
    install: 0,
    uninstall: 0,
    'set-policies': 0,
    'set-assignments': 0,
    block: 0,
    unblock: 0,
    revoke: 0,
    sessionsEnded: 0,
  };
  for (const action of actions) {
    summary[action.kind]++;
    summary.sessionsEnded += action.effects.sessionsEnded;
  }
  return summary;
}
