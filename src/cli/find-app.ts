// An app named on the command line: by its name as the org lists it, or by its id.
import { InputError } from '../model/index.js';
import type { ObservedApp, OrgSnapshot } from '../model/index.js';
import { byCodePoint, editDistance } from '../plan/names.js';

/** The app of the snapshot named (or identified) by `nameOrId`; InputError with suggestions when none is. */
export function findApp(snapshot: OrgSnapshot, nameOrId: string): ObservedApp {
  const exact = snapshot.apps.find((a) => a.name === nameOrId) ?? snapshot.apps.find((a) => a.id === nameOrId);
  if (exact) return exact;
  const folded = nameOrId.toLowerCase();
  const sameCase = snapshot.apps.filter((a) => a.name.toLowerCase() === folded);
  if (sameCase.length === 1) return sameCase[0]!;
  const near = closest(nameOrId, snapshot.apps.map((a) => a.name));
  const hint = near.length > 0 ? ` (did you mean ${near.map((n) => `"${n}"`).join(' or ')}?)` : '';
  throw new InputError(`${snapshot.slug} lists no app named "${nameOrId}"${hint}`);
}

/** Up to three names within a small edit distance of `wanted`, nearest first. */
function closest(wanted: string, names: readonly string[]): string[] {
  const w = wanted.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  return names
    .map((name) => {
      const n = name.toLowerCase();
      return { name, distance: n.includes(w) || w.includes(n) ? 0 : editDistance(w, n, limit + 1) };
    })
    .filter((c) => c.distance <= limit)
    .sort((a, b) => a.distance - b.distance || byCodePoint(a.name, b.name))
    .slice(0, 3)
    .map((c) => c.name);
}
