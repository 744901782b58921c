// One order of diagnostics for every command: by place, then errors before warnings and notes, then
// by code and message; strings by code point (the same on every machine, whatever the locale).
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/model/index.js';
import { orderDiagnostics } from '../../src/plan/diagnostic.js';

const d = (severity: Diagnostic['severity'], file: string | undefined, line: number, code: string, message = 'm'): Diagnostic => ({
  severity,
  code: code as Diagnostic['code'],
  message,
  ...(file === undefined ? {} : { file, line, column: 1 }),
});

describe('orderDiagnostics', () => {
  it('orders by place first, then errors before warnings and notes at the same place', () => {
    const ordered = orderDiagnostics([d('info', 'a.yaml', 1, 'CAP100'), d('error', 'z.yaml', 9, 'CAP100'), d('warning', 'a.yaml', 1, 'CAP200'), d('error', 'a.yaml', 1, 'CAP300')]);
    expect(ordered.map((x) => `${x.file}:${x.severity}`)).toEqual(['a.yaml:error', 'a.yaml:warning', 'a.yaml:info', 'z.yaml:error']);
  });

  it('orders places, codes and messages by code point, not by locale', () => {
    const ordered = orderDiagnostics([
      d('error', 'a.yaml', 1, 'CAP101'),
      d('error', 'B.yaml', 1, 'CAP101'),
      d('error', 'B.yaml', 1, 'CAP101', 'b'),
      d('error', 'B.yaml', 1, 'CAP101', 'B'),
      d('error', undefined, 0, 'CAP101'),
      d('error', 'a.yaml', 10, 'CAP101'),
      d('error', 'a.yaml', 2, 'CAP101'),
    ]);
    expect(ordered.map((x) => `${x.file ?? '-'}:${x.line ?? 0}:${x.message}`)).toEqual(['-:0:m', 'B.yaml:1:B', 'B.yaml:1:b', 'B.yaml:1:m', 'a.yaml:1:m', 'a.yaml:2:m', 'a.yaml:10:m']);
  });

  it('does not change its input', () => {
    const input = [d('warning', 'a.yaml', 1, 'CAP200'), d('error', 'a.yaml', 1, 'CAP100')];
    orderDiagnostics(input);
    expect(input.map((x) => x.severity)).toEqual(['warning', 'error']);
  });
});
