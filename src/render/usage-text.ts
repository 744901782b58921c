// The usage page as text: an aligned table, rendered in pieces (heading, chunks of rows, footer)
// so that a page of 10,000 apps is printed as it is computed. Column widths come from a layout
// computed up front from what is cheap to know for every app (names, access labels, and upper
// bounds of the counts), never from a second pass over the sessions. Pure.
// When the desired state declares who answers for the apps (owner, vendor, criticality), the table
// ends with a column for each of those fields that some listed app declares, and no other.
import type { ObservedApp, UsageAccess, UsageAppRow, UsageOrgRef, UsageTotals, UserUsage } from '../model/index.js';
import { paint } from './color.js';
import { escapeControls } from './escape-text.js';
import { count } from './plan-words.js';
import { ownershipFields, type UsageOwnership } from './usage-rows.js';

/** One of the declared columns the apps table ends with, and its width. */
export interface DeclaredColumn {
  field: (typeof ownershipFields)[number];
  width: number;
}

/** Column widths of the apps table. */
export interface UsageTableLayout {
  name: number;
  access: number;
  users: number;
  sessions: number;
  denied: number;
  /** The declared columns, after DENIED: only the fields some listed app declares (none without a desired state). */
  declared?: readonly DeclaredColumn[];
}

const gap = '  ';
/** What the DENIED column shows when the org does not show denied attempts (a live org): never 0. */
const unknownDenied = '?';
const typeWidth = 'ExternalClientApp'.length;
const headings = { name: 'APP', type: 'TYPE', installed: 'INSTALLED', blocked: 'BLOCKED', access: 'ACCESS', users: 'USERS', sessions: 'SESSIONS', denied: 'DENIED' };
const declaredHeadings = { owner: 'OWNER', vendor: 'VENDOR', criticality: 'CRITICALITY' };
/** What a declared column shows for an app whose declaration leaves the field out (or that no file declares). */
const notDeclared = '-';

/**
 * Widths for the apps table, from every app's name, its access label and its session count (an
 * upper bound of users and sessions shown); and, given what the desired state declares (by app
 * name), a column for each declared field that some listed app has.
 */
export function usageTableLayout(apps: readonly ObservedApp[], accesses: readonly UsageAccess[], ownership?: ReadonlyMap<string, UsageOwnership>): UsageTableLayout {
  let name = headings.name.length;
  let access = headings.access.length;
  let maxSessions = 0;
  let maxDenied = 0;
  apps.forEach((app, i) => {
    name = Math.max(name, escapeControls(app.name).length);
    access = Math.max(access, accesses[i]!.label.length);
    maxSessions = Math.max(maxSessions, app.sessions.length);
    maxDenied = Math.max(maxDenied, app.deniedAttempts ?? 0);
  });
  const digits = (n: number): number => String(n).length;
  const declared = declaredColumns(apps, ownership);
  return {
    name,
    access,
    users: Math.max(headings.users.length, digits(maxSessions)),
    sessions: Math.max(headings.sessions.length, digits(maxSessions)),
    denied: Math.max(headings.denied.length, digits(maxDenied), unknownDenied.length),
    ...(declared.length > 0 ? { declared } : {}),
  };
}

function declaredColumns(apps: readonly ObservedApp[], ownership: ReadonlyMap<string, UsageOwnership> | undefined): DeclaredColumn[] {
  if (!ownership || ownership.size === 0) return [];
  const widths = new Map<DeclaredColumn['field'], number>();
  for (const app of apps) {
    const declared = ownership.get(app.name);
    if (!declared) continue;
    for (const field of ownershipFields) {
      const value = declared[field];
      if (value !== undefined) widths.set(field, Math.max(widths.get(field) ?? declaredHeadings[field].length, escapeControls(value).length));
    }
  }
  return ownershipFields.filter((f) => widths.has(f)).map((field) => ({ field, width: widths.get(field)! }));
}

/** The declared cells of a row (or the headings), the last one unpadded: no line ends in spaces. */
function declaredCells(columns: readonly DeclaredColumn[] | undefined, cell: (field: DeclaredColumn['field']) => string): string[] {
  return (columns ?? []).map((c, i, all) => (i === all.length - 1 ? cell(c.field) : cell(c.field).padEnd(c.width)));
}

/** The title of the apps page (and the blank line after it): printed as soon as the org is known. */
export function renderUsageTitle(org: UsageOrgRef, appCount: number): string {
  return `Connected Apps OAuth Usage: ${org.name} (${org.id}), ${count(appCount, 'app')}\n\n`;
}

/** The column headings of the apps table. */
export function renderUsageColumns(layout: UsageTableLayout): string {
  const header = [
    headings.name.padEnd(layout.name),
    headings.type.padEnd(typeWidth),
    headings.installed,
    headings.blocked,
    headings.access.padEnd(layout.access),
    headings.users.padStart(layout.users),
    headings.sessions.padStart(layout.sessions),
    headings.denied.padStart(layout.denied),
    ...declaredCells(layout.declared, (field) => declaredHeadings[field]),
  ].join(gap);
  return `${header}\n`;
}

/** Rows of the apps table, one line per app. */
export function renderUsageRows(rows: readonly UsageAppRow[], layout: UsageTableLayout, options: { color: boolean }): string {
  let out = '';
  for (const row of rows) {
    const blocked = row.blocked ? paint('yes'.padEnd(headings.blocked.length), 'red', options.color) : 'no'.padEnd(headings.blocked.length);
    out += `${[
      escapeControls(row.name).padEnd(layout.name),
      row.type.padEnd(typeWidth),
      (row.installed ? 'yes' : 'no').padEnd(headings.installed.length),
      blocked,
      row.access.label.padEnd(layout.access),
      String(row.users).padStart(layout.users),
      String(row.sessions).padStart(layout.sessions),
      (row.deniedAttempts === null ? unknownDenied : String(row.deniedAttempts)).padStart(layout.denied),
      ...declaredCells(layout.declared, (field) => (row[field] === undefined ? notDeclared : escapeControls(row[field]))),
    ].join(gap)}\n`;
  }
  return out;
}

