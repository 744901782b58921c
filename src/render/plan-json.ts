// The plan as JSON (schemas/plan.schema.json, formatVersion 2): the data every other view renders.
import type { Plan } from '../model/index.js';

/** The plan, two-space indented, with a trailing newline. */
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
