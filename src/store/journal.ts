// The commit journal: how several file replacements, removals and the ledger lines of one or more
// actions become ONE atomic change of an org folder.
//
// Invariant: whenever `.journal.json` exists in an org folder, the change it describes is decided
// and every temporary file it names either still exists (complete and flushed) or has already been
// renamed over its target. Rolling it forward (rename what is left, remove what it removes, append
// its ledger lines the ledger does not end with yet, delete the journal) is idempotent, so a
// process killed at any point leaves a store that the next lock holder (or a reader, in memory)
// finishes to exactly the new state. Before the journal exists, the change has not happened: its
// temporary files are garbage that recovery deletes. The journal itself appears atomically (temp,
// fsync, rename, fsync the folder): its rename is the commit point.
import { closeSync, readFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import type { LedgerLine, LedgerRecord } from '../model/index.js';
import { Codes } from '../model/index.js';
import { checkAgainstSchema } from './schema-validators.js';
import { describeRecordedPath, entryProblemOf, EntryProblem, isSnapshotFile, isTempFor, openRegularFile } from './store-entry.js';
import { isNotFound, listDir, removeIfPresent, replaceFileDurably, syncDir, tempSuffix } from './durable-fs.js';
import { appendLedgerLinesOnce } from './ledger-file.js';
import { journalFileName, ledgerFileName } from './file-layout.js';

/** The journal's file name in an org folder (file-layout.ts). */
export { journalFileName };

/** A decided change of an org folder; paths are relative to it. */
export interface Journal {
  format: 2;
  /** Files to replace: each complete temporary file and the target it is renamed over. */
  replace: { path: string; temp: string }[];
  /** Files to remove. */
  remove: string[];
  /** The ledger lines of the change, consecutive (none for a change that is not an action). */
  ledgerLines: LedgerRecord[];
}

/** A journal as capctl 0.1 wrote it (one ledger line at most): still rolled forward after an upgrade. */
interface JournalFormat1 {
  format: 1;
  replace: { path: string; temp: string }[];
  remove: string[];
  ledgerLine?: LedgerLine;
}

/** The steps of a commit, in order, for tests that stop a process at each of them. */
export type CommitStep = 'temps-written' | 'journal-written' | 'file-replaced' | 'files-removed' | 'ledger-appended' | 'journal-removed';

/** Called after each step of a commit (a test seam: a crash test kills the process here). */
export type CommitStepHook = (step: CommitStep) => void;

/**
 * The journal of an org folder, or undefined when there is none. Only a journal capctl could have
 * written is returned: every path in it is a file of the store's layout (org.json, users.json,
 * apps/<id>.json) and every temporary file one the store names for its target, in the same folder;
 * anything else (an absolute path, `..`, another file) throws EntryProblem, and nothing it names is
 * touched. A journal is committed by a pull request as easily as any file.
 */
export async function readJournal(orgDir: string): Promise<Journal | undefined> {
  const fd = openRegularFile(orgDir, journalFileName);
  if (fd === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(fd, 'utf8');
  } catch (error) {
    throw entryProblemOf(orgDir, journalFileName, error);
  } finally {
    closeSync(fd);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw notAJournal('is not JSON');
  }
  const journal = parsed as Partial<Journal> | Partial<JournalFormat1> | null;
  if (journal === null || typeof journal !== 'object' || !Array.isArray(journal.replace) || !Array.isArray(journal.remove)) throw notAJournal('is not a capctl journal');
  journal.replace.forEach((entry: unknown, i) => {
    const { path: target, temp } = (entry ?? {}) as { path?: unknown; temp?: unknown };
    if (typeof target !== 'string' || !isSnapshotFile(target)) throw outside(`replace[${i}].path is ${describeRecordedPath(target)}, not a file of the store`);
    if (typeof temp !== 'string' || !isTempFor(target, temp)) throw outside(`replace[${i}].temp is ${describeRecordedPath(temp)}, not a temporary file of the store for ${target}`);
  });
  journal.remove.forEach((target: unknown, i) => {
    if (typeof target !== 'string' || !isSnapshotFile(target)) throw outside(`remove[${i}] is ${describeRecordedPath(target)}, not a file of the store`);
  });
  let lines: unknown[];
  if (journal.format === 1) {
    const { ledgerLine } = journal as Partial<JournalFormat1>;
    lines = ledgerLine ? [ledgerLine] : [];
  } else if (journal.format === 2 && Array.isArray((journal as Partial<Journal>).ledgerLines)) {
    lines = (journal as Journal).ledgerLines;
  } else {
    throw notAJournal('is not a capctl journal');
  }
  lines.forEach((line, i) => {
    const observed = (line as { kind?: unknown } | null)?.kind === 'observed';
    const problems = checkAgainstSchema(observed ? 'ObservedLine' : 'LedgerLine', line);
    if (problems.length > 0) throw notAJournal(`has a ledger line ${i + 1} that is not one: ${problems[0]!.message.replace(/^the file: /, '')}`);
  });
  return { format: 2, replace: journal.replace as Journal['replace'], remove: journal.remove as string[], ledgerLines: lines as LedgerRecord[] };
}

function notAJournal(problem: string): EntryProblem {
  return new EntryProblem(journalFileName, problem);
}

function outside(problem: string): EntryProblem {
  return new EntryProblem(journalFileName, problem, Codes.storeOutsidePath);
}

/** Writes the journal atomically and durably: from here on, the change is decided. */
export async function writeJournal(orgDir: string, journal: Journal): Promise<void> {
  await replaceFileDurably(path.join(orgDir, journalFileName), `${JSON.stringify(journal)}\n`);
}

/** Carries out a decided change to the end and deletes its journal. Safe to run again after a crash. */
export async function rollForward(orgDir: string, journal: Journal, hook?: CommitStepHook): Promise<void> {
  const touched = new Set<string>();
  for (const { path: target, temp } of journal.replace) {
    try {
      await rename(path.join(orgDir, temp), path.join(orgDir, target));
    } catch (error) {
      // Already renamed by the run that was killed: the target holds the new content.
      if (!isNotFound(error)) throw error;
    }
    touched.add(path.dirname(path.join(orgDir, target)));
    hook?.('file-replaced');
  }
  for (const target of journal.remove) {
    await removeIfPresent(path.join(orgDir, target));
    touched.add(path.dirname(path.join(orgDir, target)));
  }
  for (const dir of touched) await syncDir(dir);
  hook?.('files-removed');
  if (journal.ledgerLines.length > 0) {
    await appendLedgerLinesOnce(path.join(orgDir, ledgerFileName), journal.ledgerLines);
    hook?.('ledger-appended');
  }
  await removeIfPresent(path.join(orgDir, journalFileName));
  await syncDir(orgDir);
  hook?.('journal-removed');
}

/** Deletes temporary files left by a change that never reached its journal; returns how many. */
export async function removeOrphanTemps(orgDir: string, subdirs: readonly string[]): Promise<number> {
  let removed = 0;
  for (const dir of [orgDir, ...subdirs.map((d) => path.join(orgDir, d))]) {
    for (const name of await listDir(dir)) {
      if (name.endsWith(tempSuffix) && (await removeIfPresent(path.join(dir, name)))) removed++;
    }
  }
  return removed;
}
