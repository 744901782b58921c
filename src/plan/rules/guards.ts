// R13: guards are limits a plan must respect, changed only through a reviewed change of the YAML.
// A protected app is never blocked, uninstalled or narrowed; a plan ends at most maxSessionsEnded
// sessions. Breaking either is an error that names the guard and the actions that break it.
import { Codes, type Action, type Diagnostic } from '../../model/index.js';
import { actionTitle } from '../action-kinds.js';
import { diagnostic, fieldAt, where } from '../diagnostic.js';
import type { Narrowing } from '../draft-actions.js';
import { sortedNames } from '../names.js';
import type { PlanContext } from '../plan-context.js';
import type { SimulatedAction } from '../simulate.js';

/** Errors for the guards the plan's actions break, and warnings for guards naming unknown apps. */
export function checkGuards(actions: readonly SimulatedAction[], ctx: PlanContext): Diagnostic[] {
  const decl = ctx.settings.decl;
  const guards = decl?.doc.guards;
  if (!decl || !guards) return [];
  const diagnostics: Diagnostic[] = [];
  const slug = ctx.observed.slug;

  (guards.protectedApps ?? []).forEach((name, i) => {
    const guardAt = fieldAt(decl, `guards.protectedApps.${i}`);
    if (!ctx.appsByName.has(name)) {
      diagnostics.push(
        diagnostic('warning', Codes.guardUnknownApp, `guards.protectedApps names "${name}", which ${slug} does not list: the guard protects nothing.`, guardAt),
      );
      return;
    }
    const breaking: { what: string; action: Action }[] = [];
    for (const { action, draft } of actions) {
      if (draft.app?.name === name && draft.narrows) breaking.push({ what: narrowingText(draft.narrows), action });
      if (action.effects.appsCutOff?.some((a) => a.name === name)) {
        breaking.push({ what: 'blocks it org-wide by turning on API client allowlisting (it is not installed with admin-approved permitted users)', action });
      }
    }
    if (breaking.length === 0) return;
    const list = breaking.map(({ what, action }) => `${what}${action.source ? ` (${where(action.source)})` : ''}`).join('; ');
    diagnostics.push(
      diagnostic(
        'error',
        Codes.guardProtectedApp,
        `Guard protectedApps: "${name}" is protected (${where(guardAt)}), but this plan ${list}. Remove that change, ` +
          `or take "${name}" out of guards.protectedApps in a reviewed change first.`,
        breaking[0]!.action.source ?? guardAt,
      ),
    );
  });

  const max = guards.maxSessionsEnded;
  if (max !== undefined) {
    const total = actions.reduce((n, { action }) => n + action.effects.sessionsEnded, 0);
    if (total > max) {
      const costly = actions
        .filter(({ action }) => action.effects.sessionsEnded > 0)
        .sort((a, b) => b.action.effects.sessionsEnded - a.action.effects.sessionsEnded)
        .slice(0, 10)
        .map(({ action }) => `${actionTitle(action)} (${action.effects.sessionsEnded})`);
      diagnostics.push(
        diagnostic(
          'error',
          Codes.guardMaxSessionsEnded,
          `Guard maxSessionsEnded: this plan would end ${total} sessions, more than the ${max} allowed: ${costly.join(', ')}. ` +
            `Split the change into smaller plans, or raise guards.maxSessionsEnded in a reviewed change.`,
          fieldAt(decl, 'guards.maxSessionsEnded'),
        ),
      );
    }
  }
  return diagnostics;
}

/** What a narrowing does, as the guard's message says it. */
function narrowingText(narrowing: Narrowing): string {
  switch (narrowing.by) {
    case 'block':
      return narrowing.unmanaged ? 'blocks it (unmanagedApps: block)' : 'blocks it';
    case 'uninstall':
      return 'uninstalls it';
    case 'permitted-users':
      return 'narrows permittedUsers from all-users to admin-approved';
    case 'assignments': {
      const { profiles, permissionSets } = narrowing.removed;
      return `removes the assignment of ${sortedNames([...profiles.map((n) => `profile ${n}`), ...permissionSets.map((n) => `permission set ${n}`)]).join(', ')}`;
    }
  }
}
