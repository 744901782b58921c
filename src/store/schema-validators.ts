// The JSON Schema validators of the store's files (schemas/org-state.schema.json) and of a saved plan
// (schemas/plan.schema.json), compiled once per process.
// Two of each: a fast one that stops at the first error (the path every good file takes), and,
// compiled only when a file fails, one that collects every error for the message.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { isInstant } from './instant.js';

/** The definitions of org-state.schema.json that a store file or line is checked against. */
export type StoreSchemaDef = 'OrgFile' | 'UsersFile' | 'AppFile' | 'LedgerLine' | 'ObservedLine';

/** What a parsed value can be checked against: a store definition, or a whole plan (plan.schema.json). */
export type SchemaDef = StoreSchemaDef | 'Plan';

/** One schema violation: where in the value (a JSON pointer) and what is wrong. */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

const schemaFiles = ['desired-state.schema.json', 'org-state.schema.json', 'plan.schema.json'];
const orgStateId = 'https://capctl.dev/schemas/org-state.schema.json';
const planId = 'https://capctl.dev/schemas/plan.schema.json';
const maxProblemsPerValue = 20;

// ajv is loaded on first use, not on import: a process that only commits or locks (a crash test's
// child, an apply resuming) should not pay for it. Both packages are CommonJS, so require() is sync.
const require = createRequire(import.meta.url);

function makeAjv(allErrors: boolean): Ajv2020 {
  const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const formats = require('ajv-formats') as { default: (ajv: Ajv2020) => Ajv2020 };
  const addFormats = formats.default;
  // validateSchema: false skips compiling the draft 2020-12 meta-schema on every start (an eighth of
  // a second, before a large org's usage can print its first line); test/load/schema.test.ts checks
  // every schema against the meta-schema instead.
  const ajv = new AjvClass({ allErrors, strict: true, strictTypes: false, strictTuples: false, validateSchema: false });
  addFormats(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isInstant });
  for (const file of schemaFiles) {
    const schema = JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')) as SchemaObject;
    ajv.addSchema(allErrors ? schema : withItemsInlined(schema));
  }
  return ajv;
}

type SchemaObject = Record<string, unknown>;

/** Keywords whose values are data, not schemas: never rewritten. */
const dataKeywords = new Set(['const', 'enum', 'default', 'examples']);

/**
 * The schema with each list's `items: {"$ref": "#/$defs/X"}` replaced by a copy of X, for the fast
 * validator: ajv compiles a $ref to a definition that holds refs of its own as a call, and a call
 * per session (an options object and a path string each) costs a million sessions a third of their
 * check. The copy sits in the same document, so the refs inside it mean what they meant; a
 * definition that names itself ($id, $anchor) or holds a list of itself is left as a ref. The
 * thorough validator, whose errors are shown, checks against the schema as written.
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

const compiled = { fast: new Map<SchemaDef, ValidateFunction>(), thorough: new Map<SchemaDef, ValidateFunction>() };
let fastAjv: Ajv2020 | undefined;
let thoroughAjv: Ajv2020 | undefined;

function validatorFor(def: SchemaDef, thorough: boolean): ValidateFunction {
  const cache = thorough ? compiled.thorough : compiled.fast;
  let validate = cache.get(def);
  if (validate === undefined) {
    const ajv = thorough ? (thoroughAjv ??= makeAjv(true)) : (fastAjv ??= makeAjv(false));
    const id = def === 'Plan' ? planId : `${orgStateId}#/$defs/${def}`;
    validate = ajv.getSchema(id);
    if (validate === undefined) throw new Error(`schema ${id} is missing`);
    cache.set(def, validate);
  }
  return validate;
}

/** Checks a parsed value against a store definition or the plan schema: no problems means it is valid. */
export function checkAgainstSchema(def: SchemaDef, value: unknown): SchemaProblem[] {
  if (validatorFor(def, false)(value)) return [];
  const thorough = validatorFor(def, true);
  thorough(value);
  const problems = simplify(thorough.errors ?? []).map(describe);
  return problems.length > maxProblemsPerValue
    ? [...problems.slice(0, maxProblemsPerValue), { pointer: '', message: `and ${problems.length - maxProblemsPerValue} more problems` }]
    : problems;
}

// A failed oneOf/anyOf reports every branch; keep the most specific errors a person can act on.
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const seen = new Set<string>();
  return (specific.length > 0 ? specific : errors).filter((e) => {
    const key = `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(error: ErrorObject): SchemaProblem {
  const where = error.instancePath === '' ? 'the file' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        pointer: `${error.instancePath}/${String(params.additionalProperty).replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: `${where}: unknown field "${String(params.additionalProperty)}"`,
      };
    case 'required':
      return { pointer: error.instancePath, message: `${where}: missing required field "${String(params.missingProperty)}"` };
    case 'enum':
      return {
        pointer: error.instancePath,
        message: `${where}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'format':
      return { pointer: error.instancePath, message: `${where}: must be an RFC 3339 date-time such as 2026-11-20T00:00:00Z` };
    default:
      return { pointer: error.instancePath, message: `${where}: ${error.message ?? error.keyword}` };
  }
}
