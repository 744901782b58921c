// The store's files (schemas/org-state.schema.json) and a saved plan (schemas/plan.schema.json)
// checked against their schemas: through the one registry (load/schemas.ts) at the first error,
// the path every good file takes, and only when a file fails, once more for every error, put into
// words by the one translator (load/schema-messages.ts).
import { compileSchema } from '../load/schemas.js';
import { describeSchemaProblems } from '../load/schema-messages.js';

/** The definitions of org-state.schema.json that a store file or line is checked against. */
export type StoreSchemaDef = 'OrgFile' | 'UsersFile' | 'AppFile' | 'LedgerLine' | 'ObservedLine';

/** What a parsed value can be checked against: a store definition, or a whole plan (plan.schema.json). */
export type SchemaDef = StoreSchemaDef | 'Plan';

/** One schema violation: where in the value (a JSON pointer) and what is wrong. */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

const maxProblemsPerValue = 20;

/** What the messages call a value of each definition (`missing required field "id" (an app file needs …)`). */
const kindOf: Record<SchemaDef, string> = {
  OrgFile: 'org file',
  UsersFile: 'users file',
  AppFile: 'app file',
  LedgerLine: 'ledger line',
  ObservedLine: 'observed ledger line',
  Plan: 'plan',
};

function refOf(def: SchemaDef): string {
  return def === 'Plan' ? 'plan.schema.json' : `org-state.schema.json#/$defs/${def}`;
}

/** Checks a parsed value against a store definition or the plan schema: no problems means it is valid. */
export function checkAgainstSchema(def: SchemaDef, value: unknown): SchemaProblem[] {
  if (compileSchema(refOf(def), 'check')(value)) return [];
  const thorough = compileSchema(refOf(def), 'diagnose');
  thorough(value);
  const problems = describeSchemaProblems(thorough.errors ?? [], kindOf[def]).map((p) => ({ pointer: p.pointer, message: p.message }));
  return problems.length > maxProblemsPerValue
    ? [...problems.slice(0, maxProblemsPerValue), { pointer: '', message: `and ${problems.length - maxProblemsPerValue} more problems` }]
    : problems;
}
