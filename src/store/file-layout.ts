// The layout of an org's folder under org-state/ (SPEC §4): the one module that knows the file
// names. Everything else — the file backend's other rooms, audit/ and cli/ — asks this module (or
// the StateFolder port it implements) instead of naming a file.
//
//   org-state/<org>/org.json        the org, its settings, profiles, permission sets, revision
//   org-state/<org>/users.json      its users
//   org-state/<org>/apps/<id>.json  one file per app the org lists, with its sessions
//   org-state/<org>/ledger.jsonl    capctl's ledger (not part of the snapshot digest)
//   org-state/<org>/.lock           who holds the org (lock-file.ts)
//   org-state/<org>/.journal.json   a decided change not yet fully carried out (journal.ts)
import path from 'node:path';
import type { ObservedApp, LedgerRecord, ObservedOrg, OrgSnapshot, StatePart } from '../model/index.js';
import type { StateFolder } from './org-store.js';

/** The org's own record. */
export const orgFileName = 'org.json';
/** The org's users. */
export const usersFileName = 'users.json';
/** The folder of the app files. */
export const appsDirName = 'apps';
/** The ledger, one JSON line per record. */
export const ledgerFileName = 'ledger.jsonl';
/** The lock of one org. */
export const lockFileName = '.lock';
/** A decided change not yet fully carried out. */
export const journalFileName = '.journal.json';

/** How a store holds its orgs, for a user whose store holds none (`storeName`: the store's folder as they named it). */
export function orgFolderLayout(storeName: string): string {
  return `each org is a folder ${storeName}/<org>/ with ${orgFileName}, ${usersFileName} and ${appsDirName}/`;
}

/** The path of one app's file, relative to the org folder. */
export function appFileName(id: string): string {
  return `${appsDirName}/${id}.json`;
}

/** The schema definition a store file is checked against. */
export type StoreFileKind = 'OrgFile' | 'UsersFile' | 'AppFile';

/** What a file of the snapshot holds: the org, the users, or one app. */
export function kindOfFile(rel: string): StoreFileKind {
  if (rel === orgFileName) return 'OrgFile';
  if (rel === usersFileName) return 'UsersFile';
  return 'AppFile';
}

/** The file (relative to the org folder) that holds a part of the state. */
export function fileOfPart(part: StatePart): string {
  return part.kind === 'org' ? orgFileName : part.kind === 'users' ? usersFileName : appFileName(part.appId);
}

/** Which part of the state a file (relative to the org folder) holds: undefined for the ledger, a lock, a journal or a file of no part. */
export function partOfFile(rel: string): StatePart | undefined {
  if (rel === orgFileName) return { kind: 'org' };
  if (rel === usersFileName) return { kind: 'users' };
  const app = /^apps\/([^/]+)\.json$/.exec(rel);
  return app && !app[1]!.startsWith('.') ? { kind: 'app', appId: app[1]! } : undefined;
}

/** Whether `rel` (relative to the org folder, `/` separators) is a file of the observed state: not the ledger, a lock, a journal or a temporary file. */
export function isStateFile(rel: string): boolean {
  if (rel === ledgerFileName || rel.endsWith(lockFileName) || rel.startsWith('.') || rel.includes('/.')) return false;
  return true;
}

/** The content of a state file in `snapshot`, as data (undefined when the snapshot has no such file). */
export function contentOfFile(rel: string, snapshot: Pick<OrgSnapshot, 'org' | 'users' | 'apps'>): ObservedOrg | OrgSnapshot['users'] | ObservedApp | undefined {
  if (rel === orgFileName) return snapshot.org;
  if (rel === usersFileName) return snapshot.users;
  const app = /^apps\/(.+)\.json$/.exec(rel);
  if (app) return snapshot.apps.find((a) => a.id === app[1]);
  return undefined;
}

/** The files a ledger line changed (an applied action or an observed line): its parts' files (a line written before parts were: the files it names). */
function filesOfLine(line: LedgerRecord): string[] {
  const { files, parts } = line.result as { files?: string[]; parts?: readonly StatePart[] };
  return [...(files ?? []), ...(parts ?? []).map(fileOfPart)];
}

/** The state folder of one org of the file store, as audit/ sees it. */
export function fileStateFolder(orgDir: string): StateFolder {
  return {
    dir: orgDir,
    ledger: ledgerFileName,
    entries: ['.', ledgerFileName, orgFileName, usersFileName, appsDirName],
    filesOf: (lines: readonly LedgerRecord[]) => [...new Set([...lines.flatMap(filesOfLine), ledgerFileName])],
    entryOf: fileOfPart,
    describe: partOfFile,
    isObserved: isStateFile,
    contentOf: contentOfFile,
  };
}

/**
 * A live org's action in flight (salesforce/live-org-store.ts): written before its first call to
 * the org, removed once its outcome is recorded, so that a run killed in between reads the org
 * back before anything else. Never committed, never holds a secret.
 */
export const liveIntentFileName = '.live-intent.json';

/** The folder of one org under the store's root. */
export function orgDirIn(root: string, org: string): string {
  return path.join(root, org);
}
