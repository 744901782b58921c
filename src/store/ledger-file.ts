// ledger.jsonl: one canonical-JSON line per applied action, appended and never rewritten. A
// process killed while appending can leave a torn last line; appending again (when a journal is
// rolled forward) repairs it first, and appends only the lines the ledger does not end with yet.
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { LedgerRecord } from '../model/index.js';
import { Codes } from '../model/index.js';
import { canonicalJson } from '../plan/digest.js';
import type { StoreProblem } from './check-store.js';
import { appendFlags, entryProblemOf, EntryProblem, openRegularHandle } from './store-entry.js';
import { checkAgainstSchema } from './schema-validators.js';
import { ledgerFileName } from './file-layout.js';

/** The ledger's file name in an org folder (file-layout.ts). */
export { ledgerFileName };

/** The text of one ledger line, newline included. */
export function formatLedgerLine(line: LedgerRecord): string {
  return `${canonicalJson(line)}\n`;
}

/** A ledger's lines, with the problems found; a torn (unterminated, unparsable) tail is reported apart. */
export interface ParsedLedger {
  lines: LedgerRecord[];
  problems: StoreProblem[];
  /** The text after the last newline when it is not a whole line (a torn write), and its line number. */
  tornTail?: { text: string; line: number };
}

/** Parses ledger.jsonl: each line JSON, valid against LedgerLine (or ObservedLine for `kind: observed`), with seq 1, 2, 3, … in order. */
export function parseLedger(text: string): ParsedLedger {
  const lines: LedgerRecord[] = [];
  const problems: StoreProblem[] = [];
  const segments = text.split('\n');
  const last = segments.pop() ?? '';
  let tornTail: ParsedLedger['tornTail'];
  if (last !== '') {
    if (parsesAsObject(last)) segments.push(last);
    else tornTail = { text: last, line: segments.length + 1 };
  }
  segments.forEach((segment, i) => {
    const lineNo = i + 1;
    const problem = (message: string, code: string = Codes.storeBadLedger): void => {
      problems.push({ file: ledgerFileName, code, message: `line ${lineNo}: ${message}`, line: lineNo, column: 1 });
    };
    let value: unknown;
    try {
      value = JSON.parse(segment);
    } catch (error) {
      problem(`not valid JSON (${(error as Error).message})`);
      return;
    }
    const observed = (value as { kind?: unknown } | null)?.kind === 'observed';
    const schemaProblems = checkAgainstSchema(observed ? 'ObservedLine' : 'LedgerLine', value);
    if (schemaProblems.length > 0) {
      problem(schemaProblems.map((p) => p.message.replace(/^the file: /, '')).join('; '));
      return;
    }
    const line = value as LedgerRecord;
    if (line.seq !== lines.length + 1) problem(`seq is ${line.seq}, expected ${lines.length + 1}`);
    lines.push(line);
  });
  return tornTail === undefined ? { lines, problems } : { lines, problems, tornTail };
}

function parsesAsObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * Appends `lines` (consecutive, as one decided change wrote them into its journal) to the ledger at
 * `file`, skipping those it already ends with, after repairing a torn last line: a tail that is a
 * whole JSON object only lost its newline and gets it back; any other tail is cut off. A ledger
 * that ends past these lines, or whose last line is not the one of the same seq here, is not this
 * change's: refused. Flushes the file before returning. Idempotent: returns how many were appended.
 */
