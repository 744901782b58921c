// The actions a plan needs, before their effects are counted: one per difference between the
// target state and the org, each with why it is needed, the values it changes and where it is
// declared. Simulation (simulate.ts) then orders them, counts their effects and drops the ones
// that turn out to change nothing.
import {
  type ActionKind,
  type AppFile,
  type Declared,
  type Diagnostic,
  type Effects,
  type ObservedPolicies,
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
  app?: AppFile;
  revocation?: Declared<RevocationDoc>;
  /** Ids of the revocations this block or uninstall covers (R9), so the audit trail still names them. */
  covers?: string[];
  /** Why; a function when the reason quotes the effects (counted by simulation). */
  reason: string | ((effects: Effects) => string);
  before?: Values;
  after?: Values;
  source?: SourcePos;
  /** How this action narrows the app's access compared with the org today (R13). */
  narrows?: string;
  /** Whether the action comes from unmanagedApps: block rather than a declaration. */
  unmanaged?: boolean;
}

/** A revocation whose references check out, with the org's app it names. */
export interface RevocationTarget {
  decl: Declared<RevocationDoc>;
  app: AppFile;
}

/** Every action the targets need, unordered, and the notes about revocations they cover. */
export function draftActions(
  ctx: PlanContext,
  targets: readonly AppTarget[],
  revocations: readonly RevocationTarget[],
  unmanagedBlocks: readonly AppFile[],
): { drafts: DraftAction[]; diagnostics: Diagnostic[] } {
  const drafts: DraftAction[] = [...draftOrgSettings(ctx)];
  for (const target of targets) drafts.push(...draftApp(target, ctx));
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
  const slug = ctx.observed.slug;

  if (target.adminApprovedAppsOnly !== org.adminApprovedAppsOnly) {
    const on = target.adminApprovedAppsOnly;
    const after = { adminApprovedAppsOnly: on };
    drafts.push({
      order: key('set-org-settings', '', 0, '', after),
      kind: 'set-org-settings',
      reason: on
        ? `OrgSettings declares adminApprovedAppsOnly: true and API client allowlisting is off in ${slug}. Turning it on comes last, ` +
          `once the apps to keep are installed and admin-approved: every other app is then blocked org-wide.`
        : `OrgSettings declares adminApprovedAppsOnly: false and API client allowlisting is on in ${slug}. Turning it off comes first, ` +
          `so that apps it blocked org-wide (and not blocked themselves) may be used again before anything else changes.`,
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
      reason: `OrgSettings declares OAuth flow settings that differ from ${slug}: ${changed.map((k) => `${k} ${org.oauthFlows[k]} → ${target.oauthFlows[k]}`).join(', ')}.`,
      before: { oauthFlows: before },
      after: { oauthFlows: after },
      source: fieldAt(decl, `oauthFlows.${changed[0]}`),
    });
  }
  return drafts;
}

function draftApp(target: AppTarget, ctx: PlanContext): DraftAction[] {
  const { app, decl } = target;
  const name = app.name;
  const slug = ctx.observed.slug;
  const drafts: DraftAction[] = [];

  if (target.installed && !app.installed) {
    const denied = app.deniedAttempts > 0 ? ` (it denied ${app.deniedAttempts} ${app.deniedAttempts === 1 ? 'attempt' : 'attempts'} to use it)` : '';
    drafts.push({
      order: key('install', name),
      kind: 'install',
      app,
      reason:
        `"${name}" is declared installed: true, but ${slug} has no local copy of it${denied}. Installing gives it the default ` +
        `policies (all users may self-authorize, ipRelaxation ENFORCE, refreshTokenPolicy infinite), which the declared policies then change` +
        `${app.packaged ? '; it is a packaged app, so installing also needs Download AppExchange Packages' : ''}.`,
      before: { installed: false },
      after: { installed: true },
      source: fieldAt(decl, 'installed'),
    });
  }

  if (target.installed && target.policies) drafts.push(...draftPolicies(target, ctx));

  if (!target.blocked && app.blocked) {
    drafts.push({
      order: key('unblock', name),
      kind: 'unblock',
      app,
      reason: `"${name}" is declared blocked: false, but ${slug} blocks it. Unblocking lets the users its policies permit authorize it again.`,
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
      reason: (effects) => `"${name}" is declared blocked: true. ${blockingEnds(effects)}`,
      before: { blocked: false },
      after: { blocked: true },
      source: fieldAt(decl, 'blocked'),
      narrows: 'blocks it',
    });
  }
  if (!target.installed && app.installed) {
    drafts.push({
      order: key('uninstall', name),
      kind: 'uninstall',
      app,
      reason: (effects) => `"${name}" is declared installed: false. ${uninstallingRemoves(effects)}`,
      before: { installed: true },
      after: { installed: false },
      source: fieldAt(decl, 'installed'),
      narrows: 'uninstalls it',
    });
  }
  return drafts;
}

