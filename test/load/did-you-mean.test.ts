import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../../src/load/did-you-mean.js';

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
});
