// Runs the rule pack: each rule at the level OrgSettings.rules gives it (else its default), each
// finding held against the declared RiskExceptions. Pure: `now` (in the facts) decides expiry.
import { Codes, type Declared, type Diagnostic, type RiskExceptionDoc, type RuleLevel, type SourcePos } from '../../model/index.js';
import { fieldAt, where } from '../diagnostic.js';
import type { RiskFacts, RiskRule, RiskSubject, RuleId } from './rule.js';
import { riskRules } from './rules.js';

/** Exceptions expiring within this many days are listed by `capctl check`. */
export const expiringWithinDays = 30;
const dayMs = 24 * 60 * 60 * 1000;

/** The exception a finding met: active (the finding is excepted) or expired (the finding stands again). */
export interface MetException {
  owner: string;
  reason: string;
  expires: string;
  expired: boolean;
  at: SourcePos;
}

/** One finding at its level, excepted or not. */
export interface RiskFinding {
  rule: RuleId;
  level: Exclude<RuleLevel, 'off'>;
  subject: RiskSubject;
  message: string;
  at?: SourcePos;
  /** The exception that matched: when not expired, the finding is excepted. */
  exception?: MetException;
}

/** What the rule pack found, and what the exceptions did. */
export interface RiskReport {
  findings: RiskFinding[];
  /** Rules that could not judge because the org did not show what they need (one line each). */
  cannotJudge: { rule: RuleId; message: string }[];
  /** Exceptions that matched no finding. */
  unusedExceptions: Declared<RiskExceptionDoc>[];
  /** Exceptions still in force that expire within 30 days. */
  expiringSoon: Declared<RiskExceptionDoc>[];
}

/** Whether a finding counts: not excepted by an exception still in force. */
export function stands(finding: RiskFinding): boolean {
  return !finding.exception || finding.exception.expired;
}

/** The level of each rule: OrgSettings.rules over the defaults. */
export function ruleLevel(rule: RiskRule, facts: RiskFacts): RuleLevel {
  return facts.settings?.doc.rules?.[rule.id] ?? rule.level;
}

/** Evaluates every rule that is not off, and matches the findings with the exceptions. */
export function evaluateRisk(facts: RiskFacts, exceptions: readonly Declared<RiskExceptionDoc>[]): RiskReport {
  const findings: RiskFinding[] = [];
  const cannotJudge: RiskReport['cannotJudge'] = [];
  const used = new Set<Declared<RiskExceptionDoc>>();
  for (const rule of riskRules) {
    const level = ruleLevel(rule, facts);
    if (level === 'off') continue;
    const outcome = rule.evaluate(facts);
    if (outcome.cannotJudge) cannotJudge.push({ rule: rule.id, message: outcome.cannotJudge });
    for (const finding of outcome.findings) {
      const matching = exceptions.filter((e) => e.doc.rule === rule.id && matches(e.doc, finding.subject));
      for (const e of matching) used.add(e);
      const active = matching.find((e) => !isExpired(e.doc, facts.now));
      const met = active ?? matching[0];
      findings.push({
        rule: rule.id,
        level,
        ...finding,
        ...(met ? { exception: { owner: met.doc.owner, reason: met.doc.reason, expires: met.doc.expires, expired: met !== active, at: met.source } } : {}),
      });
    }
  }
  const soon = facts.now.getTime() + expiringWithinDays * dayMs;
  return {
    findings,
    cannotJudge,
    unusedExceptions: exceptions.filter((e) => !used.has(e)),
    expiringSoon: exceptions.filter((e) => !isExpired(e.doc, facts.now) && expiresAt(e.doc) <= soon),
  };
}

/** An exception is in force before the first instant of its `expires` day (UTC). */
export function isExpired(doc: RiskExceptionDoc, now: Date): boolean {
  return now.getTime() >= expiresAt(doc);
}

function expiresAt(doc: RiskExceptionDoc): number {
  return Date.parse(`${doc.expires}T00:00:00Z`);
}

/** Whether an exception names the finding's subject: its app, its user, or (naming neither) the org. */
function matches(doc: RiskExceptionDoc, subject: RiskSubject): boolean {
  if (subject.kind === 'app') return doc.app === subject.name;
  if (subject.kind === 'user') return doc.user === subject.username;
  return doc.app === undefined && doc.user === undefined;
}

/**
 * The report as plan diagnostics: a standing `deny` finding is an error, a standing `warn` one a
 * warning, an excepted one a note naming the exception; plus unused and soon-expiring exceptions.
 */
export function riskDiagnostics(report: RiskReport, locate: (subject: RiskSubject) => SourcePos | undefined = () => undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of report.findings) {
    const e = f.exception;
    if (e && !e.expired) {
      out.push(place({ severity: 'info', code: f.rule, message: `${f.message} Excepted until ${e.expires} by ${e.owner} (${where(e.at)}): ${e.reason}` }, f.at ?? locate(f.subject) ?? e.at));
      continue;
    }
    const expired = e ? ` Its exception (${e.owner}, ${where(e.at)}) expired on ${e.expires}.` : '';
    out.push(place({ severity: f.level === 'deny' ? 'error' : 'warning', code: f.rule, message: `${f.message}${expired}` }, f.at ?? locate(f.subject)));
  }
  for (const c of report.cannotJudge) out.push({ severity: 'info', code: Codes.riskCannotJudge, message: `${c.rule} cannot judge: ${c.message}` });
  for (const e of report.unusedExceptions) {
    const subject = e.doc.app !== undefined ? `app "${e.doc.app}"` : e.doc.user !== undefined ? `user ${e.doc.user}` : 'the org';
    out.push(
      place(
        { severity: 'warning', code: Codes.riskExceptionUnused, message: `RiskException for ${e.doc.rule} on ${subject} matches no finding: remove it, or correct its rule or name.` },
        e.source,
      ),
    );
  }
  for (const e of report.expiringSoon) {
    out.push(
      place(
        { severity: 'info', code: Codes.riskExceptionExpiring, message: `RiskException for ${e.doc.rule} (owner ${e.doc.owner}) expires on ${e.doc.expires}: review it, renew it or fix the finding.` },
        fieldAt(e, 'expires'),
      ),
    );
  }
  return out;
}

function place(d: Diagnostic, at: SourcePos | undefined): Diagnostic {
  return at ? { ...d, file: at.file, line: at.line, column: at.column } : d;
}
