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
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { LedgerLine, LedgerRecord } from '../model/index.js';
import { isNotFound, listDir, removeIfPresent, replaceFileDurably, syncDir, tempSuffix } from './durable-fs.js';
import { appendLedgerLinesOnce, ledgerFileName } from './ledger-file.js';

/** The journal's file name in an org folder. */
export const journalFileName = '.journal.json';

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

/** The journal of an org folder, or undefined when there is none. */
export async function readJournal(orgDir: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(orgDir, journalFileName), 'utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const journal = JSON.parse(text) as Journal | JournalFormat1;
  if (!Array.isArray(journal?.replace) || !Array.isArray(journal.remove)) throw notAJournal(orgDir);
  if (journal.format === 1) {
    const { ledgerLine, ...rest } = journal;
    return { ...rest, format: 2, ledgerLines: ledgerLine ? [ledgerLine] : [] };
  }
  if (journal.format !== 2 || !Array.isArray(journal.ledgerLines)) throw notAJournal(orgDir);
  return journal;
}

function notAJournal(orgDir: string): Error {
  return new Error(`${path.join(orgDir, journalFileName)} is not a capctl journal`);
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
