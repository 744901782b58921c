// The plan's summary: how many actions of each kind, and how many sessions they end in all.
import type { Action, Summary } from '../model/index.js';
import { allActionKinds } from './action-kinds.js';

/** Counts per action kind and the sessions all actions end. */
export function summarize(actions: readonly Action[]): Summary {
  const summary = Object.fromEntries([...allActionKinds.map((kind) => [kind, 0]), ['sessionsEnded', 0]]) as Summary;
  for (const action of actions) {
    summary[action.kind]++;
    summary.sessionsEnded += action.effects.sessionsEnded;
  }
  return summary;
}
