// The ledger: one hash-chained line per applied action, and one per refresh that recorded changes
// made outside capctl (`kind: observed`, SPEC §8). Each line's `hash` is sha256 over the canonical
// JSON of the line without `hash`, and `prev` is the previous line's hash (`genesis` for the
// first), so that changing, removing or reordering any line breaks the chain at that line. Pure:
// the store reads and appends the lines, this file only builds and checks them.
import type { Action, ActionResult, LedgerLine, LedgerRecord, ObservedChanges, ObservedLine, StatePart } from '../model/index.js';
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

/** Whether a ledger line records changes made outside capctl (a refresh) rather than an applied action. */
export function isObservedLine(line: LedgerRecord): line is ObservedLine {
  return (line as Partial<ObservedLine>).kind === 'observed';
}

/**
 * Whether an action of `planDigest` carried out after the ledger's `lines` opens an apply: the
 * last applied-action line before it (observed lines skipped) is not of its plan. A later run of
 * the same apply, or one resumed after a partial failure recorded as an observed line, goes on
 * with the apply it belongs to.
 */
export function opensApply(lines: readonly LedgerRecord[], planDigest: string): boolean {
  const lastApplied = lines.findLast((line): line is LedgerLine => !isObservedLine(line));
  return lastApplied === undefined || lastApplied.plan !== planDigest;
}

/**
 * The store's revision: a function of the ledger, the same for every backend. `base` is the
 * revision the state folder was made with (org.json's `revision`, which no apply writes); each
 * apply the ledger records raises it by one, once, at the line that opens it (`opensApply`).
 * Lines that carry `result.files` were written by capctl before the revision came from the ledger,
 * which raised org.json's revision itself as it wrote them: they are counted in `base` already, so
 * a state folder written by it goes on from the revision it shows, never jumping.
 */
export function storeRevision(base: number, lines: readonly LedgerRecord[]): number {
  let revision = base;
  let lastPlan: string | undefined;
  for (const line of lines) {
    if (isObservedLine(line)) continue;
    if (line.plan !== lastPlan && line.result.files === undefined) revision += 1;
    lastPlan = line.plan;
  }
  return revision;
}

/** The applied-action lines of a ledger, in order. */
export function appliedLines(lines: readonly LedgerRecord[]): LedgerLine[] {
  return lines.filter((line): line is LedgerLine => !isObservedLine(line));
}

/** The hash a ledger line must carry: sha256 over its canonical JSON without `hash`. */
export function hashLedgerLine(line: Omit<LedgerLine, 'hash'> | Omit<ObservedLine, 'hash'> | LedgerRecord): string {
  const { hash: _hash, ...rest } = line as LedgerRecord;
  return digestOf(rest);
}

/** What a refresh contributes to its ledger line; seq, prev and hash are derived. */
export interface ObservedEntry {
  at: string;
  actor: string;
  observed: ObservedChanges;
  storeDigest: string;
  /** The parts of the state that changed, when known (never files: the state folder maps them to its entries). */
  parts?: StatePart[];
}

/** The observed line that follows `previous` (or starts the ledger when there is none). */
export function nextObservedLine(previous: LedgerRecord | undefined, entry: ObservedEntry): ObservedLine {
  const unhashed: Omit<ObservedLine, 'hash'> = {
    seq: previous ? previous.seq + 1 : 1,
    at: entry.at,
    actor: entry.actor,
    kind: 'observed',
    observed: entry.observed,
    result: { storeDigest: entry.storeDigest, ...(entry.parts ? { parts: entry.parts } : {}) },
    prev: previous ? previous.hash : GENESIS,
  };
  return { ...unhashed, hash: hashLedgerLine(unhashed) };
}

/** The line that follows `previous` (or starts the ledger when there is none). */
export function nextLedgerLine(previous: LedgerRecord | undefined, entry: LedgerEntry): LedgerLine {
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
export function verifyChain(lines: readonly LedgerRecord[]): ChainBreak | undefined {
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
 * far when its apply was interrupted (or finished). An observed line ends them.
 */
export function trailingLinesOfPlan(lines: readonly LedgerRecord[], planDigest: string): LedgerLine[] {
  let start = lines.length;
  while (start > 0 && isLineOfPlan(lines[start - 1]!, planDigest)) start -= 1;
  return lines.slice(start) as LedgerLine[];
}

/** Every line of one plan, wherever it is in the ledger. */
export function linesOfPlan(lines: readonly LedgerRecord[], planDigest: string): LedgerLine[] {
  return lines.filter((line): line is LedgerLine => isLineOfPlan(line, planDigest));
}

function isLineOfPlan(line: LedgerRecord, planDigest: string): line is LedgerLine {
  return !isObservedLine(line) && line.plan === planDigest;
}
