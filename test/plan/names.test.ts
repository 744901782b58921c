import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// The one "did you mean" of capctl: the loader (fields, enum values, kinds), the planner (apps, users,
// profiles) and the CLI (an app on the command line) all ask src/plan/names.ts.
import { closestName, didYouMean, editDistance } from '../../src/plan/names.js';

describe('closestName', () => {
  const fields = ['permittedUsers', 'profiles', 'permissionSets', 'ipRelaxation', 'refreshTokenPolicy'];

  it('suggests the field one slip away', () => {
    expect(closestName('permitedUsers', fields)).toBe('permittedUsers');
    expect(closestName('profile', fields)).toBe('profiles');
    expect(closestName('IPRelaxation', fields)).toBe('ipRelaxation');
    expect(closestName('refreshTokenPolciy', fields)).toBe('refreshTokenPolicy');
  });

  it('suggests nothing when no field is close', () => {
    expect(closestName('colour', fields)).toBeUndefined();
    expect(closestName('x', fields)).toBeUndefined();
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests an app name with two letters swapped, from the plan side', () => {
    const apps = ['Slack', 'Zoom', 'Dropbox', 'Workbench'];
    expect(closestName('Slcak', apps)).toBe('Slack');
    expect(didYouMean('Slcak', apps)).toBe(' (did you mean "Slack"?)');
    expect(closestName('Teams', apps)).toBeUndefined();
  });

  it('gives up early at the cap, and is exact below it', () => {
    expect(editDistance('kitten', 'sitting', 2)).toBeGreaterThanOrEqual(2);
    expect(editDistance('kitten', 'sitting', 4)).toBe(3);
    expect(editDistance('abcdef', 'badcfe', 3)).toBeGreaterThanOrEqual(3);
    expect(editDistance('abcdef', 'badcfe', 4)).toBe(3);
    const words = ['permittedUsers', 'permitedUsers', 'ab', 'ba', 'abc', 'cab', 'Slack', 'slcak', 'kitten', 'sitting', ''];
    for (const a of words) {
      for (const b of words) {
        const exact = editDistance(a, b);
        for (let cap = 0; cap <= 6; cap++) {
          const capped = editDistance(a, b, cap);
          if (exact < cap) expect(capped).toBe(exact);
          else expect(capped).toBeGreaterThanOrEqual(cap);
        }
      }
    }
  });

  it('answers the same whatever the order of the candidates', () => {
    expect(closestName('Zom', ['Zoom', 'Zok'])).toBe('Zok');
    expect(closestName('Zom', ['Zok', 'Zoom'])).toBe('Zok');
  });

  // The rule it must keep, written out the plain way: every candidate within the limit's lengths
  // measured, the smallest distance wins, a tie goes to the smaller name.
  const byScan = (name: string, candidates: readonly string[]): string | undefined => {
    const wanted = name.toLowerCase();
    const limit = Math.max(1, Math.floor(wanted.length / 3));
    let best: [number, string] | undefined;
    for (const c of candidates) {
      if (Math.abs(c.toLowerCase().length - wanted.length) > limit) continue;
      const d = editDistance(wanted, c.toLowerCase());
      if (d <= limit && (best === undefined || d < best[0] || (d === best[0] && c < best[1]))) best = [d, c];
    }
    return best?.[1];
  };

  it('gives the plain scan\'s answer, from a list or from a map\'s keys (prepared once per map)', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', 'B', ' '), maxLength: 9 });
    fc.assert(
      fc.property(word, fc.array(word, { maxLength: 30 }), (name, candidates) => {
        const expected = byScan(name, candidates);
        expect(closestName(name, candidates)).toBe(expected);
        const map = new Map(candidates.map((c) => [c, true]));
        expect(closestName(name, map)).toBe(expected);
        // Asked again of the same map: the same answer.
        expect(closestName(name, map)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('sees a name added to a map it was asked about before', () => {
    const apps = new Map([['Slack', 1]]);
    expect(closestName('Zom', apps)).toBeUndefined();
    apps.set('Zoom', 2);
    expect(closestName('Zom', apps)).toBe('Zoom');
  });
});
