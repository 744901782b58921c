// Comparing and suggesting names: the same order on every machine, and "did you mean" hints.

/** Orders strings by UTF-16 code units: unlike localeCompare, the same on every machine. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...names].sort(byCodePoint);
}

/**
 * The candidate closest to `name` (case-insensitive edit distance, a swap of neighbours counting as
 * one edit), when it is close enough to be a typo; the same answer whatever the candidates' order.
 * Candidates given as a map's keys (a plan's apps or users) are prepared once per map.
 */
export function closestName(name: string, candidates: Iterable<string> | ReadonlyMap<string, unknown>): string | undefined {
  return namesOf(candidates).closest(name);
}

/** ` (did you mean "X"?)` or nothing. */
export function didYouMean(name: string, candidates: Iterable<string> | ReadonlyMap<string, unknown>): string {
  const hint = closestName(name, candidates);
  return hint === undefined ? '' : ` (did you mean "${hint}"?)`;
}

/**
 * Names prepared for closestName: each lowercased once and filed by length, so that a question
 * looks only at the lengths within its limit. A plan that names 2,000 apps an org of 10,000 does
 * not list asks 2,000 questions of the same names.
 */
class NameIndex {
  private readonly byLength = new Map<number, { name: string; lower: string }[]>();

  constructor(
    names: Iterable<string>,
    readonly size: number,
  ) {
    for (const name of names) {
      const lower = name.toLowerCase();
      const list = this.byLength.get(lower.length);
      if (list) list.push({ name, lower });
      else this.byLength.set(lower.length, [{ name, lower }]);
    }
  }

  closest(name: string): string | undefined {
    const wanted = name.toLowerCase();
    const limit = Math.max(1, Math.floor(wanted.length / 3));
    let best: string | undefined;
    let bestDistance = limit + 1;
    for (let length = Math.max(0, wanted.length - limit); length <= wanted.length + limit; length++) {
      for (const { name: candidate, lower } of this.byLength.get(length) ?? []) {
        const distance = editDistance(wanted, lower, bestDistance + 1);
        if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
          best = candidate;
          bestDistance = distance;
        }
      }
    }
    return bestDistance <= limit ? best : undefined;
  }
}

/** The prepared names of each map asked about (its keys), made again if the map's size changed. */
const preparedKeys = new WeakMap<ReadonlyMap<string, unknown>, NameIndex>();

function namesOf(candidates: Iterable<string> | ReadonlyMap<string, unknown>): NameIndex {
  if (!(candidates instanceof Map)) {
    const names = [...(candidates as Iterable<string>)];
    return new NameIndex(names, names.length);
  }
  const map = candidates as ReadonlyMap<string, unknown>;
  let index = preparedKeys.get(map);
  if (index === undefined || index.size !== map.size) preparedKeys.set(map, (index = new NameIndex(map.keys(), map.size)));
  return index;
}

/**
 * Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours,
 * each one edit. Exact below `cap`; `cap` means "at least cap" (it gives up early).
 */
export function editDistance(a: string, b: string, cap = Infinity): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let previousMin = 0;
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, beforePrevious[j - 2]! + 1);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    // Every later row is at least min(this row, the row before + 1): a swap reaches back two rows.
    if (rowMin >= cap && previousMin >= cap - 1) return cap;
    beforePrevious = previous;
    previous = current;
    previousMin = rowMin;
  }
  return previous[b.length]!;
}
