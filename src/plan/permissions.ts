// Permission names, what each action requires (SPEC §6), and how to check an actor against it.
import type { ActionKind, Permission, PermissionExpr } from '../model/index.js';
import { actionKinds } from './action-kinds.js';

/** Every permission, with the label Salesforce Setup shows for it. */
export const PermissionLabels: Record<Permission, string> = {
  ViewSetup: 'View Setup and Configuration',
  ManageUsers: 'Manage Users',
  CustomizeApplication: 'Customize Application',
  ModifyAllData: 'Modify All Data',
  ManageRemoteAccess: 'Manage Connected Apps',
  InstallPackaging: 'Download AppExchange Packages',
  CanApproveUninstalledApps: 'Approve Uninstalled Connected Apps',
  UseAnyApiClient: 'Use Any API Client',
};

/** Every permission capctl knows, in the order of SPEC §4's table. */
export const allPermissions = Object.keys(PermissionLabels) as Permission[];

export { readOrgRequires } from './action-kinds.js';

/** What each action requires (SPEC §6): its kind's row in action-kinds.ts says. */
export function requiredFor(kind: ActionKind, packaged = false): PermissionExpr {
  return actionKinds[kind].requires(packaged);
}

/** Whether a set of held permissions satisfies an expression. */
export function satisfies(expr: PermissionExpr, held: ReadonlySet<string>): boolean {
  if (typeof expr === 'string') return held.has(expr);
  if ('allOf' in expr) return expr.allOf.every((e) => satisfies(e, held));
  return expr.anyOf.some((e) => satisfies(e, held));
}

/**
 * The permissions to add to `held` to satisfy `expr`: every missing one of an allOf; for an
 * anyOf that nothing satisfies, its first alternative's missing permissions.
 */
export function missingFor(expr: PermissionExpr, held: ReadonlySet<string>): string[] {
  if (satisfies(expr, held)) return [];
  if (typeof expr === 'string') return [expr];
  if ('allOf' in expr) return [...new Set(expr.allOf.flatMap((e) => missingFor(e, held)))];
  return missingFor(expr.anyOf[0]!, held);
}

/** `CustomizeApplication AND (ModifyAllData OR ManageRemoteAccess)`. */
export function renderPermissionExpr(expr: PermissionExpr, nested = false): string {
  if (typeof expr === 'string') return expr;
  const [parts, joiner] = 'allOf' in expr ? [expr.allOf, ' AND '] : [expr.anyOf, ' OR '];
  const text = parts.map((p) => renderPermissionExpr(p, true)).join(joiner);
  return nested && parts.length > 1 ? `(${text})` : text;
}
