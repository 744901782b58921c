// CAPR008: a plan that lets a contained app back in says so, with who contained it, when and why.
import { appLabel, type RiskRule } from './rule.js';

/** A plan that unblocks an app that `capctl contain` blocked. */
export const capr008: RiskRule = {
  id: 'CAPR008',
  title: 'Plan unblocks an app that capctl contain blocked',
  level: 'warn',
  rationale: 'The reviewer must see that a contained app is being let back in, and by whose containment: confirm the incident is closed first.',
  references: ['SPEC §14: capctl contain'],
  evaluate(facts) {
    const findings = [];
    for (const unblock of facts.unblocks) {
      const containment = facts.containments.find((c) => c.app.id === unblock.app.id);
      if (!containment) continue;
      const by = containment.actor ? ` by ${containment.actor}` : '';
      const when = containment.at ? ` on ${containment.at}` : '';
      findings.push({
        subject: { kind: 'app' as const, ...unblock.app },
        message:
          `this plan unblocks ${appLabel(unblock.app)}, contained${by}${when} (${containment.revocation}: ${containment.reason}): ` +
          `make sure the incident is closed and the vendor's tokens were rotated.`,
        ...(unblock.source ? { at: unblock.source } : {}),
      });
    }
    return { findings };
  },
};
