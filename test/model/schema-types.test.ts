// The TypeScript types are generated from schemas/: this fails when the two drift apart.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { generateSchemaTypes, outFile } from '../../scripts/gen-types.mjs';

describe('schema types', () => {
  it('src/model/generated/schema-types.ts is what the schemas generate (run npm run gen:types)', async () => {
    const expected = (await generateSchemaTypes()) as string;
    const committed = await readFile(outFile as string, 'utf8');
    expect(committed).toBe(expected);
  });
});
