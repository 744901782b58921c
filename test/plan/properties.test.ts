// Properties of the planner over generated orgs and declarations (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DesiredOrg, OrgSnapshot, Plan, RuleLevels } from '../../src/model/index.js';
import { isInPlanOrder } from '../../src/plan/ordering.js';
import { requiredFor } from '../../src/plan/permissions.js';
import { transitionOf } from '../../src/plan/action-kinds.js';
import type { OrgData } from '../../src/plan/transition.js';
import { declarationOf, orgAndCoherentDeclarationArb, orgAndDeclarationArb, orgArb } from './arbitraries.js';
import { riskRules } from '../../src/plan/risk/rules.js';
import { plan } from './builders.js';
import { expectValidPlan } from './plan-schema.js';

const runs = { numRuns: 150 };
/** Wild declarations (mostly errors) and coherent ones (mostly actions). */
const anyInput = fc.oneof(orgAndDeclarationArb, orgAndCoherentDeclarationArb);

function hasErrors(p: Plan): boolean {
  return p.diagnostics.some((d) => d.severity === 'error');
}

/** Carries out every action of a plan, checking each result against the effects the plan predicted. */
function applyPlan(observed: OrgSnapshot, p: Plan): OrgSnapshot {
  let data: OrgData = { org: observed.org, users: observed.users, apps: observed.apps };
  for (const action of p.actions) {
    const { next, result } = transitionOf(data, action);
    expect(result.status).not.toBe('skipped');
    expect({ sessionsEnded: result.sessionsEnded, usersAffected: result.usersAffected }).toEqual({
      sessionsEnded: action.effects.sessionsEnded,
      usersAffected: action.effects.usersAffected,
    });
    data = next;
  }
  return { ...observed, ...data };
}

const allOff: RuleLevels = Object.fromEntries(riskRules.map((rule) => [rule.id, 'off']));

/**
 * The declaration with every risk rule off. Risk rules judge the org, not the planner's
 * faithfulness: a random org with a risky app would make a plan with a deny finding and no actions,
 * and the properties below would then check nothing (risk-rules.test.ts checks the rules).
 */
function riskRulesOff(desired: DesiredOrg | undefined): DesiredOrg {
  const base = desired ?? { slug: 'acme-prod', apps: [], revocations: [] };
  const settings = base.settings ?? { doc: { apiVersion: 'capctl/v1', kind: 'OrgSettings', org: base.slug }, source: { file: 'org.yaml', line: 1, column: 1 }, positions: {} };
  return { ...base, settings: { ...settings, doc: { ...settings.doc, rules: allOff } } };
}

describe('planner properties', () => {
  it('a declaration made from the org itself plans no actions and no errors', () => {
    fc.assert(
      fc.property(orgArb, (org) => {
        const p = plan(riskRulesOff(declarationOf(org)), org);
        expect(p.actions).toEqual([]);
        expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      }),
      runs,
    );
  });

  it('never throws on schema-valid input, and every plan is valid against the schema', () => {
    fc.assert(
      fc.property(anyInput, fc.option(fc.constantFrom('admin@acme.example', 'jdoe@acme.example', 'nobody@acme.example'), { nil: undefined }), ({ org, desired }, actor) => {
        const p = plan(desired, org, actor === undefined ? {} : { actor });
        expectValidPlan(p);
        if (hasErrors(p)) expect(p.actions).toEqual([]);
      }),
      runs,
    );
  });

  it('orders actions as SPEC §6 says, and every action names what it requires', () => {
    fc.assert(
      fc.property(orgAndCoherentDeclarationArb, ({ org, desired }) => {
        const p = plan(riskRulesOff(desired), org);
        expect(isInPlanOrder(p.actions)).toBe(true);
        expect(p.actions.map((a) => a.seq)).toEqual(p.actions.map((_, i) => i + 1));
        for (const action of p.actions) {
          const packaged = org.apps.find((a) => a.id === action.app?.id)?.packaged ?? false;
          expect(action.requires).toEqual(requiredFor(action.kind, packaged));
        }
        const ended = p.actions.reduce((n, a) => n + a.effects.sessionsEnded, 0);
        expect(p.summary.sessionsEnded).toBe(ended);
      }),
      runs,
    );
  });

  it('gives the same plan, byte for byte, for the same input', () => {
    fc.assert(
      fc.property(anyInput, ({ org, desired }) => {
        const first = JSON.stringify(plan(desired, org, { actor: 'admin@acme.example' }));
        const again = JSON.stringify(plan(structuredClone(desired), structuredClone(org), { actor: 'admin@acme.example' }));
        expect(again).toBe(first);
      }),
      runs,
    );
  });

  it('converges: applying a plan with the transitions and planning again gives no actions', () => {
    fc.assert(
      fc.property(orgAndCoherentDeclarationArb, ({ org, desired }) => {
        const p = plan(riskRulesOff(desired), org);
        if (hasErrors(p)) return;
        const after = applyPlan(org, p);
        const again = plan(riskRulesOff(desired), after);
        expect(again.actions).toEqual([]);
      }),
      runs,
    );
  });

  it('does not change its input', () => {
    fc.assert(
      fc.property(anyInput, ({ org, desired }) => {
        const before = JSON.stringify([org, desired]);
        const p = plan(desired, org);
        if (!hasErrors(p)) applyPlan(org, p);
        expect(JSON.stringify([org, desired])).toBe(before);
      }),
      runs,
    );
  });
});
