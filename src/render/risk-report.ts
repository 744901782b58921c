// capctl check's report as text and as JSON: the findings (standing and excepted), then the
// exceptions that expire soon or match nothing. Pure: the data in, the text out.
import type { Diagnostic, SourcePos } from '../model/index.js';
import { stands, type RiskFinding, type RiskReport } from '../plan/risk/evaluate-risk.js';
import type { RiskSubject } from '../plan/risk/rule.js';
import { renderDiagnosticsText } from './diagnostics.js';

/** What a check report is rendered from. */
export interface RiskView {
  org: { name: string; id: string };
  mode: 'observed' | 'planned';
  /** The desired-state folder, in planned mode. */
  desired?: string;
  risk: RiskReport;
  /** The report as diagnostics, in order (riskDiagnostics with the store's places). */
  diagnostics: Diagnostic[];
  locate: (subject: RiskSubject) => SourcePos;
  /** The live reads the check made (a connected org), for the JSON's `api`. */
  api?: readonly unknown[];
}

/** Standing deny and warn findings, and excepted ones. */
export function riskCounts(risk: RiskReport): { deny: number; warn: number; excepted: number } {
  const standing = risk.findings.filter(stands);
  return {
    deny: standing.filter((f) => f.level === 'deny').length,
    warn: standing.filter((f) => f.level === 'warn').length,
    excepted: risk.findings.length - standing.length,
  };
}

/** The text report. */
export function renderRiskText(view: RiskView, options: { color: boolean }): string {
  const what = view.mode === 'planned' ? `as the plan of ${view.desired ?? 'the desired state'} would leave it` : 'as it is';
  const title = `capctl check for ${view.org.name} (${view.org.id}), the org ${what}\n\n`;
  if (view.diagnostics.length === 0) return `${title}No findings: every risk rule passes.\n`;
  const counts = riskCounts(view.risk);
  const body = renderDiagnosticsText(view.diagnostics, options).replace(/^(?=.)/gm, '  ');
  const summary = `Risk: ${counts.deny} deny, ${counts.warn} warn, ${counts.excepted} excepted.`;
  return `${title}${body}\n${summary}${counts.deny > 0 ? ' A deny finding stands.' : ''}\n`;
}

/** The JSON report (formatVersion 1). */
export function renderRiskJson(view: RiskView): string {
  const finding = (f: RiskFinding) => {
    const at = f.at ?? view.locate(f.subject);
    return {
      rule: f.rule,
      level: f.level,
      status: stands(f) ? 'stands' : 'excepted',
      subject: f.subject,
      message: f.message,
      file: at.file,
      line: at.line,
      column: at.column,
      ...(f.exception ? { exception: { owner: f.exception.owner, reason: f.exception.reason, expires: f.exception.expires, expired: f.exception.expired, file: f.exception.at.file, line: f.exception.at.line } } : {}),
    };
  };
  const exception = (e: RiskReport['unusedExceptions'][number]) => ({ ...e.doc, file: e.source.file, line: e.source.line });
  const out = {
    formatVersion: 1,
    org: view.org,
    mode: view.mode,
    summary: riskCounts(view.risk),
    findings: view.risk.findings.map(finding),
    expiringSoon: view.risk.expiringSoon.map(exception),
    unusedExceptions: view.risk.unusedExceptions.map(exception),
    cannotJudge: view.risk.cannotJudge,
    ...(view.api ? { api: view.api } : {}),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
