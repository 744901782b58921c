// The actions a plan needs, before their effects are counted: one per difference between the
// target state and the org, each with why it is needed, the values it changes and where it is
// declared. Simulation (simulate.ts) then orders them, counts their effects and drops the ones
// that turn out to change nothing.
import {
  type ActionKind,
  type ObservedApp,
  type Declared,
  type Diagnostic,
  type NameChanges,
  type ObservedPolicies,
  type Reason,
  type RevocationDoc,
  type SourcePos,
  type Values,
} from '../model/index.js';
import { fieldAt } from './diagnostic.js';
import { byCodePoint, sortedNames } from './names.js';
import { groupRank, type OrderKey } from './ordering.js';
import type { PlanContext } from './plan-context.js';
import { noteRevocationCovered } from './rules/revocations.js';
import { unmanagedAppsSource } from './rules/unmanaged.js';
import type { AppTarget } from './targets.js';
import { installDefaults } from './transition.js';

/** An action before simulation: what it changes and why, not yet what it costs. */
export interface DraftAction {
  order: OrderKey;
  kind: ActionKind;
  /** The app as the org has it now (absent for org settings). */
  app?: ObservedApp;
  revocation?: Declared<RevocationDoc>;
  /** Ids of the revocations this block or uninstall covers (R9), so the audit trail still names them. */
  covers?: string[];
  /** Why, as data: render/reason-text.ts says it in words, with the effects simulation counts. */
  reason: Reason;
  before?: Values;
  after?: Values;
  source?: SourcePos;
  /** How this action narrows the app's access compared with the org today (R13). */
  narrows?: Narrowing;
}

/** The ways an action narrows an app's access, which the protectedApps guard refuses (R13). */
export type Narrowing =
  | { by: 'block'; unmanaged: boolean }
  | { by: 'uninstall' }
  | { by: 'permitted-users' }
  | { by: 'assignments'; removed: { profiles: string[]; permissionSets: string[] } };

/** A revocation whose references check out, with the org's app it names. */
export interface RevocationTarget {
  decl: Declared<RevocationDoc>;
  app: ObservedApp;
}

/** Every action the targets need, unordered, and the notes about revocations they cover. */
export function draftActions(
  ctx: PlanContext,
  targets: readonly AppTarget[],
  revocations: readonly RevocationTarget[],
  unmanagedBlocks: readonly ObservedApp[],
): { drafts: DraftAction[]; diagnostics: Diagnostic[] } {
  const drafts: DraftAction[] = [...draftOrgSettings(ctx)];
  for (const target of targets) drafts.push(...draftApp(target));
  for (const app of unmanagedBlocks) drafts.push(draftUnmanagedBlock(app, ctx));

  const ending = new Map<string, DraftAction>();
  for (const d of drafts) if (d.app && (d.kind === 'block' || d.kind === 'uninstall') && !ending.has(d.app.id)) ending.set(d.app.id, d);
  const diagnostics: Diagnostic[] = [];
  for (const revocation of revocations) {
    const by = ending.get(revocation.app.id);
    if (by) {
      diagnostics.push(noteRevocationCovered(revocation.decl, by.kind as 'block' | 'uninstall'));
      by.covers = [...(by.covers ?? []), revocation.decl.doc.id];
    } else {
      drafts.push(draftRevocation(revocation));
    }
  }
  return { drafts, diagnostics };
}

function key(kind: ActionKind, app: string, step = 0, revocation = '', after?: Values): OrderKey {
  return { rank: groupRank({ kind, after }), app, step, revocation };
}

function draftOrgSettings(ctx: PlanContext): DraftAction[] {
  const decl = ctx.settings.decl;
  if (!decl) return [];
  const org = ctx.observed.org.settings;
  const drafts: DraftAction[] = [];
  const target = ctx.settings;

  if (target.adminApprovedAppsOnly !== org.adminApprovedAppsOnly) {
    const on = target.adminApprovedAppsOnly;
    const after = { adminApprovedAppsOnly: on };
    drafts.push({
      order: key('set-org-settings', '', 0, '', after),
      kind: 'set-org-settings',
      reason: { code: on ? 'allowlisting-on' : 'allowlisting-off', params: {} },
      before: { adminApprovedAppsOnly: !on },
      after,
      source: fieldAt(decl, 'adminApprovedAppsOnly'),
    });
  }

  const changed = (Object.keys(target.oauthFlows) as (keyof typeof target.oauthFlows)[])
    .filter((k) => target.oauthFlows[k] !== org.oauthFlows[k])
    .sort(byCodePoint);
  if (changed.length > 0) {
    const before: Record<string, boolean> = {};
    const after: Record<string, boolean> = {};
    for (const k of changed) {
      before[k] = org.oauthFlows[k];
      after[k] = target.oauthFlows[k];
    }
    drafts.push({
      order: key('set-org-settings', ''),
      kind: 'set-org-settings',
      reason: { code: 'oauth-flows-differ', params: { fields: changed } },
      before: { oauthFlows: before },
      after: { oauthFlows: after },
      source: fieldAt(decl, `oauthFlows.${changed[0]}`),
    });
  }
  return drafts;
}