/**
 * The closing lines of the apps page: totals and what is not shown; and, when the table has
 * declared columns, where they come from (`desired`: the folder they were read from).
 */
export function renderUsageFooter(totals: UsageTotals, declared?: { desired: string; layout: UsageTableLayout }): string {
  const columns = declared?.layout.declared ?? [];
  const names = columns.map((c, i) => (i === 0 ? c.field[0]!.toUpperCase() + c.field.slice(1) : c.field));
  const from =
    declared && names.length > 0
      ? `${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`}: as declared in ${escapeControls(declared.desired)} (${notDeclared}: not declared).\n`
      : '';
  return (
    `\n${count(totals.apps, 'app')} (${totals.installed} installed, ${totals.blocked} blocked); ` +
    `${count(totals.sessions, 'session')} of ${count(totals.users, 'user')} shown.\n` +
    from +
    `${hiddenLine(totals.usernamePasswordSessionsHidden)}\n` +
    (totals.unknownFlowSessions ? `${unknownFlowLine(totals.unknownFlowSessions)}\n` : '')
  );
}

/** The line about sessions whose flow the org does not show: they are shown, and R10 cannot be judged for them. */
export function unknownFlowLine(unknown: number): string {
  return (
    `Flow unknown: ${count(unknown, 'session')} (the org does not show a session's flow), shown above; ` +
    `whether any is a username-password session cannot be judged (R10).`
  );
}

/** The line about username-password sessions, which the usage page leaves out (R10). */
export function hiddenLine(hidden: number): string {
  return `Not shown: ${count(hidden, 'username-password session')} (one-time tokens, which the usage page leaves out: R10).`;
}

/** Column widths of an app's users table. */
export interface UserTableLayout {
  username: number;
  firstUsed: number;
  lastUsed: number;
  uses: number;
}

const userHeadings = { username: 'USER', firstUsed: 'FIRST USED', lastUsed: 'LAST USED', uses: 'USES', sessions: 'SESSIONS', flows: 'FLOWS' };

/** Widths for an app's users table. */
export function userTableLayout(users: readonly UserUsage[]): UserTableLayout {
  const layout = {
    username: userHeadings.username.length,
    firstUsed: userHeadings.firstUsed.length,
    lastUsed: userHeadings.lastUsed.length,
    uses: userHeadings.uses.length,
  };
  for (const u of users) {
    layout.username = Math.max(layout.username, escapeControls(u.username).length);
    layout.firstUsed = Math.max(layout.firstUsed, u.firstUsed.length);
    layout.lastUsed = Math.max(layout.lastUsed, u.lastUsed.length);
    layout.uses = Math.max(layout.uses, String(u.totalUses).length);
  }
  return layout;
}

/** What the app page says about the app before its users. */
export function renderAppUsageHeading(org: UsageOrgRef, row: UsageAppRow, layout: UserTableLayout): string {
  const state = `${row.installed ? 'installed' : 'not installed'}, ${row.blocked ? 'blocked' : 'not blocked'}`;
  const admits = row.access.kind === 'admin-approved' || row.access.kind === 'blocked' ? '' : ` (${count(row.access.users, 'active user')} may use it)`;
  const header = [
    userHeadings.username.padEnd(layout.username),
    userHeadings.firstUsed.padEnd(layout.firstUsed),
    userHeadings.lastUsed.padEnd(layout.lastUsed),
    userHeadings.uses.padStart(layout.uses),
    userHeadings.sessions,
    userHeadings.flows,
  ].join(gap);
  return (
    `${escapeControls(row.name)} (${row.id}) in ${org.name}: ${row.type}${row.packaged ? ', packaged' : ''}, ${state}\n` +
    `Access: ${row.access.label}${admits}\n` +
    ownershipLine(row) +
    `Shown: ${count(row.sessions, 'session')} of ${count(row.users, 'user')}; denied attempts: ${row.deniedAttempts === null ? 'not observed' : row.deniedAttempts}\n\n` +
    (row.users > 0 ? `${header}\n` : '')
  );
}

/** `Owner: …; vendor: …; criticality: …` with what the app's declaration says (nothing when it says none of them). */
function ownershipLine(row: UsageAppRow): string {
  const parts = ownershipFields.flatMap((field) => (row[field] === undefined ? [] : [`${field}: ${escapeControls(row[field])}`]));
  if (parts.length === 0) return '';
  const line = parts.join('; ');
  return `${line[0]!.toUpperCase()}${line.slice(1)}\n`;
}

/** Rows of an app's users table, one line per user. */
export function renderAppUserRows(users: readonly UserUsage[], layout: UserTableLayout): string {
  let out = '';
  for (const u of users) {
    out += `${[
      escapeControls(u.username).padEnd(layout.username),
      u.firstUsed.padEnd(layout.firstUsed),
      u.lastUsed.padEnd(layout.lastUsed),
      String(u.totalUses).padStart(layout.uses),
      String(u.sessions).padStart(userHeadings.sessions.length),
      u.flows.join(', '),
    ].join(gap)}\n`;
  }
  return out;
}

/** The closing lines of an app page (`unknown`: its sessions whose flow the org does not show). */
export function renderAppUsageFooter(userCount: number, hidden: number, unknown = 0): string {
  return `${userCount === 0 ? 'No sessions shown.\n' : ''}\n${hiddenLine(hidden)}\n${unknown > 0 ? `${unknownFlowLine(unknown)}\n` : ''}`;
}
