// The order a snapshot lists its apps in, whichever backend read it (the file store, the live
// reader): by name, ignoring case first, then by exact name (by code point), so that the order does
// not depend on the locale of the machine. `usage` shows apps in the snapshot's order; a plan orders
// its actions by SPEC §6 group, then by exact app name (plan/ordering.ts).
import type { ObservedApp } from '../model/index.js';
import { byCodePoint } from '../plan/names.js';

/** Sorts apps by name (case-insensitive, then exact), in place, and returns the array. */
export function sortAppsByName<T extends Pick<ObservedApp, 'name'>>(apps: T[]): T[] {
  const keyed = apps.map((app) => ({ app, folded: app.name.toLowerCase() }));
  keyed.sort((a, b) => byCodePoint(a.folded, b.folded) || byCodePoint(a.app.name, b.app.name));
  for (let i = 0; i < keyed.length; i++) apps[i] = keyed[i]!.app;
  return apps;
}
