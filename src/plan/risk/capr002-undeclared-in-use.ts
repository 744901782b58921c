// CAPR002: an app in use that no file declares: nobody reviewed it.
import { appLabel, type RiskRule } from './rule.js';
import { count } from '../count.js';

/** An app with sessions that no file declares. */
export const capr002: RiskRule = {
  id: 'CAPR002',
  title: 'App in use that no file declares',
  level: 'warn',
  rationale: 'An app people use that nobody declared was never reviewed: declare it (with an owner), or block it.',
  references: ['Security Benchmark for Salesforce SBS-OAUTH-001: install and scope every app in use'],
  evaluate(facts) {
    const findings = [];
    for (const app of facts.apps) {
      if (app.sessions.length === 0 || facts.declared.has(app.name)) continue;
      const users = new Set(app.sessions.map((s) => s.user)).size;
      findings.push({
        subject: { kind: 'app' as const, name: app.name, id: app.id },
        message: `${appLabel(app)} is in use in ${facts.slug} (${count(app.sessions.length, 'session')} of ${count(users, 'user')}) but no file declares it: declare it with an owner, or block it.`,
      });
    }
    return { findings };
  },
};
