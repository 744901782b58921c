// capctl check's findings as SARIF 2.1.0 (OASIS), the format GitHub code scanning reads: one run,
// the rule pack as the driver's rules, one result per finding. A finding excepted by a
// RiskException carries a suppression with the exception's owner and reason. Pure.
import type { SourcePos } from '../model/index.js';
import { stands, type RiskReport } from '../plan/risk/evaluate-risk.js';
import type { RiskRule, RiskSubject } from '../plan/risk/rule.js';

const sarifLevel = { deny: 'error', warn: 'warning', off: 'none' } as const;

/** The SARIF log of a risk report. `rules` is the rule pack; `version` capctl's. */
export function renderRiskSarif(
  risk: RiskReport,
  options: { rules: readonly RiskRule[]; version: string; locate: (subject: RiskSubject) => SourcePos },
): string {
  const index = new Map(options.rules.map((rule, i) => [rule.id, i]));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'capctl',
            version: options.version,
            informationUri: 'https://capctl.dev',
            rules: options.rules.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.rationale },
              help: { text: `${rule.rationale}\nReferences: ${rule.references.join('; ')}.` },
              defaultConfiguration: { level: sarifLevel[rule.level] },
            })),
          },
        },
        results: risk.findings.map((f) => {
          const at = f.at ?? options.locate(f.subject);
          const e = f.exception;
          return {
            ruleId: f.rule,
            ruleIndex: index.get(f.rule) ?? 0,
            level: sarifLevel[f.level],
            message: { text: f.message + (e?.expired ? ` Its exception (${e.owner}) expired on ${e.expires}.` : '') },
            locations: [{ physicalLocation: { artifactLocation: { uri: at.file }, region: { startLine: at.line, startColumn: at.column } } }],
            ...(e && !stands(f) ? { suppressions: [{ kind: 'external', status: 'accepted', justification: `${e.reason} (owner ${e.owner}, until ${e.expires})` }] } : {}),
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
