// R2 and R3: API client allowlisting. It needs the org feature Salesforce Support enables; under
// it, an app that is not installed with admin-approved permitted users is blocked org-wide and
// cannot be unblocked; turning it on cuts off every such app.
import { Codes, type Action, type Diagnostic } from '../../model/index.js';
import { isAllowlisted } from '../access.js';
import { diagnostic, fieldAt } from '../diagnostic.js';
import type { PlanContext } from '../plan-context.js';
import type { AppTarget } from '../targets.js';
import { count } from '../count.js';
import { byCodePoint } from '../names.js';

/** R3: allowlisting declared on for an org without the feature. */
export function checkAllowlistingFeature(ctx: PlanContext): Diagnostic[] {
  const decl = ctx.settings.decl;
  if (decl?.doc.adminApprovedAppsOnly !== true || ctx.observed.org.features.apiAccessControl) return [];
  return [
    diagnostic(
      'error',
      Codes.allowlistingUnavailable,
      `adminApprovedAppsOnly: true turns on API client allowlisting, which ${ctx.observed.slug} does not have ` +
        `(features.apiAccessControl is false): only Salesforce Support can enable it. Ask Salesforce Support to enable ` +
        `API client allowlisting for the org first, or leave adminApprovedAppsOnly out until then.`,
      fieldAt(decl, 'adminApprovedAppsOnly'),
    ),
  ];
}

/** R2: `blocked: false` declared for an app that allowlisting keeps blocked org-wide. */
export function checkUnblockUnderAllowlisting(target: AppTarget, ctx: PlanContext): Diagnostic[] {
  const { decl } = target;
  if (decl.doc.blocked !== false || !ctx.settings.adminApprovedAppsOnly) return [];
  if (isAllowlisted(target)) return [];
  const state = target.installed ? 'is installed with permittedUsers: all-users' : 'is not installed';
  return [
    diagnostic(
      'error',
      Codes.notAllowlistedUnblocked,
      `"${decl.doc.name}" is declared blocked: false, but API client allowlisting is on in ${ctx.observed.slug} and the app ${state}, ` +
        `so it stays blocked org-wide and cannot be unblocked. To allowlist it, declare installed: true and ` +
        `policies.permittedUsers: admin-approved (with the profiles or permission sets to pre-authorize); otherwise remove blocked: false.`,
      fieldAt(decl, 'blocked'),
    ),
  ];
}

/** R3: what turning allowlisting on cuts off, for the reviewer. */
export function noteAllowlistingOn(action: Action, ctx: PlanContext): Diagnostic[] {
  const cutOff = action.effects.appsCutOff ?? [];
  if (cutOff.length === 0) return [];
  const shown = [...cutOff]
    .sort((a, b) => b.sessionsEnded - a.sessionsEnded || byCodePoint(a.name, b.name))
    .slice(0, 10)
    .map((a) => `${a.name} (${count(a.sessionsEnded, 'session')})`);
  const more = cutOff.length > shown.length ? `, and ${cutOff.length - shown.length} more` : '';
  const decl = ctx.settings.decl;
  return [
    diagnostic(
      'warning',
      Codes.allowlistingCutsOff,
      `Turning on API client allowlisting blocks ${count(cutOff.length, 'app')} org-wide ` +
        `and ends ${count(action.effects.sessionsEnded, 'session')}` +
        `${shown.length > 0 ? `: ${shown.join(', ')}${more}` : ''}. Only users with Use Any API Client keep using them; ` +
        `install and set permittedUsers: admin-approved on every app that must stay usable.`,
      decl ? fieldAt(decl, 'adminApprovedAppsOnly') : undefined,
    ),
  ];
}
