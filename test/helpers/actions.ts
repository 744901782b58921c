// Small builders of plan actions and ledger lines, for tests on plain data.
import type { Action, ActionKind, ActionResult, LedgerLine, LedgerRecord } from '../../src/model/index.js';
import { isObservedLine, nextLedgerLine } from '../../src/apply/ledger.js';
import { requiredFor } from '../../src/plan/permissions.js';

const zeroDigest = `sha256:${'0'.repeat(64)}`;

/** A plan action of `kind` on app `name` (id derived from the name), with optional overrides. */
export function action(seq: number, kind: ActionKind, name?: string, extra: Partial<Action> = {}): Action {
  return {
    seq,
    kind,
    ...(name ? { app: { name, id: name.replace(/[^A-Za-z0-9]/g, '').padEnd(18, 'A').slice(0, 18) } } : {}),
    reason: `declared ${kind}`,
    requires: requiredFor(kind),
    effects: { sessionsEnded: 0, usersAffected: 0 },
    ...extra,
  };
}

/** A result with the given status and counts. */
export function result(status: ActionResult['status'], sessionsEnded = 0, usersAffected = 0, storeDigest = zeroDigest): ActionResult {
  return { status, sessionsEnded, usersAffected, storeDigest };
}

/** A hash-chained ledger of one plan's actions and results, by `actor`. */
export function ledgerOf(plan: string, steps: [Action, ActionResult][], actor = 'ci-bot@acme.example', previous: LedgerLine[] = []): LedgerLine[] {
  const lines = [...previous];
  for (const [a, r] of steps) lines.push(nextLedgerLine(lines.at(-1), { at: '2026-11-28T10:00:00.000Z', actor, plan, action: a, result: r }));
  return lines;
}

/** `sha256:` and 64 copies of a hex digit: a recognisable fake digest. */
export function fakeDigest(digit: string): string {
  return `sha256:${digit.repeat(64)}`;
}

/** A ledger read back, as lines of applied actions: throws when one is an observed line (a refresh nobody expected). */
export function appliedOnly(lines: readonly LedgerRecord[]): LedgerLine[] {
  const observed = lines.find(isObservedLine);
  if (observed) throw new Error(`ledger line ${observed.seq} is an observed line, not an applied action`);
  return lines as LedgerLine[];
}
