// The risk rules (SPEC §14, src/plan/risk/): for every rule, a case where it fires, one where it
// does not, one excepted by a RiskException in force and one whose exception has expired; then
// levels, the plan's scope and what exceptions that match nothing say. Plain data, no mocks.
import { describe, expect, it } from 'vitest';
import type { Declared, DesiredOrg, ObservedPolicies, OrgSnapshot, RiskExceptionDoc } from '../../src/model/index.js';
import { createPlanAndRisk } from '../../src/plan/create-plan.js';
import type { PlanInput } from '../../src/plan/plan-context.js';
import { riskRules } from '../../src/plan/risk/rules.js';
import { stands, type RiskReport } from '../../src/plan/risk/evaluate-risk.js';
import type { Containment, RuleId } from '../../src/plan/risk/rule.js';
import { app, appDoc, declared, desired, plan, revocationDoc, session, settingsDoc, snapshot, testNow, user } from './builders.js';
import { expectValidPlan } from './plan-schema.js';
import desiredSchema from '../../schemas/desired-state.schema.json' with { type: 'json' };

interface Scenario {
  desired: DesiredOrg;
  observed: OrgSnapshot;
  contained?: Containment[];
}

/** Every rule: a case where it fires (on `subject`) and a near one where it does not. */
const cases: Record<RuleId, { fires: Scenario; quiet: Scenario; subject: { app?: string; user?: string } }> = (() => {
  const owned = { owner: 'team@acme.example' };
  const risky: ObservedPolicies = { permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation: 'BYPASS', refreshTokenPolicy: 'infinite' };
  const recent = [session('jdoe@acme.example', '2026-11-20T00:00:00Z')];
  const stale = [session('jdoe@acme.example', '2026-08-01T00:00:00Z')];
  const users = [user('jdoe@acme.example')];
  // No API Access Control feature, so that CAPR007 stays quiet in the other rules' cases.
  const off = { apiAccessControl: false };
  const containment: Containment = { app: { name: 'Drift', id: app('Drift').id }, revocation: 'CONTAIN-2026-11-30-drift', reason: 'token replay', actor: 'sec@acme.example', at: '2026-11-30T10:00:00.000Z' };
  return {
    CAPR001: {
      fires: { desired: desired({ apps: [appDoc('Drift', owned)] }), observed: snapshot({ ...off, apps: [app('Drift', { policies: risky })] }) },
      quiet: { desired: desired({ apps: [appDoc('Drift', owned)] }), observed: snapshot({ ...off, apps: [app('Drift', { policies: { ...risky, ipRelaxation: 'ENFORCE' } })] }) },
      subject: { app: 'Drift' },
    },
    CAPR002: {
      fires: { desired: desired(), observed: snapshot({ ...off, users, apps: [app('Drift', { sessions: recent })] }) },
      quiet: { desired: desired({ apps: [appDoc('Drift', owned)] }), observed: snapshot({ ...off, users, apps: [app('Drift', { sessions: recent })] }) },
      subject: { app: 'Drift' },
    },
    CAPR003: {
      fires: { desired: desired({ apps: [appDoc('Drift')] }), observed: snapshot({ ...off, apps: [app('Drift')] }) },
      quiet: { desired: desired({ apps: [appDoc('Drift', owned)] }), observed: snapshot({ ...off, apps: [app('Drift')] }) },
      subject: { app: 'Drift' },
    },
    CAPR004: {
      fires: { desired: desired({ apps: [appDoc('Drift', { ...owned, criticality: 'high' })] }), observed: snapshot({ ...off, apps: [app('Drift')] }) },
      quiet: { desired: desired({ apps: [appDoc('Drift', { ...owned, criticality: 'medium' })] }), observed: snapshot({ ...off, apps: [app('Drift')] }) },
      subject: { app: 'Drift' },
    },
    CAPR005: {
      fires: { desired: desired(), observed: snapshot({ ...off, users: [user('ops@acme.example', { permissions: ['UseAnyApiClient'] })] }) },
      quiet: { desired: desired(), observed: snapshot({ ...off, users: [user('ops@acme.example', { permissions: ['UseAnyApiClient'], active: false })] }) },
      subject: { user: 'ops@acme.example' },
    },
    CAPR006: {
      fires: { desired: desired({ apps: [appDoc('Drift', owned)] }), observed: snapshot({ ...off, users, apps: [app('Drift', { sessions: stale })] }) },
      quiet: { desired: desired({ apps: [appDoc('Drift', owned)] }), observed: snapshot({ ...off, users, apps: [app('Drift', { sessions: [...stale, ...recent] })] }) },
      subject: { app: 'Drift' },
    },
    CAPR007: {
      fires: { desired: desired({ settings: settingsDoc() }), observed: snapshot({ allowlisting: false }) },
      quiet: { desired: desired({ settings: settingsDoc() }), observed: snapshot({ allowlisting: false, apiAccessControl: false }) },
      subject: {},
    },
    CAPR008: {
      fires: { desired: desired({ apps: [appDoc('Drift', { ...owned, blocked: false })] }), observed: snapshot({ ...off, apps: [app('Drift', { blocked: true, installed: true, policies: { ...risky, permittedUsers: 'admin-approved', ipRelaxation: 'ENFORCE' } })] }), contained: [containment] },
      quiet: { desired: desired({ apps: [appDoc('Drift', { ...owned, blocked: false })] }), observed: snapshot({ ...off, apps: [app('Drift', { blocked: true, installed: true, policies: { ...risky, permittedUsers: 'admin-approved', ipRelaxation: 'ENFORCE' } })] }) },
      subject: { app: 'Drift' },
    },
  };
})();

