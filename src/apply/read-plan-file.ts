// Reads a plan saved with `capctl plan --out FILE` for `capctl apply FILE`.
import { readFile } from 'node:fs/promises';
import { InputError, RefusedError, type Plan } from '../model/index.js';
import type { OrgStore } from '../store/org-store.js';
import { planFormatVersion } from '../plan/create-plan.js';
import { checkAgainstSchema } from '../store/schema-validators.js';
import { assertPlanIntact } from './preflight.js';

const problemsShown = 3;

/**
 * The plan in `file`: JSON, unchanged since it was made (its digest matches its content, else
 * RefusedError, exit 3), of this capctl's format version (a plan saved by an older capctl is refused,
 * exit 3: make it again), and valid (else InputError, exit 1): format version 2, valid against
 * schemas/plan.schema.json, and what the schema cannot say (each action's seq is its place, every
 * action but set-org-settings names an app, a revoke names its revocation). A plan whose digest
 * matches is as `capctl plan` wrote it, or was edited by someone who recomputed the digest: the
 * checks here keep apply from stumbling on such a plan, and the store refuses any value it would
 * not read back (FileOrgStore.carryOut).
 */
export async function readPlanFile(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read the plan file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, [], { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file} is not a plan file (not JSON: ${(error as Error).message}); save one with \`capctl plan --out ${file}\``, [], { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { digest?: unknown }).digest !== 'string') {
    throw new InputError(`${file} is not a plan file (no digest); save one with \`capctl plan --out ${file}\``);
  }
  // An edit shows first as a digest that no longer matches, whatever else it broke.
  assertPlanIntact(value as Plan, file);
  assertPlanFormat(value as Plan, file);
  const problem = planProblem(value as Plan);
  if (problem) throw new InputError(`${file} is not a valid plan (format version ${planFormatVersion}): ${problem}`);
  return value as Plan;
}

/**
 * An intact plan of an older format version was saved by an older capctl: its actions say less
 * than apply relies on (format 1: reasons as words, not data), so it is refused (exit 3) and made again.
 */
function assertPlanFormat(plan: Plan, file: string): void {
  const version: unknown = plan.formatVersion;
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1 && version < planFormatVersion) {
    throw new RefusedError(
      `${file} is a plan of format version ${version}, saved by an older capctl; this capctl applies format version ${planFormatVersion} only: ` +
        `make the plan again with \`capctl plan --out ${file}\` and review it`,
    );
  }
}

/** The first ways a plan is not what apply relies on, or undefined. */
function planProblem(plan: Plan): string | undefined {
  // Before the schema: a plan of another format version fails it everywhere, and this says why.
  if (plan.formatVersion !== planFormatVersion) return `formatVersion is ${JSON.stringify(plan.formatVersion)}, expected ${planFormatVersion}`;
  const problems = checkAgainstSchema('Plan', plan);
  if (problems.length > 0) {
    const shown = problems.slice(0, problemsShown).map((p) => p.message);
    return `${shown.join('; ')}${problems.length > problemsShown ? '; and more' : ''}`;
  }
  for (const [i, action] of plan.actions.entries()) {
    if (action.seq !== i + 1) return `action ${i + 1} has seq ${JSON.stringify(action.seq)}`;
    if (action.kind !== 'set-org-settings' && action.app === undefined) return `action ${i + 1} names no app`;
    if (action.kind === 'revoke' && action.revocation === undefined) return `action ${i + 1} names no revocation`;
  }
  return undefined;
}

/**
 * A saved plan must be for the org asked for (--org, or capctl.yaml's default) and for an org the
 * store holds; else RefusedError (exit 3). Returns the plan's org. (Its org id is checked against
 * the store under the lock, in the preflight.)
 */
export async function assertPlanOrg(plan: Plan, requested: string | undefined, store: Pick<OrgStore, 'listOrgs'>, storeName: string): Promise<string> {
  if (requested !== undefined && requested !== plan.org.name) {
    throw new RefusedError(`the plan is for org ${plan.org.name} (${plan.org.id}), not ${requested}: make a plan for ${requested}`);
  }
  const orgs = await store.listOrgs();
  if (!orgs.includes(plan.org.name)) {
    throw new RefusedError(`the plan is for org ${plan.org.name} (${plan.org.id}), which ${storeName} does not hold (it has: ${orgs.join(', ') || 'no orgs'})`);
  }
  return plan.org.name;
}
