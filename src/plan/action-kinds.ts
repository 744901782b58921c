// The action-kind registry: one row per kind of action (SPEC §6), holding everything that differs
// between kinds — its place in plan order, the permissions it requires, the words and symbol every
// view uses, and its transition. The rest of the code looks a kind up here and never switches on it.
// A new kind is: its value in the ActionKind enum (schemas/plan.schema.json), a row here, its
// transition (transition.ts), the draft function that plans it (draft-actions.ts) and one executor
// per backend (BackendExecutors).
import type { Action, ActionKind, ActionResult, ObservedApp, PermissionExpr, Values } from '../model/index.js';
import type { ActionGroup } from './ordering.js';
import {
  applyOrgSettings,
  blockApp,
  installApp,
  revokeSessions,
  setAssignments,
  setPolicies,
  TransitionError,
  uninstallApp,
  unblockApp,
  type AppTransition,
  type OrgData,
  type Transition,
  type TransitionResult,
} from './transition.js';

/** The verbs of the summary line and the apply commit's subject (`2 to update`, `update 2 apps`). */
export type ActionVerb = 'install' | 'update' | 'unblock' | 'revoke' | 'block' | 'uninstall';

/** The verbs counted by the summary line, in its order; sessions ended are counted on their own. */
export const summaryVerbs: readonly ActionVerb[] = ['install', 'update', 'unblock', 'block', 'uninstall'];

/** The colour a kind's symbol is painted in (a subset of render/color.ts). */
export type KindColor = 'green' | 'yellow' | 'red' | 'magenta';

/** What the past-tense line of an applied action is made of (render/applied-action.ts fills it in). */
export interface AppliedParts {
  /** The app's name, `(org)` for an org-wide action. */
  app: string;
  /** `: permittedUsers all-users → admin-approved`, or empty. */
  changes: string;
  /** `: ended 3 sessions of 2 users`, or empty. */
  ended: string;
  /** `3 sessions of 2 users`. */
  sessions: string;
  /** ` (INC-2041)` for a revocation, or empty. */
  revocation: string;
}

/** How a kind changes the org: one app, or the org as a whole. */
export type KindTransition = { scope: 'app'; apply: AppTransition } | { scope: 'org'; apply: (data: OrgData, action: Action) => Transition };

/** One kind of action. */
export interface ActionKindRow {
  /** Its group of SPEC §6; set-org-settings' depends on what it sets. */
  group: ActionGroup | ((after: Values | undefined) => ActionGroup);
  /** The permissions it requires (SPEC §6); `packaged`: whether the app is a packaged one. */
  requires: (packaged: boolean) => PermissionExpr;
  /** Its symbol and colour in plan views, and its word in their legend. */
  symbol: string;
  color: KindColor;
  label: string;
  /** What the title names besides the kind and the app (`revoke INC-2041 on Slack`). */
  detail?: (action: Action) => string;
  /** Its verb in the summary line and the commit subject. */
  verb: ActionVerb;
  /** How the commit subject counts it: the apps it changes, the sessions it ends, or the org's settings. */
  subject: 'apps' | 'sessions' | 'org';
  /** What its result is called when it changed something. */
  pastTense: Exclude<ActionResult['status'], 'skipped'>;
  /** The past-tense line of the applied action. */
  applied: (parts: AppliedParts) => string;
  /** Whether plan views show its before/after as a diff, and under which key (`policies:`). */
  diff?: { wrap?: string };
  /** What it does to an org. */
  transition: KindTransition;
  /**
   * On a connected org, whether the action on this app has no API (salesforce-api.md §2): the plan
   * marks it manual (manual-steps.ts) and apply stops before it. Absent: always through the API.
   */
  manualOnLiveOrg?: (app: ObservedApp) => boolean;
}

const manageApps: PermissionExpr = { allOf: ['CustomizeApplication', { anyOf: ['ModifyAllData', 'ManageRemoteAccess'] }] };
const manageAppsPackaged: PermissionExpr = { allOf: ['CustomizeApplication', { anyOf: ['ModifyAllData', 'ManageRemoteAccess'] }, 'InstallPackaging'] };
const modifyAll: PermissionExpr = { allOf: ['CustomizeApplication', 'ModifyAllData'] };
const usagePage: PermissionExpr = { allOf: ['ViewSetup', 'ManageUsers', 'CustomizeApplication', { anyOf: ['ModifyAllData', 'ManageRemoteAccess'] }] };

/** Reading the org (any plan, `usage`). */
export const readOrgRequires: PermissionExpr = { allOf: ['ViewSetup', 'ManageUsers'] };

/** How every update looks and reads: `~` in yellow, "update", "updated". */
const updating = { symbol: '~', color: 'yellow', label: 'update', verb: 'update', pastTense: 'updated' } as const;

/** A kind that acts on one app: its legend word is its verb unless said, the commit subject counts apps unless said. */
function appKind(row: Omit<ActionKindRow, 'label' | 'subject' | 'transition'> & Partial<Pick<ActionKindRow, 'label' | 'subject'>> & { apply: AppTransition }): ActionKindRow {
  const { apply, ...rest } = row;
  return { label: row.verb, subject: 'apps', ...rest, transition: { scope: 'app', apply } };
}

/** Installing or uninstalling needs InstallPackaging too for a packaged app; neither has an API on a live org. */
const packageStep = { requires: (packaged: boolean) => (packaged ? manageAppsPackaged : manageApps), manualOnLiveOrg: () => true } as const;

/**
 * Every kind, in the order of the ActionKind enum (the plan summary's key order). Block, unblock and
 * revoke are actions of the usage page, for which the seed names no permission of their own: their
 * `requires` is the project's choice.
 */
