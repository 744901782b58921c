// What a risk rule is (SPEC §14): data — an id, a default level, why, where to read more — and a
// pure evaluation over the org as it is or as a plan would leave it. One file per rule.
import type { AppDoc, ObservedApp, Declared, ObservedOrg, OrgSettingsDoc, OrgUser, RuleLevel, RuleLevels, SourcePos } from '../../model/index.js';

/** A rule id, `CAPR001`…: the keys of OrgSettings.rules. */
export type RuleId = keyof RuleLevels;

/** What a finding is about: an app, a user, or the org itself. */
export type RiskSubject = { kind: 'app'; name: string; id: string } | { kind: 'user'; username: string } | { kind: 'org' };

/** The prefix of the id of the Revocation that records a containment: `CONTAIN-20261201-drift`. */
export const containmentIdPrefix = 'CONTAIN-';

/** An app a containment blocked (`capctl contain`), and who did it, when and why. */
export interface Containment {
  app: { name: string; id: string };
  /** The Revocation id that recorded the containment in the desired state. */
  revocation: string;
  reason: string;
  /** Who applied it and when, from the org's ledger; absent when the ledger does not show it. */
  actor?: string;
  at?: string;
}

/** An unblock the plan would carry out (for CAPR008), and the declaration asking for it. */
export interface PlannedUnblock {
  app: { name: string; id: string };
  source?: SourcePos;
}

/** Everything a rule may look at. Pure data: the org (as it is, or as the plan leaves it) and the declaration. */
export interface RiskFacts {
  slug: string;
  org: ObservedOrg;
  apps: readonly ObservedApp[];
  users: readonly OrgUser[];
  /** Declared apps by name (empty when no file declares the org). */
  declared: ReadonlyMap<string, Declared<AppDoc>>;
  settings?: Declared<OrgSettingsDoc>;
  /** The plan's unblocks; empty outside a plan. */
  unblocks: readonly PlannedUnblock[];
  containments: readonly Containment[];
  now: Date;
}

/** One finding of a rule: what it is about, in words, and the declaration it points at (if any). */
export interface RuleFinding {
  subject: RiskSubject;
  message: string;
  at?: SourcePos;
}

/** What a rule saw: its findings, and — when the org did not show what it needs — why it cannot judge (said once). */
export interface RuleOutcome {
  findings: RuleFinding[];
  cannotJudge?: string;
}

/** One risk rule. */
export interface RiskRule {
  id: RuleId;
  /** One line: what it flags (SARIF's shortDescription). */
  title: string;
  level: RuleLevel;
  rationale: string;
  references: readonly string[];
  evaluate(facts: RiskFacts): RuleOutcome;
}

/** `"Drift" (0H4…)`: an app named for a message. */
export function appLabel(app: { name: string; id: string }): string {
  return `"${app.name}" (${app.id})`;
}
