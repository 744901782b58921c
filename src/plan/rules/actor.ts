// Permissions (SPEC §6): with an actor, each action says whether that user holds what it needs and
// which permissions are missing. The plan still succeeds; a warning says an apply would be refused.
import { Codes, type Action, type Diagnostic } from '../../model/index.js';
import { diagnostic } from '../diagnostic.js';
import { missingFor, readOrgRequires, renderPermissionExpr, satisfies } from '../permissions.js';
import type { PlanContext } from '../plan-context.js';
import { actionTitle } from '../action-kinds.js';
import { count } from '../count.js';

/** How many refused actions the warning names (each action says so itself). */
const listedActions = 10;

/** Marks each action allowed or not for the actor and returns what the reviewer should know. */
export function markActorPermissions(actor: string, actions: Action[], ctx: PlanContext): Diagnostic[] {
  const slug = ctx.observed.slug;
  const user = ctx.usersByName.get(actor);
  const diagnostics: Diagnostic[] = [];
  if (!user) {
    diagnostics.push(
      diagnostic('warning', Codes.actorUnknown, `The actor "${actor}" is not a user of ${slug}: an apply as "${actor}" would be refused. Name an active user of the org.`),
    );
  } else if (!user.active) {
    diagnostics.push(
      diagnostic('warning', Codes.actorInactive, `The actor "${actor}" is inactive in ${slug}: an apply as "${actor}" would be refused. Name an active user of the org.`),
    );
  }
  const held = new Set<string>(user?.active ? user.permissions : []);
  const refused: string[] = [];
  for (const action of actions) {
    action.allowed = satisfies(action.requires, held);
    action.missing = missingFor(action.requires, held);
    if (!action.allowed) refused.push(`${action.seq}. ${actionTitle(action)} (lacks ${action.missing.join(', ')})`);
  }
  if (user?.active) {
    const cannotRead = !satisfies(readOrgRequires, held);
    if (refused.length > 0 || cannotRead) {
      const parts: string[] = [];
      if (cannotRead) parts.push(`cannot read the org (needs ${renderPermissionExpr(readOrgRequires)})`);
      if (refused.length > 0) {
        const listed = refused.slice(0, listedActions).join('; ');
        const more = refused.length > listedActions ? `; and ${refused.length - listedActions} more` : '';
        parts.push(`lacks permissions for ${refused.length} of ${count(actions.length, 'action')}: ${listed}${more}`);
      }
      diagnostics.push(
        diagnostic(
          'warning',
          Codes.actorLacksPermissions,
          `The actor "${actor}" ${parts.join(', and ')}. An apply as "${actor}" would be refused: run it as a user who holds them, or grant them first.`,
        ),
      );
    }
  }
  return diagnostics;
}
