// CAPR004: high-value integrations are pre-authorized to named profiles or permission sets only.
import { fieldAt } from '../diagnostic.js';
import { appLabel, type RiskRule } from './rule.js';

/** A `criticality: high` app whose permitted users are all-users. */
export const capr004: RiskRule = {
  id: 'CAPR004',
  title: 'High-criticality app that all users may self-authorize',
  level: 'deny',
  rationale: 'An app the business relies on most should be used only by the users pre-authorized for it (admin-approved), not by anyone who clicks Allow.',
  references: ['Security Benchmark for Salesforce SBS-OAUTH-002', 'Salesforce: Manage OAuth Access Policies for a Connected App'],
  evaluate(facts) {
    const findings = [];
    for (const app of facts.apps) {
      const decl = facts.declared.get(app.name);
      if (decl?.doc.criticality !== 'high' || !app.installed || app.blocked || app.policies?.permittedUsers !== 'all-users') continue;
      findings.push({
        subject: { kind: 'app' as const, name: app.name, id: app.id },
        message: `${appLabel(app)} is criticality: high but all users may self-authorize it: set policies.permittedUsers: admin-approved with the profiles or permission sets that need it.`,
        at: fieldAt(decl, 'criticality'),
      });
    }
    return { findings };
  },
};
