// Building plan diagnostics: a severity, a stable code, a message, and the place it is about.
import type { Code, Declared, Diagnostic, SourcePos } from '../model/index.js';
import { byCodePoint } from './names.js';

/** A diagnostic pointing at a place in the desired state (or nowhere). */
export function diagnostic(severity: Diagnostic['severity'], code: Code, message: string, at?: SourcePos, detail?: string): Diagnostic {
  const d: Diagnostic = { severity, code, message };
  if (detail !== undefined) d.detail = detail;
  if (at) {
    d.file = at.file;
    d.line = at.line;
    d.column = at.column;
  }
  return d;
}

/** `file:line:column`, for naming a second place inside a message. */
export function where(at: SourcePos): string {
  return `${at.file}:${at.line}:${at.column}`;
}

const severityRank = { error: 0, warning: 1, info: 2 } as const;

/**
 * THE order of diagnostics, wherever they are shown (plan, validate, check, import, export, usage):
 * by place (file, line, column; those without a file first), then errors before warnings before
 * notes, then by code and message. Strings by code point, so the order is the same on every machine.
 */
export function orderDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      byCodePoint(a.file ?? '', b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      severityRank[a.severity] - severityRank[b.severity] ||
      byCodePoint(a.code, b.code) ||
      byCodePoint(a.message, b.message),
  );
}

/** Where a field's value is; else where its key is; else the document (for fields given as lists or maps). */
export function fieldAt<T>(declared: Declared<T>, path: string): SourcePos {
  return declared.positions[path] ?? declared.positions[`${path}#key`] ?? declared.source;
}

/** Where a field's key is; else its value; else the document. */
export function keyAt<T>(declared: Declared<T>, path: string): SourcePos {
  return declared.positions[`${path}#key`] ?? declared.positions[path] ?? declared.source;
}
