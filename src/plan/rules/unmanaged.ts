// Apps the org lists that no file declares (unmanagedApps), and R4: uninstalled apps whose use
// the org denied, listed for review (possibly a legitimate need, possibly a suspicious app).
import { Codes, type ObservedApp, type Diagnostic, type SourcePos } from '../../model/index.js';
import { diagnostic, fieldAt } from '../diagnostic.js';
import type { PlanContext } from '../plan-context.js';
import { count } from '../count.js';

/** Where unmanagedApps is declared (or the settings document, or nowhere). */
export function unmanagedAppsSource(ctx: PlanContext): SourcePos | undefined {
  const decl = ctx.settings.decl;
  return decl ? fieldAt(decl, 'unmanagedApps') : undefined;
}

/** The org's apps that no declaration names, in the org's order. */
export function undeclaredApps(ctx: PlanContext): ObservedApp[] {
  const declared = new Set(ctx.desired.apps.map((d) => d.doc.name));
  return ctx.observed.apps.filter((app) => !declared.has(app.name));
}

/** unmanagedApps: report — one note per undeclared app. */
export function noteUnmanagedApp(app: ObservedApp, ctx: PlanContext): Diagnostic {
  const state = [
    app.installed ? 'installed' : 'not installed',
    ...(app.blocked ? ['blocked'] : []),
    count(app.sessions.length, 'session'),
  ].join(', ');
  return diagnostic(
    'info',
    Codes.unmanagedApp,
    `"${app.name}" (${state}) is declared by no file: unmanagedApps: report leaves it as ${ctx.observed.slug} has it.`,
    unmanagedAppsSource(ctx),
  );
}

/**
 * R4: an undeclared, uninstalled app whose use the org denied; or, when the org does not show
 * denied attempts (a live org: deniedAttempts null), one whose denials cannot be judged.
 */
export function noteDeniedAttempts(app: ObservedApp, ctx: PlanContext): Diagnostic | undefined {
  if (app.installed || app.deniedAttempts === 0) return undefined;
  if (app.deniedAttempts === null) {
    return diagnostic(
      'info',
      Codes.deniedAttempts,
      `"${app.name}" is not installed, and whether ${ctx.observed.slug} denied attempts to use it cannot be judged: no Salesforce ` +
        `API shows denied attempts (only users with Approve Uninstalled Connected Apps may use an uninstalled app). Review it: ` +
        `if the need is legitimate, declare it with installed: true; if the app looks suspicious, declare it with blocked: true.`,
      unmanagedAppsSource(ctx),
    );
  }
  const attempts = count(app.deniedAttempts, 'attempt');
  return diagnostic(
    'info',
    Codes.deniedAttempts,
    `"${app.name}" is not installed and ${ctx.observed.slug} denied ${attempts} to use it (only users with Approve Uninstalled ` +
      `Connected Apps may use an uninstalled app). Review it: if the need is legitimate, declare it with installed: true; ` +
      `if the app looks suspicious, declare it with blocked: true.`,
    unmanagedAppsSource(ctx),
  );
}
