// The shared registry (src/load/schemas.ts) adds the schemas without checking them against the
// meta-schema (to start fast): this test does that check, for every schema of schemas/.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

const files = readdirSync(path.join(repoRoot, 'schemas')).filter((f) => f.endsWith('.schema.json'));

describe('schemas/', () => {
  it.each(files)('%s is a valid draft 2020-12 schema', async (file) => {
    const schema = JSON.parse(await readFile(path.join(repoRoot, 'schemas', file), 'utf8')) as object;
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
  });
});