function exception(rule: string, subject: { app?: string; user?: string }, expires: string): Declared<RiskExceptionDoc> {
  return declared<RiskExceptionDoc>(
    { apiVersion: 'capctl/v1', kind: 'RiskException', org: 'acme-prod', rule, ...subject, reason: 'vendor fix due in Q1', owner: 'security@acme.example', expires },
    `exceptions/${rule}.yaml`,
  );
}

function run(s: Scenario, exceptions: Declared<RiskExceptionDoc>[] = []): { risk: RiskReport; input: PlanInput } {
  const input: PlanInput = {
    desired: { ...s.desired, exceptions },
    observed: s.observed,
    now: testNow,
    basis: { desiredDigest: 'sha256:' + '1'.repeat(64), desiredCommit: null },
    ...(s.contained ? { contained: s.contained } : {}),
  };
  return { risk: createPlanAndRisk(input).risk, input };
}

function findings(report: RiskReport, rule: RuleId) {
  return report.findings.filter((f) => f.rule === rule);
}

describe('risk rules', () => {
  it('every rule of the pack has a case, a rationale and references, and the schema lists exactly the pack', () => {
    expect(riskRules.map((r) => r.id)).toEqual(Object.keys(cases));
    for (const rule of riskRules) {
      expect(rule.rationale.length).toBeGreaterThan(20);
      expect(rule.references.length).toBeGreaterThan(0);
    }
    expect(Object.keys(desiredSchema.$defs.RuleLevels.properties)).toEqual(riskRules.map((r) => r.id));
    expect(riskRules.map((r) => [r.id, r.level])).toEqual([
      ['CAPR001', 'deny'], ['CAPR002', 'warn'], ['CAPR003', 'warn'], ['CAPR004', 'deny'],
      ['CAPR005', 'warn'], ['CAPR006', 'warn'], ['CAPR007', 'warn'], ['CAPR008', 'warn'],
    ]);
  });

  describe.each(Object.entries(cases) as [RuleId, (typeof cases)[RuleId]][])('%s', (rule, c) => {
    it('fires', () => {
      const found = findings(run(c.fires).risk, rule);
      expect(found).toHaveLength(1);
      expect(found[0]!.subject).toMatchObject(c.subject.app ? { kind: 'app', name: c.subject.app } : c.subject.user ? { kind: 'user', username: c.subject.user } : { kind: 'org' });
      expect(stands(found[0]!)).toBe(true);
    });

    it('does not fire', () => {
      expect(findings(run(c.quiet).risk, rule)).toEqual([]);
    });

    it('is excepted by an exception in force, which names its owner and reason', () => {
      const { risk } = run(c.fires, [exception(rule, c.subject, '2027-06-01')]);
      const [found] = findings(risk, rule);
      expect(found!.exception).toMatchObject({ owner: 'security@acme.example', reason: 'vendor fix due in Q1', expired: false });
      expect(stands(found!)).toBe(false);
      expect(risk.unusedExceptions).toEqual([]);
    });

    it('stands again once its exception has expired (the first instant of the expires day)', () => {
      const { risk } = run(c.fires, [exception(rule, c.subject, '2026-12-01')]);
      const [found] = findings(risk, rule);
      expect(found!.exception).toMatchObject({ expired: true });
      expect(stands(found!)).toBe(true);
      const dayLater = run(c.fires, [exception(rule, c.subject, '2026-12-02')]).risk;
      expect(stands(findings(dayLater, rule)[0]!)).toBe(false);
    });
  });

  it('a deny finding is a plan error: no actions; excepted, it is a note and the plan has its actions', () => {
    const observed = snapshot({ apiAccessControl: false, apps: [app('Drift')] });
    const decl = appDoc('Drift', { owner: 'team@acme.example', policies: { ipRelaxation: 'BYPASS' } });
    const refused = plan(desired({ apps: [decl] }), observed);
    expectValidPlan(refused);
    expect(refused.actions).toEqual([]);
    expect(refused.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', code: 'CAPR001', file: 'apps/drift.yaml', line: decl.positions['policies.ipRelaxation']!.line }),
    ]);
    // off in a different org settings level, it is not evaluated at all
    const off = plan(desired({ settings: settingsDoc({ rules: { CAPR001: 'off' } }), apps: [decl] }), snapshot({ allowlisting: false, apiAccessControl: false, apps: [app('Drift')] }));
    expect(off.actions.map((a) => a.kind)).toEqual(['set-policies']);
    expect(off.diagnostics.filter((d) => d.code.startsWith('CAPR'))).toEqual([]);

    const excepted = plan(desired({ apps: [decl], exceptions: [exception('CAPR001', { app: 'Drift' }, '2027-01-15')] }), observed);
    expectValidPlan(excepted);
    expect(excepted.actions.map((a) => a.kind)).toEqual(['set-policies']);
    const note = excepted.diagnostics.find((d) => d.code === 'CAPR001')!;
    expect(note.severity).toBe('info');
    expect(note.message).toContain('Excepted until 2027-01-15 by security@acme.example (exceptions/CAPR001.yaml:1:1): vendor fix due in Q1');
    // expiring within 30 days: listed
    expect(excepted.diagnostics.find((d) => d.code === 'CAP328')).toBeUndefined();
    const soon = plan(desired({ apps: [decl], exceptions: [exception('CAPR001', { app: 'Drift' }, '2026-12-31')] }), observed);
    expect(soon.diagnostics.find((d) => d.code === 'CAP328')).toMatchObject({ severity: 'info', file: 'exceptions/CAPR001.yaml' });

    const expired = plan(desired({ apps: [decl], exceptions: [exception('CAPR001', { app: 'Drift' }, '2026-11-30')] }), observed);
    expect(expired.actions).toEqual([]);
    expect(expired.diagnostics.find((d) => d.code === 'CAPR001')!.message).toContain('Its exception (security@acme.example, exceptions/CAPR001.yaml:1:1) expired on 2026-11-30.');
  });

  it('CAPR001 does not fire on an all-users app that allowlisting blocks org-wide', () => {
    const { fires } = cases.CAPR001;
    expect(findings(run(fires).risk, 'CAPR001')).toHaveLength(1);
    expect(findings(run({ ...fires, observed: snapshot({ allowlisting: true, apps: fires.observed.apps }) }).risk, 'CAPR001')).toEqual([]);
  });

  it('OrgSettings.rules sets levels: warn turns a deny into a warning, deny a warning into an error', () => {
    const observed = snapshot({ apiAccessControl: false, apps: [app('Drift'), app('Zoom')] });
    const decls = [appDoc('Drift', { owner: 'x', policies: { ipRelaxation: 'BYPASS' } }), appDoc('Zoom', { blocked: true })];
    const p = plan(desired({ settings: settingsDoc({ rules: { CAPR001: 'warn', CAPR003: 'deny' } }), apps: decls }), observed);
    const levels = p.diagnostics.filter((d) => d.code.startsWith('CAPR')).map((d) => [d.severity, d.code]);
    expect(levels.sort()).toEqual([
      ['error', 'CAPR003'],
      ['warning', 'CAPR001'],
    ]);
  });

  it('a standing deny finding on an app the plan does not act on does not refuse the plan (an urgent revocation goes through)', () => {
    const observed = snapshot({ apiAccessControl: false, users: [user('jdoe@acme.example')], apps: [app('Drift', { policies: { permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation: 'BYPASS', refreshTokenPolicy: 'infinite' } }), app('Slack', { sessions: [session('jdoe@acme.example', '2026-11-01T00:00:00Z')] })] });
    const decls = desired({ apps: [appDoc('Drift', { owner: 'x' }), appDoc('Slack', { owner: 'y' })], revocations: [revocationDoc('INC-1', 'Slack')] });
    const p = plan(decls, observed);
    expect(p.actions.map((a) => a.kind)).toEqual(['revoke']);
    expect(p.diagnostics.filter((d) => d.code === 'CAPR001')).toEqual([]);
    expect(findings(run({ desired: decls, observed }).risk, 'CAPR001')).toHaveLength(1);
  });

  it("the plan reports findings on what it changes; the rest of the org is check's", () => {
    const { fires } = cases.CAPR005;
    const full = run(fires).risk;
    expect(findings(full, 'CAPR005')).toHaveLength(1);
    expect(plan(fires.desired, fires.observed).diagnostics.filter((d) => d.code === 'CAPR005')).toEqual([]);
    const undeclared = cases.CAPR002.fires;
    expect(plan(undeclared.desired, undeclared.observed).diagnostics.filter((d) => d.code === 'CAPR002')).toEqual([]);
    // once the plan acts on the undeclared app (unmanagedApps: block), it is in the plan's scope — and blocked, it is no longer in use
    const blocking = plan(desired({ settings: settingsDoc({ unmanagedApps: 'block' }) }), undeclared.observed);
    expect(blocking.actions.map((a) => a.kind)).toEqual(['block']);
    expect(blocking.diagnostics.filter((d) => d.code === 'CAPR002')).toEqual([]);
  });

  it('CAPR008 names who contained the app, when and why', () => {
    const p = plan(cases.CAPR008.fires.desired, cases.CAPR008.fires.observed, { contained: cases.CAPR008.fires.contained! });
    const warning = p.diagnostics.find((d) => d.code === 'CAPR008')!;
    expect(warning.severity).toBe('warning');
    expect(warning.message).toContain('contained by sec@acme.example on 2026-11-30T10:00:00.000Z (CONTAIN-2026-11-30-drift: token replay)');
    expect(p.actions.map((a) => a.kind)).toEqual(['unblock']);
  });

  it('an exception that matches nothing is a warning at the exception', () => {
    const { fires } = cases.CAPR003;
    const p = plan({ ...fires.desired, exceptions: [exception('CAPR003', { app: 'Drfit' }, '2027-01-01'), exception('CAPR099', { app: 'Drift' }, '2027-01-01')] }, fires.observed);
    const unused = p.diagnostics.filter((d) => d.code === 'CAP327');
    expect(unused.map((d) => d.message)).toEqual([
      'RiskException for CAPR003 on app "Drfit" matches no finding: remove it, or correct its rule or name.',
      'RiskException for CAPR099 on app "Drift" matches no finding: remove it, or correct its rule or name.',
    ]);
    expect(unused.every((d) => d.severity === 'warning')).toBe(true);
  });
});

describe('risk rules at scale', () => {
  it('CAPR006 judges an app with 200,000 sessions (no spread into one call)', () => {
    const sessions = Array.from({ length: 200_000 }, () => session('jdoe@acme.example', '2026-08-01T00:00:00Z'));
    const observed = snapshot({ apiAccessControl: false, users: [user('jdoe@acme.example')], apps: [app('Busy', { sessions })] });
    const { risk } = run({ desired: desired({ apps: [appDoc('Busy', { owner: 'x' })] }), observed });
    expect(findings(risk, 'CAPR006')).toHaveLength(1);
  });
});
