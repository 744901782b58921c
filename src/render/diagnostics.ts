// Diagnostics as lines a person reads: `file:line:column  severity  CODE  message`.
import type { Diagnostic } from '../model/index.js';
import { paint } from './color.js';
import { escapeStrings } from './escape-text.js';
import { count } from '../plan/count.js';

/** Where a diagnostic points, as `file:line:column`, or `-` when it points nowhere. */
export function diagnosticPlace(d: Diagnostic): string {
  if (!d.file) return '-';
  return d.line ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file;
}

/** One line per diagnostic (detail indented below), in the given order. */
export function renderDiagnosticsText(diagnostics: readonly Diagnostic[], options: { color: boolean }): string {
  const colorOf = { error: 'red', warning: 'yellow', info: 'cyan' } as const;
  return escapeStrings(diagnostics)
    .map((d) => {
      const head = `${diagnosticPlace(d)}  ${paint(d.severity, colorOf[d.severity], options.color)}  ${d.code}  ${d.message}\n`;
      return d.detail ? `${head}${d.detail.replace(/^/gm, '    ')}\n` : head;
    })
    .join('');
}

/** `2 errors, 1 warning` */
export function countDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  return `${count(errors, 'error')}, ${count(warnings, 'warning')}`;
}
