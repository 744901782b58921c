// CAPR005: permissions that bypass API Access Control and the uninstalled-app restriction.
import type { Permission } from '../../model/index.js';
import type { RiskRule } from './rule.js';

const bypassing: readonly Permission[] = ['UseAnyApiClient', 'CanApproveUninstalledApps'];

/** An active user holding Use Any API Client or Approve Uninstalled Connected Apps (excepted by a RiskException naming them). */
export const capr005: RiskRule = {
  id: 'CAPR005',
  title: 'Active user holding Use Any API Client or Approve Uninstalled Connected Apps',
  level: 'warn',
  rationale:
    'Use Any API Client bypasses API client allowlisting and Approve Uninstalled Connected Apps the uninstalled-app restriction: ' +
    'each holder needs a reviewed, expiring exception.',
  references: ['Security Benchmark for Salesforce SBS-ACS-003 and SBS-ACS-006 (rated critical)'],
  evaluate(facts) {
    const findings = [];
    for (const user of facts.users) {
      if (!user.active) continue;
      const held = bypassing.filter((p) => user.permissions.includes(p));
      if (held.length === 0) continue;
      findings.push({
        subject: { kind: 'user' as const, username: user.username },
        message: `${user.username} holds ${held.join(' and ')}: remove it, or declare a RiskException naming the user.`,
      });
    }
    return { findings };
  },
};
