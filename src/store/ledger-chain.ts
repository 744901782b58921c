// The ledger: one hash-chained line per applied action (SPEC §8). Each line's `hash` is sha256
// over the canonical JSON of the line without `hash`, and `prev` is the previous line's hash
// (`genesis` for the first), so that changing, removing or reordering any line breaks the chain
// at that line. Pure: the store reads and appends the lines, this file only builds and checks them.
import type { Action, ActionResult, LedgerLine } from '../model/index.js';
import { digestOf } from '../plan/digest.js';

/** `prev` of the first line of a ledger. */
export const GENESIS = 'genesis';

/** What an applied action contributes to its ledger line; seq, prev and hash are derived. */
export interface LedgerEntry {
  at: string;
  actor: string;
  plan: string;
  action: Action;
  result: ActionResult;
}

/** The hash a ledger line must carry: sha256 over its canonical JSON without `hash`. */
export function hashLedgerLine(line: Omit<LedgerLine, 'hash'> | LedgerLine): string {
  const { hash: _hash, ...rest } = line as LedgerLine;
  return digestOf(rest);
}

/** The line that follows `previous` (or starts the ledger when there is none). */
export function nextLedgerLine(previous: LedgerLine | undefined, entry: LedgerEntry): LedgerLine {
  const unhashed: Omit<LedgerLine, 'hash'> = {
    seq: previous ? previous.seq + 1 : 1,
    at: entry.at,
    actor: entry.actor,
    plan: entry.plan,
    action: entry.action,
    result: entry.result,
    prev: previous ? previous.hash : GENESIS,
  };
  return { ...unhashed, hash: hashLedgerLine(unhashed) };
}

/** Where a ledger's chain breaks: the 1-based line number, the seq it carries, and why. */
export interface ChainBreak {
  line: number;
  seq: number;
  reason: string;
}

/**
 * Checks a whole ledger: sequence numbers 1, 2, 3…, each `prev` the hash before it, each `hash`
 * the hash of its own line. Returns the first line that breaks the chain, or undefined.
 */
export function verifyChain(lines: readonly LedgerLine[]): ChainBreak | undefined {
  let prevHash = GENESIS;
  for (const [index, line] of lines.entries()) {
    const at = { line: index + 1, seq: line.seq };
    if (line.seq !== index + 1) return { ...at, reason: `seq is ${line.seq}, expected ${index + 1}` };
    if (line.prev !== prevHash) {
      return { ...at, reason: `prev is ${line.prev}, but the line before it hashes to ${prevHash}` };
    }
    const expected = hashLedgerLine(line);
    if (line.hash !== expected) {
      return { ...at, reason: `hash is ${line.hash}, but the line's content hashes to ${expected} (the line was changed after it was written)` };
    }
    prevHash = line.hash;
  }
  return undefined;
}

/**
 * The lines at the end of a ledger that belong to one plan, in order: the work a plan has done so
 * far when its apply was interrupted (or finished).
 */
export function trailingLinesOfPlan(lines: readonly LedgerLine[], planDigest: string): LedgerLine[] {
  let start = lines.length;
  while (start > 0 && lines[start - 1]!.plan === planDigest) start -= 1;
  return lines.slice(start);
}

/** Every line of one plan, wherever it is in the ledger. */
export function linesOfPlan(lines: readonly LedgerLine[], planDigest: string): LedgerLine[] {
  return lines.filter((line) => line.plan === planDigest);
}
