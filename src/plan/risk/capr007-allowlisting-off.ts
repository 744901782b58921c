// CAPR007: API Access Control is the durable deny; Salesforce recommends it over blocking app by app.
import { fieldAt } from '../diagnostic.js';
import type { RiskRule } from './rule.js';

/** adminApprovedAppsOnly off in an org that has the feature. */
export const capr007: RiskRule = {
  id: 'CAPR007',
  title: 'API client allowlisting off in an org that has the feature',
  level: 'warn',
  rationale: 'With API client allowlisting on, only installed, admin-approved apps may be used: every new or look-alike app is denied by default.',
  references: ['Salesforce: API Access Control (ConnectedAppSettings.enableAdminApprovedAppsOnly)', 'Security Benchmark for Salesforce SBS-OAUTH-001'],
  evaluate(facts) {
    if (!facts.org.features.apiAccessControl || facts.org.settings.adminApprovedAppsOnly) return { findings: [] };
    const decl = facts.settings;
    return {
      findings: [
        {
          subject: { kind: 'org' },
          message: `${facts.slug} has API client allowlisting available but off: declare adminApprovedAppsOnly: true once every app in use is installed and admin-approved.`,
          ...(decl ? { at: decl.doc.adminApprovedAppsOnly !== undefined ? fieldAt(decl, 'adminApprovedAppsOnly') : decl.source } : {}),
        },
      ],
    };
  },
};
