// CAPR003: every integration has a human owner.
import { appLabel, type RiskRule } from './rule.js';

/** A declared app without `owner`. */
export const capr003: RiskRule = {
  id: 'CAPR003',
  title: 'Declared app without an owner',
  level: 'warn',
  rationale: 'Every integration needs a person or team who answers for it, so that someone is asked when it must be contained or reviewed.',
  references: ['Security Benchmark for Salesforce SBS-OAUTH-002: inventory every app with its owner and criticality'],
  evaluate(facts) {
    const findings = [];
    for (const app of facts.apps) {
      const decl = facts.declared.get(app.name);
      if (!decl || (decl.doc.owner ?? '').trim() !== '') continue;
      findings.push({
        subject: { kind: 'app' as const, name: app.name, id: app.id },
        message: `${appLabel(app)} is declared without an owner: add owner: (the team that answers for it).`,
        at: decl.positions.name ?? decl.source,
      });
    }
    return { findings };
  },
};