function draftApp(target: AppTarget): DraftAction[] {
  const { app, decl } = target;
  const name = app.name;
  const drafts: DraftAction[] = [];

  if (target.installed && !app.installed) {
    drafts.push({
      order: key('install', name),
      kind: 'install',
      app,
      reason: { code: 'declared-installed', params: { deniedAttempts: app.deniedAttempts, packaged: app.packaged } },
      before: { installed: false },
      after: { installed: true },
      source: fieldAt(decl, 'installed'),
    });
  }

  if (target.installed && target.policies) drafts.push(...draftPolicies(target));

  if (!target.blocked && app.blocked) {
    drafts.push({
      order: key('unblock', name),
      kind: 'unblock',
      app,
      reason: { code: 'declared-unblocked', params: {} },
      before: { blocked: true },
      after: { blocked: false },
      source: fieldAt(decl, 'blocked'),
    });
  }
  if (target.blocked && !app.blocked) {
    drafts.push({
      order: key('block', name),
      kind: 'block',
      app,
      reason: { code: 'declared-blocked', params: {} },
      before: { blocked: false },
      after: { blocked: true },
      source: fieldAt(decl, 'blocked'),
      narrows: { by: 'block', unmanaged: false },
    });
  }
  if (!target.installed && app.installed) {
    drafts.push({
      order: key('uninstall', name),
      kind: 'uninstall',
      app,
      reason: { code: 'declared-uninstalled', params: {} },
      before: { installed: true },
      after: { installed: false },
      source: fieldAt(decl, 'installed'),
      narrows: { by: 'uninstall' },
    });
  }
  return drafts;
}

const policyFields = ['permittedUsers', 'ipRelaxation', 'refreshTokenPolicy'] as const;
const assignmentFields = ['profiles', 'permissionSets'] as const;

function draftPolicies(target: AppTarget): DraftAction[] {
  const { app, decl } = target;
  const wanted = target.policies!;
  const installedNow = app.installed && app.policies !== undefined;
  const base: ObservedPolicies = installedNow ? app.policies! : installDefaults();
  const from = installedNow ? 'org' : 'install';
  const drafts: DraftAction[] = [];

  const changedPolicies = policyFields.filter((f) => wanted[f] !== base[f]);
  const changedAssignments = assignmentFields.filter((f) => !sameSet(wanted[f], base[f]));
  const toAdminApproved = wanted.permittedUsers === 'admin-approved' && base.permittedUsers === 'all-users';
  // Narrowing to admin-approved: set the assignments first so that no moment leaves the app with
  // nobody pre-authorized; widening: open the app first, then drop the assignments.
  const policyStep = toAdminApproved ? 1 : 0;

  if (changedPolicies.length > 0) {
    const before: Values = {};
    const after: Values = {};
    for (const f of changedPolicies) {
      before[f] = base[f];
      after[f] = wanted[f];
    }
    drafts.push({
      order: key('set-policies', app.name, policyStep),
      kind: 'set-policies',
      app,
      reason: { code: 'policies-differ', params: { from, fields: [...changedPolicies] } },
      before,
      after,
      source: fieldAt(decl, `policies.${changedPolicies[0]}`),
      narrows: installedNow && toAdminApproved ? { by: 'permitted-users' } : undefined,
    });
  }

  if (changedAssignments.length > 0) {
    const before: Values = {};
    const after: Values = {};
    const changes: NameChanges[] = [];
    const removed = { profiles: [] as string[], permissionSets: [] as string[] };
    for (const f of changedAssignments) {
      before[f] = sortedNames(base[f]);
      after[f] = sortedNames(wanted[f]);
      const added = wanted[f].filter((n) => !base[f].includes(n));
      const gone = base[f].filter((n) => !wanted[f].includes(n));
      changes.push({ field: f, added: sortedNames(added), removed: sortedNames(gone) });
      removed[f].push(...gone);
    }
    drafts.push({
      order: key('set-assignments', app.name, 1 - policyStep),
      kind: 'set-assignments',
      app,
      reason: { code: 'assignments-differ', params: { from, changes } },
      before,
      after,
      source: fieldAt(decl, `policies.${changedAssignments[0]}`),
      narrows:
        installedNow && wanted.permittedUsers === 'admin-approved' && removed.profiles.length + removed.permissionSets.length > 0
          ? { by: 'assignments', removed }
          : undefined,
    });
  }
  return drafts;
}

function draftUnmanagedBlock(app: ObservedApp, ctx: PlanContext): DraftAction {
  return {
    order: key('block', app.name),
    kind: 'block',
    app,
    reason: { code: 'unmanaged-block', params: {} },
    before: { blocked: false },
    after: { blocked: true },
    source: unmanagedAppsSource(ctx),
    narrows: { by: 'block', unmanaged: true },
  };
}

function draftRevocation({ decl, app }: RevocationTarget): DraftAction {
  const { doc } = decl;
  return {
    order: key('revoke', app.name, 0, doc.id),
    kind: 'revoke',
    app,
    revocation: decl,
    reason: { code: 'revocation', params: {} },
    source: decl.source,
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x)) && set.size === new Set(b).size;
}