const policyFields = ['permittedUsers', 'ipRelaxation', 'refreshTokenPolicy'] as const;
const assignmentFields = ['profiles', 'permissionSets'] as const;

function draftPolicies(target: AppTarget, ctx: PlanContext): DraftAction[] {
  const { app, decl } = target;
  const wanted = target.policies!;
  const installedNow = app.installed && app.policies !== undefined;
  const base: ObservedPolicies = installedNow ? app.policies! : installDefaults();
  const from = installedNow ? `${ctx.observed.slug} has` : 'installing gives';
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
      reason:
        `"${app.name}" declares policies that differ from what ${from}: ` +
        `${changedPolicies.map((f) => `${f} ${base[f]} → ${wanted[f]}`).join(', ')}.`,
      before,
      after,
      source: fieldAt(decl, `policies.${changedPolicies[0]}`),
      narrows: installedNow && toAdminApproved ? 'narrows permittedUsers from all-users to admin-approved' : undefined,
    });
  }

  if (changedAssignments.length > 0) {
    const before: Values = {};
    const after: Values = {};
    const parts: string[] = [];
    const removed: string[] = [];
    for (const f of changedAssignments) {
      before[f] = sortedNames(base[f]);
      after[f] = sortedNames(wanted[f]);
      const added = wanted[f].filter((n) => !base[f].includes(n));
      const gone = base[f].filter((n) => !wanted[f].includes(n));
      const label = f === 'profiles' ? 'profiles' : 'permission sets';
      const change = [added.length > 0 ? `adds ${sortedNames(added).join(', ')}` : '', gone.length > 0 ? `removes ${sortedNames(gone).join(', ')}` : '']
        .filter(Boolean)
        .join('; ');
      parts.push(`${label}: ${change}`);
      removed.push(...gone.map((n) => `${f === 'profiles' ? 'profile' : 'permission set'} ${n}`));
    }
    drafts.push({
      order: key('set-assignments', app.name, 1 - policyStep),
      kind: 'set-assignments',
      app,
      reason: `"${app.name}" declares the profiles and permission sets to pre-authorize, which differ from what ${from}: ${parts.join('; ')}.`,
      before,
      after,
      source: fieldAt(decl, `policies.${changedAssignments[0]}`),
      narrows:
        installedNow && wanted.permittedUsers === 'admin-approved' && removed.length > 0
          ? `removes the assignment of ${sortedNames(removed).join(', ')}`
          : undefined,
    });
  }
  return drafts;
}

function draftUnmanagedBlock(app: AppFile, ctx: PlanContext): DraftAction {
  return {
    order: key('block', app.name),
    kind: 'block',
    app,
    reason: (effects) => `"${app.name}" is declared by no file and unmanagedApps is block. ${blockingEnds(effects)}`,
    before: { blocked: false },
    after: { blocked: true },
    source: unmanagedAppsSource(ctx),
    narrows: 'blocks it (unmanagedApps: block)',
    unmanaged: true,
  };
}

function draftRevocation({ decl, app }: RevocationTarget): DraftAction {
  const { doc } = decl;
  const whose = doc.users === 'all' ? 'all users' : doc.users.length <= 3 ? sortedNames(doc.users).join(', ') : `${doc.users.length} listed users`;
  return {
    order: key('revoke', app.name, 0, doc.id),
    kind: 'revoke',
    app,
    revocation: decl,
    reason: `Revocation ${doc.id} ("${doc.reason}") ends the sessions of ${whose} on "${app.name}" created before ${doc.issuedBefore}.`,
    source: decl.source,
  };
}

function blockingEnds(effects: Effects): string {
  if (effects.sessionsEnded === 0) return 'It has no current session; blocking refuses new ones until it is unblocked.';
  return (
    `Blocking ends all its current sessions (${count(effects.sessionsEnded, 'session')} of ${count(effects.usersAffected, 'user')}) ` +
    `and refuses new ones until it is unblocked.`
  );
}

function uninstallingRemoves(effects: Effects): string {
  const removed = effects.removed;
  if (!removed) return 'Uninstalling removes its local copy.';
  return (
    `Uninstalling removes its local copy: its policies, ${count(removed.profiles, 'profile assignment')}, ` +
    `${count(removed.permissionSets, 'permission-set assignment')} and ${count(removed.sessions, 'session')} go.`
  );
}

function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x)) && set.size === new Set(b).size;
}
