// Checks across the files of one org's store, once each file has passed its schema: the things a
// schema cannot see. Pure: the file store reads, this judges. Linear in the size of the store.
import type { AppFile, OrgFile, OrgUser } from '../model/index.js';
import { Codes } from '../model/index.js';

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

/** An app file as read: its path relative to the org folder and its content. */
export interface ReadAppFile {
  file: string;
  app: AppFile;
}

/** The most sessions one user may hold for one app (R11: a sixth approval revokes the oldest). */
export const maxSessionsPerUserPerApp = 5;

/** Checks the store of one org as a whole; returns every problem found. */
export function checkStore(slug: string, org: OrgFile, users: readonly OrgUser[], apps: readonly ReadAppFile[]): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const profiles = new Set(org.profiles);
  const permissionSets = new Set(org.permissionSets);

  if (org.name !== slug) {
    problems.push({
      file: 'org.json',
      code: Codes.storeOrgNameMismatch,
      message: `org name "${org.name}" does not match its folder "${slug}"`,
      pointer: '/name',
    });
  }

  const usernames = new Set<string>();
  users.forEach((user, i) => {
    if (usernames.has(user.username)) {
      problems.push({ file: 'users.json', code: Codes.storeDuplicateUser, message: `user "${user.username}" is listed twice`, pointer: `/${i}/username` });
    }
    usernames.add(user.username);
    if (!profiles.has(user.profile)) {
      problems.push({
        file: 'users.json',
        code: Codes.storeUnknownProfile,
        message: `user "${user.username}" has profile "${user.profile}", which the org does not have (org.json profiles)`,
        pointer: `/${i}/profile`,
      });
    }
    user.permissionSets.forEach((set, j) => {
      if (!permissionSets.has(set)) {
        problems.push({
          file: 'users.json',
          code: Codes.storeUnknownPermissionSet,
          message: `user "${user.username}" has permission set "${set}", which the org does not have (org.json permissionSets)`,
          pointer: `/${i}/permissionSets/${j}`,
        });
      }
    });
  });

  const fileOfName = new Map<string, string>();
  for (const { file, app } of apps) {
    const expectedFile = `apps/${app.id}.json`;
    if (file !== expectedFile) {
      problems.push({ file, code: Codes.storeAppIdMismatch, message: `app id "${app.id}" does not match the file name (expected ${expectedFile})`, pointer: '/id' });
    }
    const other = fileOfName.get(app.name);
    if (other !== undefined) {
      problems.push({ file, code: Codes.storeDuplicateAppName, message: `app name "${app.name}" is also used by ${other}`, pointer: '/name' });
    } else {
      fileOfName.set(app.name, file);
    }
    checkPolicies(file, app, profiles, permissionSets, problems);
    checkSessions(file, app, usernames, problems);
  }
  return problems;
}

function checkPolicies(file: string, app: AppFile, profiles: Set<string>, permissionSets: Set<string>, problems: StoreProblem[]): void {
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

function checkSessions(file: string, app: AppFile, usernames: Set<string>, problems: StoreProblem[]): void {
  const perUser = new Map<string, number>();
  const sessions = app.sessions;
  for (let i = 0; i < sessions.length; i++) {
    const user = sessions[i]!.user;
    const count = (perUser.get(user) ?? 0) + 1;
    perUser.set(user, count);
    if (!usernames.has(user) && count === 1) {
      problems.push({
        file,
        code: Codes.storeUnknownSessionUser,
        message: `app "${app.name}" has a session of unknown user "${user}" (not in users.json)`,
        pointer: `/sessions/${i}/user`,
      });
    }
    if (count === maxSessionsPerUserPerApp + 1) {
      problems.push({
        file,
        code: Codes.storeTooManySessions,
        message: `user "${user}" holds more than ${maxSessionsPerUserPerApp} sessions of app "${app.name}" (R11: a sixth approval revokes the oldest)`,
        pointer: `/sessions/${i}`,
      });
    }
  }
}
