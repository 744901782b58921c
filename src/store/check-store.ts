// Checks across the files of one org's store, once each file has passed its schema: the things a
// schema cannot see. Pure: the file store reads, this judges. Linear in the size of the store.
import type { ObservedApp, ObservedOrg, OrgUser } from '../model/index.js';
import { Codes } from '../model/index.js';
import { appFileName, orgFileName, usersFileName } from './file-layout.js';
import { byCodePoint } from '../plan/names.js';

/** A problem of the store: the file (relative to the org folder), where in it, and what. */
export interface StoreProblem {
  file: string;
  code: string;
  message: string;
  /** JSON pointer into the file, when the problem sits at one place in it. */
  pointer?: string;
  /** Where in the file, once located (1-based). */
  line?: number;
  column?: number;
}

/** The most sessions one user may hold for one app (R11: a sixth approval revokes the oldest). */
const maxSessionsPerUserPerApp = 5;

/**
 * Checks the store of one org as a whole, one app at a time: the file store checks each app as soon
 * as it is parsed, while its objects are still in the processor's caches, in whatever order files
 * arrive. Problems come out sorted by file, so the order of arrival never shows.
 */
export class StoreChecker {
  private readonly problems: StoreProblem[] = [];
  private readonly profiles: Set<string>;
  private readonly permissionSets: Set<string>;
  // Username → index: one hash lookup per session finds the user and its counter at once.
  private readonly userIndex = new Map<string, number>();
  private readonly sessionCounts: SessionCounts;
  private readonly filesOfName = new Map<string, string[]>();

  constructor(slug: string, org: ObservedOrg, users: readonly OrgUser[]) {
    const problems = this.problems;
    this.profiles = new Set(org.profiles);
    this.permissionSets = new Set(org.permissionSets);
    if (org.name !== slug) {
      problems.push({
        file: orgFileName,
        code: Codes.storeOrgNameMismatch,
        message: `org name "${org.name}" does not match its folder "${slug}"`,
        pointer: '/name',
      });
    }
    users.forEach((user, i) => {
      if (this.userIndex.has(user.username)) {
        problems.push({ file: usersFileName, code: Codes.storeDuplicateUser, message: `user "${user.username}" is listed twice`, pointer: `/${i}/username` });
      } else {
        this.userIndex.set(user.username, i);
      }
      if (!this.profiles.has(user.profile)) {
        problems.push({
          file: usersFileName,
          code: Codes.storeUnknownProfile,
          message: `user "${user.username}" has profile "${user.profile}", which the org does not have (org.json profiles)`,
          pointer: `/${i}/profile`,
        });
      }
      user.permissionSets.forEach((set, j) => {
        if (!this.permissionSets.has(set)) {
          problems.push({
            file: usersFileName,
            code: Codes.storeUnknownPermissionSet,
            message: `user "${user.username}" has permission set "${set}", which the org does not have (org.json permissionSets)`,
            pointer: `/${i}/permissionSets/${j}`,
          });
        }
      });
    });
    this.sessionCounts = new SessionCounts(users.length);
  }

  /** Checks one app file (already valid against its schema). */
  checkApp(file: string, app: ObservedApp): void {
    const expectedFile = appFileName(app.id);
    if (file !== expectedFile) {
      this.problems.push({ file, code: Codes.storeAppIdMismatch, message: `app id "${app.id}" does not match the file name (expected ${expectedFile})`, pointer: '/id' });
    }
    const files = this.filesOfName.get(app.name);
    if (files) files.push(file);
    else this.filesOfName.set(app.name, [file]);
    checkPolicies(file, app, this.profiles, this.permissionSets, this.problems);
    checkSessions(file, app, this.userIndex, this.sessionCounts, this.problems);
  }

  /** Every problem found, sorted by file (problems of one file in the order found). */
  finish(): StoreProblem[] {
    for (const [name, files] of this.filesOfName) {
      if (files.length < 2) continue;
      const [first, ...others] = files.sort();
      for (const file of others) {
        this.problems.push({ file, code: Codes.storeDuplicateAppName, message: `app name "${name}" is also used by ${first}`, pointer: '/name' });
      }
    }
    return [...this.problems].sort(compareProblemFiles);
  }
}

/**
 * Orders problems by file: org.json, users.json, then the rest by path. Array sort is stable, so
 * one file's problems keep the order they were found in.
 */
export function compareProblemFiles(a: StoreProblem, b: StoreProblem): number {
  return fileRank(a.file) - fileRank(b.file) || byCodePoint(a.file, b.file);
}

function fileRank(file: string): number {
  return file === orgFileName ? 0 : file === usersFileName ? 1 : 2;
}

function checkPolicies(file: string, app: ObservedApp, profiles: Set<string>, permissionSets: Set<string>, problems: StoreProblem[]): void {
  if (app.installed && app.policies === undefined) {
    problems.push({ file, code: Codes.storePoliciesMismatch, message: `app "${app.name}" is installed but has no policies`, pointer: '/installed' });
  }
  if (!app.installed && app.policies !== undefined) {
    problems.push({
      file,
      code: Codes.storePoliciesMismatch,
      message: `app "${app.name}" is not installed but has policies (only an installed app has policies)`,
      pointer: '/policies',
    });
  }
  if (app.policies === undefined) return;
  app.policies.profiles.forEach((profile, i) => {
    if (!profiles.has(profile)) {
      problems.push({
        file,
        code: Codes.storeUnknownProfile,
        message: `app "${app.name}" is assigned profile "${profile}", which the org does not have (org.json profiles)`,
        pointer: `/policies/profiles/${i}`,
      });
    }
  });
  app.policies.permissionSets.forEach((set, i) => {
    if (!permissionSets.has(set)) {
      problems.push({
        file,
        code: Codes.storeUnknownPermissionSet,
        message: `app "${app.name}" is assigned permission set "${set}", which the org does not have (org.json permissionSets)`,
        pointer: `/policies/permissionSets/${i}`,
      });
    }
  });
}

/** Sessions per user of one app, by user index; reset touches only the users counted. */
class SessionCounts {
  private readonly counts: Uint8Array;
  private readonly touched: number[] = [];

  constructor(users: number) {
    this.counts = new Uint8Array(users);
  }

  /** Counts one more session of the user; returns the new count (saturating at 255). */
  add(index: number): number {
    const count = this.counts[index]!;
    if (count === 0) this.touched.push(index);
    if (count < 255) this.counts[index] = count + 1;
    return count + 1;
  }

  reset(): void {
    for (const index of this.touched) this.counts[index] = 0;
    this.touched.length = 0;
  }
}

function checkSessions(file: string, app: ObservedApp, userIndex: Map<string, number>, counts: SessionCounts, problems: StoreProblem[]): void {
  const unknown = new Set<string>();
  const sessions = app.sessions;
  for (let i = 0; i < sessions.length; i++) {
    const user = sessions[i]!.user;
    const index = userIndex.get(user);
    if (index === undefined) {
      if (!unknown.has(user)) {
        unknown.add(user);
        problems.push({
          file,
          code: Codes.storeUnknownSessionUser,
          message: `app "${app.name}" has a session of unknown user "${user}" (not in users.json)`,
          pointer: `/sessions/${i}/user`,
        });
      }
      continue;
    }
    if (counts.add(index) === maxSessionsPerUserPerApp + 1) {
      problems.push({
        file,
        code: Codes.storeTooManySessions,
        message: `user "${user}" holds more than ${maxSessionsPerUserPerApp} sessions of app "${app.name}" (R11: a sixth approval revokes the oldest)`,
        pointer: `/sessions/${i}`,
      });
    }
  }
  counts.reset();
}
