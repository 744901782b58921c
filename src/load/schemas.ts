// The JSON Schemas of schemas/, loaded once and compiled with ajv (draft 2020-12 + formats).
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** The schemas/ folder of the package (the same from src/ and from dist/). */
export const schemasDir = new URL('../../schemas/', import.meta.url);

let ajv: Ajv2020 | undefined;

/** The shared ajv instance with every schema of schemas/ added. */
export function schemaRegistry(): Ajv2020 {
  if (ajv) return ajv;
  // verbose: errors carry the failing value and schema, which src/load/schema-messages.ts turns into
  // messages. validateSchema: false skips compiling the draft 2020-12 meta-schema on every start (a
  // quarter of a second); test/load/schema.test.ts checks every schema against it instead.
  const instance = new Ajv2020({ allErrors: true, strict: false, verbose: true, validateSchema: false });
  (addFormatsModule as unknown as (a: Ajv2020) => void)(instance);
  for (const file of readdirSync(schemasDir).filter((f) => f.endsWith('.schema.json')).sort()) {
    instance.addSchema(JSON.parse(readFileSync(new URL(file, schemasDir), 'utf8')) as object);
  }
  ajv = instance;
  return instance;
}

/** A compiled validator for a schema file, or one of its $defs (`org-state.schema.json#/$defs/AppFile`). */
export function compileSchema(ref: string): ValidateFunction {
  const id = `https://capctl.dev/schemas/${ref}`;
  const validate = schemaRegistry().getSchema(id);
  if (!validate) throw new Error(`no schema ${ref}`);
  return validate;
}
