// The folders of the file store: which orgs `org-state/` holds, one org's folder checked to exist
// and be readable, and how a problem of its entries is reported (a malformed store naming each
// file, every message under the root as the user named it).
import { accessSync, constants } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Codes, InputError, StoreError, type Diagnostic } from '../model/index.js';
import { compareProblemFiles, type StoreProblem } from './check-store.js';
import { isNotFound } from './durable-fs.js';
import { appsDirName, journalFileName, ledgerFileName } from './file-layout.js';
import { readJournal, type Journal } from './journal.js';
import { assertLinesAppendable } from './ledger-file.js';
import { assertLayoutFolder, EntryProblem } from './store-entry.js';
import { count as countOf } from '../plan/count.js';

/** Default folder of the file store, relative to the working directory. */
export const defaultOrgStateDir = 'org-state';

const orgSlugPattern = /^[a-z0-9][a-z0-9-]*$/;
/** At most this many problems become diagnostics (and get a line and column). */
export const maxDiagnostics = 100;

/** The store's root folder and the org folders in it. */
export class OrgFolders {
  /** @param root the org-state folder, as the user named it: messages show file paths under it. */
  constructor(readonly root: string) {}

  /** The org slugs the store holds (its sub-folders), sorted. */
  async listOrgs(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw new StoreError(`no org store at ${this.root} (give its folder with --org-state DIR)`);
      }
      throw error;
    }
    return entries
      .filter((e) => e.isDirectory() && orgSlugPattern.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  /** The folder of one org, checked to exist. */
  async existingOrgDir(org: string): Promise<string> {
    if (!orgSlugPattern.test(org)) {
      throw new InputError(`"${org}" is not an org slug (lower-case letters, digits and dashes, e.g. acme-prod)`);
    }
    const orgDir = this.orgDir(org);
    let isDir = false;
    try {
      isDir = (await stat(orgDir)).isDirectory();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (!isDir) {
      const orgs = await this.listOrgs();
      const known = orgs.length > 0 ? `the store has: ${orgs.join(', ')}` : 'the store has no orgs';
      throw new StoreError(`no org "${org}" in ${this.root} (${known})`);
    }
    try {
      accessSync(orgDir, constants.R_OK | constants.X_OK);
    } catch {
      throw new StoreError(`the org store ${orgDir} cannot be read (permission denied): its folder must be readable`);
    }
    await this.storeCall(org, () => assertLayoutFolder(orgDir, appsDirName));
    return orgDir;
  }

  /** The folder of one org (not checked). */
  orgDir(org: string): string {
    return path.join(this.root, org);
  }

  /** The command that removes a lock left behind, as the user would type it. */
  unlockCommand(org: string, id: string): string {
    const root = path.normalize(this.root);
    const flag = root === defaultOrgStateDir ? '' : ` --org-state ${/^[\w./-]+$/.test(root) ? root : JSON.stringify(root)}`;
    return `capctl unlock ${org} ${id}${flag}`;
  }

  /** The org's pending journal, checked against its ledger; a malformed store when it cannot be read. */
  async readJournalOrFail(org: string, orgDir: string): Promise<Journal | undefined> {
    try {
      const journal = await readJournal(orgDir);
      if (journal !== undefined) await assertLinesAppendable(path.join(orgDir, ledgerFileName), journal.ledgerLines, journalFileName);
      return journal;
    } catch (error) {
      if (error instanceof EntryProblem) throw this.malformed(org, [problemOf(error)]);
      throw this.malformed(org, [{ file: journalFileName, code: Codes.storeMalformed, message: `unreadable journal: ${(error as Error).message}` }]);
    }
  }

  /** Runs `fn`, turning an entry the store cannot read (EntryProblem) into a malformed store. */
  async storeCall<T>(org: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof EntryProblem) throw this.malformed(org, [problemOf(error)]);
      throw error;
    }
  }

  /** The StoreError of a malformed org store: every problem (up to 100), each naming its file. */
  malformed(org: string, problems: StoreProblem[]): StoreError {
    const orgDir = this.orgDir(org);
    const sorted = [...problems].sort(compareProblemFiles);
    const diagnostics: Diagnostic[] = sorted.slice(0, maxDiagnostics).map((p) => ({
      severity: 'error',
      code: p.code,
      message: p.message,
      file: path.join(orgDir, p.file),
      ...(p.line !== undefined ? { line: p.line, column: p.column ?? 1 } : {}),
    }));
    if (problems.length > maxDiagnostics) {
      diagnostics.push({ severity: 'error', code: Codes.storeMalformed, message: `and ${problems.length - maxDiagnostics} more problems`, file: orgDir });
    }
    const count = countOf(problems.length, 'problem');
    return new StoreError(`the org store ${orgDir} is malformed (${count}); nothing was written`, diagnostics);
  }
}

/** A store problem from an entry the store cannot read. */
export function problemOf(error: EntryProblem): StoreProblem {
  return { file: error.rel, code: error.code, message: error.message };
}
