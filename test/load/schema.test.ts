// The loader compiles the desired-state schema without checking it against the meta-schema (to
// start fast): this test does that check.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

it('schemas/desired-state.schema.json is a valid draft 2020-12 schema', async () => {
  const schema = JSON.parse(await readFile(path.join(repoRoot, 'schemas/desired-state.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ strict: false });
  expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
});
