// Validates plans against schemas/plan.schema.json (ajv): every plan a test makes is checked.
import { expect } from 'vitest';
import { compileSchema } from '../../src/load/schemas.js';
import type { Plan } from '../../src/model/index.js';

/** Fails the test when the value is not a plan as schemas/plan.schema.json describes it. */
export function expectValidPlan(plan: Plan | unknown): void {
  const validate = compileSchema('plan.schema.json');
  const ok = validate(plan);
  expect(ok ? [] : validate.errors).toEqual([]);
}