export async function appendLedgerLinesOnce(file: string, lines: readonly LedgerRecord[]): Promise<number> {
  let handle;
  try {
    handle = await open(file, appendFlags);
  } catch (error) {
    throw entryProblemOf(path.dirname(file), ledgerFileName, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new EntryProblem(ledgerFileName, 'is not a regular file');
    const { size } = info;
    const { lastLine, tailStart } = await readTail(handle, size);
    let last = lastLine;
    if (tailStart < size) {
      const tail = (await readRange(handle, tailStart, size)).toString('utf8');
      if (parsesAsObject(tail)) {
        await handle.appendFile('\n');
        last = tail;
      } else {
        await handle.truncate(tailStart);
      }
    }
    const missing = linesAfter(last, lines);
    if (missing.length > 0) await handle.appendFile(missing.map(formatLedgerLine).join(''));
    await handle.sync();
    return missing.length;
  } finally {
    await handle.close();
  }
}

/**
 * Throws EntryProblem (of the journal) unless appendLedgerLinesOnce could append `lines` to the
 * ledger at `file`: they continue it, or it already ends with some of them. Writes nothing: a
 * journal is checked before any of its files is renamed.
 */
export async function assertLinesAppendable(file: string, lines: readonly LedgerRecord[], journalFile: string): Promise<void> {
  if (lines.length === 0) return;
  const handle = await openRegularHandle(path.dirname(file), ledgerFileName);
  let last: string | undefined;
  if (handle !== undefined) {
    try {
      const { size } = await handle.stat();
      const { lastLine, tailStart } = await readTail(handle, size);
      const tail = tailStart < size ? (await readRange(handle, tailStart, size)).toString('utf8') : '';
      last = parsesAsObject(tail) ? tail : lastLine;
    } finally {
      await handle.close();
    }
  }
  try {
    linesAfter(last, lines);
  } catch (error) {
    throw new EntryProblem(journalFile, `does not fit the ledger: ${(error as Error).message.replace(/^ledger: /, '')}`);
  }
}

/** Those of `lines` that come after the ledger's last line (undefined or '' when it has none). */
function linesAfter(lastLine: string | undefined, lines: readonly LedgerRecord[]): readonly LedgerRecord[] {
  if (lines.length === 0) return lines;
  const first = lines[0]!.seq;
  const last = lastLine === undefined || lastLine === '' ? undefined : (JSON.parse(lastLine) as Partial<LedgerRecord>);
  const lastSeq = typeof last?.seq === 'number' ? last.seq : 0;
  if (lastSeq < first - 1) throw new Error(`ledger: cannot append line ${first} after line ${lastSeq}`);
  if (lastSeq > lines.at(-1)!.seq) throw new Error(`ledger: cannot append lines ${first}-${lines.at(-1)!.seq} after line ${lastSeq}`);
  if (lastSeq >= first && lines[lastSeq - first]!.hash !== last?.hash) {
    throw new Error(`ledger: line ${lastSeq} is not the one this change wrote`);
  }
  return lines.slice(lastSeq - first + 1);
}

/**
 * Checks only the last line of the ledger (what the next apply chains onto), reading it from the
 * end of the file: cheap however long the ledger grows. Every line is checked by readLedger.
 * A torn tail is a problem unless a pending journal is about to repair it.
 */
export async function checkLedgerTail(file: string, repairPending: boolean): Promise<StoreProblem[]> {
  const handle = await openRegularHandle(path.dirname(file), ledgerFileName);
  if (handle === undefined) return [];
  let tail: string;
  let lastLine: string | undefined;
  try {
    const { size } = await handle.stat();
    const found = await readTail(handle, size);
    tail = (await readRange(handle, found.tailStart, size)).toString('utf8');
    lastLine = found.lastLine;
  } finally {
    await handle.close();
  }
  if (tail !== '' && !parsesAsObject(tail)) {
    if (repairPending) return [];
    return problemsAtEnd(file, 'incomplete (the file does not end with a whole line)');
  }
  const last = tail !== '' ? tail : lastLine;
  if (last === undefined) return [];
  const parsed = parseLedger(`${last}\n`);
  if (parsed.problems.length === 0 || parsed.problems.every((p) => /seq is \d+, expected 1$/.test(p.message))) return [];
  return problemsAtEnd(file, parsed.problems[0]!.message.replace(/^line 1: /, ''), tail === '' ? 1 : 0);
}

/** A problem of the ledger's last line, with its line number (counted only now that there is one). */
async function problemsAtEnd(file: string, message: string, fromEnd = 0): Promise<StoreProblem[]> {
  const handle = await openRegularHandle(path.dirname(file), ledgerFileName);
  const text = handle === undefined ? '' : await handle.readFile('utf8').finally(() => handle.close());
  const line = Math.max(1, text.split('\n').length - fromEnd);
  return [{ file: ledgerFileName, code: Codes.storeBadLedger, message: `line ${line}: ${message}`, line, column: 1 }];
}

const chunkSize = 64 * 1024;

/**
 * Finds, reading backwards from the end, where the text after the last newline starts (the tail,
 * empty when the file ends with a newline) and the last whole line before it.
 */
async function readTail(handle: Awaited<ReturnType<typeof open>>, size: number): Promise<{ lastLine: string | undefined; tailStart: number }> {
  let end = size;
  let buffered = Buffer.alloc(0);
  let tailStart: number | undefined;
  while (end > 0) {
    const start = Math.max(0, end - chunkSize);
    buffered = Buffer.concat([await readRange(handle, start, end), buffered]);
    end = start;
    const bufferStart = start;
    if (tailStart === undefined) {
      const nl = buffered.lastIndexOf(0x0a);
      if (nl === -1) continue;
      tailStart = bufferStart + nl + 1;
    }
    const lineEnd = tailStart - 1 - bufferStart;
    const before = lineEnd === 0 ? -1 : buffered.lastIndexOf(0x0a, lineEnd - 1);
    if (before !== -1 || bufferStart === 0) {
      return { lastLine: buffered.subarray(before + 1, lineEnd).toString('utf8'), tailStart };
    }
  }
  return { lastLine: undefined, tailStart: tailStart ?? 0 };
}

async function readRange(handle: Awaited<ReturnType<typeof open>>, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(end - start);
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer;
}