export const actionKinds: { readonly [K in ActionKind]: ActionKindRow } = {
  'set-org-settings': {
    ...updating,
    group: (after) => (after?.adminApprovedAppsOnly === false ? 'allowlisting-off' : after?.adminApprovedAppsOnly === true ? 'allowlisting-on' : 'org-settings'),
    requires: () => modifyAll,
    subject: 'org',
    applied: (p) => `updated org settings${p.changes}${p.ended}`,
    diff: {},
    transition: { scope: 'org', apply: applyOrgSettings },
  },
  install: appKind({ ...packageStep, group: 'install', symbol: '+', color: 'green', verb: 'install', pastTense: 'installed', applied: (p) => `installed ${p.app}`, apply: installApp }),
  uninstall: appKind({
    ...packageStep,
    group: 'uninstall',
    symbol: '-',
    color: 'red',
    verb: 'uninstall',
    pastTense: 'uninstalled',
    applied: (p) => `uninstalled ${p.app}${p.ended}`,
    apply: uninstallApp,
  }),
  'set-policies': appKind({ ...updating, group: 'policies', requires: () => manageApps, applied: (p) => `updated policies of ${p.app}${p.changes}${p.ended}`, diff: { wrap: 'policies' }, apply: setPolicies }),
  'set-assignments': appKind({ ...updating, group: 'policies', requires: () => modifyAll, applied: (p) => `updated assignments of ${p.app}${p.changes}${p.ended}`, diff: { wrap: 'policies' }, apply: setAssignments }),
  block: appKind({
    group: 'block',
    requires: () => usagePage,
    symbol: 'x',
    color: 'red',
    verb: 'block',
    pastTense: 'blocked',
    applied: (p) => `blocked ${p.app}${p.ended}`,
    apply: blockApp,
    // A block (BlacklistedConsumer) names the app's consumer key: no API shows it for an app known
    // only from its tokens, nor for an external client app (salesforce-api.md §2).
    manualOnLiveOrg: (app) => app.derivedId === true || app.type === 'ExternalClientApp',
  }),
  unblock: appKind({ group: 'unblock', requires: () => usagePage, symbol: 'o', color: 'green', verb: 'unblock', pastTense: 'unblocked', applied: (p) => `unblocked ${p.app}`, apply: unblockApp }),
  revoke: appKind({
    group: 'revoke',
    requires: () => readOrgRequires,
    symbol: '!',
    color: 'magenta',
    label: 'revoke sessions',
    detail: (action) => action.revocation?.id ?? '',
    verb: 'revoke',
    subject: 'sessions',
    pastTense: 'revoked',
    applied: (p) => `revoked ${p.sessions} of ${p.app}${p.revocation}`,
    apply: revokeSessions,
  }),
};

/** Every action kind, in the order of the ActionKind enum. */
export const allActionKinds = Object.keys(actionKinds) as ActionKind[];

/**
 * One executor per kind for a backend (the file store's in src/store/action-change.ts): the type
 * makes a backend that lacks a kind's executor fail to compile. plan/ never imports a backend.
 */
export type BackendExecutors<Executor> = { readonly [K in ActionKind]: Executor };

/** The group of SPEC §6 an action belongs to. */
export function kindGroup(action: Pick<Action, 'kind' | 'after'>): ActionGroup {
  const group = actionKinds[action.kind].group;
  return typeof group === 'function' ? group(action.after) : group;
}

/**
 * Carries out one action on org data. Touches only the affected app, except allowlisting on.
 * `indexOf` may tell where an app is in `data.apps` (apply carries out hundreds of actions on
 * 10,000 apps whose order never changes); a wrong answer only costs a search.
 */
export function transitionOf(data: OrgData, action: Action, indexOf?: (id: string) => number | undefined): Transition {
  const transition = actionKinds[action.kind].transition;
  if (transition.scope === 'org') return transition.apply(data, action);
  const hinted = action.app !== undefined ? indexOf?.(action.app.id) : undefined;
  const index = hinted !== undefined && data.apps[hinted]?.id === action.app?.id ? hinted : data.apps.findIndex((app) => app.id === action.app?.id);
  if (index < 0) throw new TransitionError(`${action.kind}: the org lists no app with id ${action.app?.id ?? '(none)'}`);
  const { app, result } = transition.apply(data.apps[index]!, action);
  if (result.status === 'skipped') return { next: data, result, changed: { org: false, apps: [] } };
  const apps = data.apps.slice();
  apps[index] = app;
  return { next: { ...data, apps }, result, changed: { org: false, apps: [app.id] } };
}

/** Carries out an app action (a kind whose transition has the scope of one app) on that app alone. */
export function transitionApp(app: ObservedApp, action: Action): { app: ObservedApp; result: TransitionResult } {
  const transition = actionKinds[action.kind].transition;
  if (transition.scope !== 'app') throw new TransitionError(`${action.kind} is not an app action`);
  return transition.apply(app, action);
}

/** `block Dropbox`, `set-org-settings`: an action's kind and the app it acts on. */
export function actionName(action: Pick<Action, 'kind' | 'app'>): string {
  return action.app ? `${action.kind} ${action.app.name}` : action.kind;
}

/** `block Dropbox`, `revoke INC-2041 on Slack`, `set-org-settings`: what every view and message calls an action. */
export function actionTitle(action: Action): string {
  const detail = actionKinds[action.kind].detail;
  if (detail) return `${action.kind} ${detail(action)} on ${action.app?.name ?? ''}`.replace('  ', ' ');
  return actionName(action);
}
