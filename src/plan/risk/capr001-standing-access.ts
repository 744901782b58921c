// CAPR001: standing access outside every login control — the shape of the 2025 token replays.
import { fieldAt } from '../diagnostic.js';
import { isAllowlisted } from '../access.js';
import { appLabel, type RiskRule } from './rule.js';

/** An installed app all users may self-authorize, with an infinite refresh token and IP relaxation BYPASS(_2FACTOR). */
export const capr001: RiskRule = {
  id: 'CAPR001',
  title: 'Installed app with self-authorization, infinite refresh tokens and IP restrictions bypassed',
  level: 'deny',
  rationale:
    'All users may self-authorize, refresh tokens never expire and IP restrictions are relaxed: a stolen token gives standing access ' +
    'outside every login control (the Salesloft Drift and Gainsight token replays of 2025).',
  references: [
    'Salesforce: Connected App IP Relaxation, "Enforce IP restrictions"',
    'sf-audit-plugin: connected-app attack chains',
  ],
  evaluate(facts) {
    const findings = [];
    for (const app of facts.apps) {
      const p = app.policies;
      if (!app.installed || app.blocked || !p) continue;
      // With allowlisting on, an all-users app is blocked org-wide: nobody holds that access.
      if (facts.org.settings.adminApprovedAppsOnly && !isAllowlisted(app)) continue;
      if (p.permittedUsers !== 'all-users' || p.refreshTokenPolicy !== 'infinite' || (p.ipRelaxation !== 'BYPASS' && p.ipRelaxation !== 'BYPASS_2FACTOR')) continue;
      const decl = facts.declared.get(app.name);
      findings.push({
        subject: { kind: 'app' as const, name: app.name, id: app.id },
        message:
          `${appLabel(app)} lets all users self-authorize with an infinite refresh token and ipRelaxation ${p.ipRelaxation}: ` +
          `set ipRelaxation: ENFORCE, a refresh token lifetime, or permittedUsers: admin-approved.`,
        ...(decl ? { at: fieldAt(decl, 'policies.ipRelaxation') } : {}),
      });
    }
    return { findings };
  },
};
