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
});
