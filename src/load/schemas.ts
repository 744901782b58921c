// The one JSON Schema registry of capctl: every schema of schemas/ (desired documents, capctl.yaml,
// the store's files, a saved plan), compiled by ajv (draft 2020-12) with one set of formats, the
// only module that loads ajv. `date-time` is store/instant.ts's exact RFC 3339 check (a real
// calendar date, a time zone; fast enough for a store's million sessions). Two instances of the same
// registry: `diagnose` collects every error with the failing value and schema (verbose), which
// schema-messages.ts turns into words; `check` stops at the first error, the path every valid
// file takes. Each is made on first use: a process that only commits or locks (a crash test's
// child, an apply resuming) never loads ajv. Both packages are CommonJS, so require() is sync.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { isInstant } from '../store/instant.js';

/** The schemas/ folder of the package (the same from src/ and from dist/). */
export const schemasDir = new URL('../../schemas/', import.meta.url);

/** `diagnose`: every error, with its value (for messages); `check`: valid or not, at the first error. */
export type SchemaMode = 'diagnose' | 'check';

const require = createRequire(import.meta.url);
const registries = new Map<SchemaMode, Ajv2020>();

function registry(mode: SchemaMode): Ajv2020 {
  const made = registries.get(mode);
  if (made) return made;
  const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const addFormats = (require('ajv-formats') as { default: (ajv: Ajv2020) => Ajv2020 }).default;
  // validateSchema: false skips compiling the draft 2020-12 meta-schema on every start (a quarter of
  // a second, before a large org's usage can print its first line); test/load/schema.test.ts checks
  // every schema against the meta-schema instead.
  const diagnose = mode === 'diagnose';
  const ajv = new AjvClass({ allErrors: diagnose, verbose: diagnose, strict: true, strictTypes: false, strictTuples: false, validateSchema: false });
  addFormats(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isInstant });
  for (const file of readdirSync(schemasDir).filter((f) => f.endsWith('.schema.json')).sort()) {
    const schema = JSON.parse(readFileSync(new URL(file, schemasDir), 'utf8')) as SchemaObject;
    ajv.addSchema(diagnose ? schema : withItemsInlined(schema));
  }
  registries.set(mode, ajv);
  return ajv;
}

type SchemaObject = Record<string, unknown>;

/** Keywords whose values are data, not schemas: never rewritten. */
const dataKeywords = new Set(['const', 'enum', 'default', 'examples']);

/**
 * The schema with each list's `items: {"$ref": "#/$defs/X"}` replaced by a copy of X, for the `check`
 * registry: ajv compiles a $ref to a definition that holds refs of its own as a call, and a call
 * per session (an options object and a path string each) costs a million sessions a third of their
 * check. The copy sits in the same document, so the refs inside it mean what they meant; a
 * definition that names itself ($id, $anchor) or holds a list of itself is left as a ref. The
 * `diagnose` registry, whose errors are shown, checks against the schema as written.
 */
function withItemsInlined(schema: SchemaObject): SchemaObject {
  const defs = (schema.$defs ?? {}) as Record<string, SchemaObject>;
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const out: SchemaObject = {};
    for (const [key, value] of Object.entries(node)) out[key] = key === 'items' ? inlined(value) : dataKeywords.has(key) ? value : visit(value);
    return out;
  };
  const inlined = (items: unknown): unknown => {
    const ref = (items as SchemaObject | null)?.$ref;
    const name = typeof ref === 'string' && ref.startsWith('#/$defs/') ? ref.slice('#/$defs/'.length) : undefined;
    const def = name !== undefined && Object.keys(items as SchemaObject).length === 1 && Object.hasOwn(defs, name) ? defs[name] : undefined;
    if (def === undefined || '$id' in def || '$anchor' in def || '$dynamicAnchor' in def || inlining.has(name!)) return visit(items);
    inlining.add(name!);
    try {
      return visit(def);
    } finally {
      inlining.delete(name!);
    }
  };
  // The definitions being copied: a list of itself inside one stays a ref.
  const inlining = new Set<string>();
  return visit(schema) as SchemaObject;
}

const compiled = new Map<string, ValidateFunction>();

/** The compiled validator of a schema file, or one of its $defs (`org-state.schema.json#/$defs/AppFile`), compiled once per process. */
export function compileSchema(ref: string, mode: SchemaMode = 'diagnose'): ValidateFunction {
  const key = `${mode} ${ref}`;
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = registry(mode).getSchema(`https://capctl.dev/schemas/${ref}`);
    if (!validate) throw new Error(`no schema ${ref}`);
    compiled.set(key, validate);
  }
  return validate;
}
