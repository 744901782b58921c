// CAPR006: stale standing access — an installed app nobody has used for 90 days.
import type { RiskRule } from './rule.js';
import { appLabel } from './rule.js';
import { count } from '../count.js';

/** Days after which a session counts as stale. */
export const staleAfterDays = 90;
const dayMs = 24 * 60 * 60 * 1000;

/** An installed app whose sessions were all last used more than 90 days ago. */
export const capr006: RiskRule = {
  id: 'CAPR006',
  title: `Installed app whose sessions were all last used more than ${staleAfterDays} days ago`,
  level: 'warn',
  rationale: 'Tokens nobody uses are standing access for whoever steals them: revoke them, or uninstall the app.',
  references: ['sfdx-hardis: unused-connected-apps'],
  evaluate(facts) {
    const findings = [];
    const cutoff = facts.now.getTime() - staleAfterDays * dayMs;
    for (const app of facts.apps) {
      if (!app.installed || app.blocked || app.sessions.length === 0) continue;
      if (usedSince(app.sessions, cutoff)) continue;
      // A loop, not Math.max(...): a busy app has more sessions than a call takes arguments.
      let last = -Infinity;
      for (const session of app.sessions) last = Math.max(last, Date.parse(session.lastUsed));
      const decl = facts.declared.get(app.name);
      findings.push({
        subject: { kind: 'app' as const, name: app.name, id: app.id },
        message:
          `${appLabel(app)} has ${count(app.sessions.length, 'session')}, none used in the last ` +
          `${staleAfterDays} days (last ${new Date(last).toISOString().slice(0, 10)}): revoke them, or uninstall the app.`,
        ...(decl ? { at: decl.positions.name ?? decl.source } : {}),
      });
    }
    return { findings };
  },
};

/**
 * Whether a session was used at `cutoff` or later: the first one found ends the search, so that an
 * app in use (most of a large org's sessions) costs a few dates, not one per session.
 */
function usedSince(sessions: readonly { lastUsed: string }[], cutoff: number): boolean {
  for (const session of sessions) if (Date.parse(session.lastUsed) >= cutoff) return true;
  return false;
}
