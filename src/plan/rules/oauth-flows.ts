// R10: username-password sessions are one-time tokens that the OAuth Usage page does not show;
// the plan warns while the flow is not blocked.
import { Codes, type Diagnostic } from '../../model/index.js';
import { diagnostic, fieldAt } from '../diagnostic.js';
import type { PlanContext } from '../plan-context.js';
import { count, plural } from '../count.js';

/** A warning when the org, once the plan is applied, still allows the username-password flow. */
export function checkUsernamePasswordFlow(ctx: PlanContext): Diagnostic[] {
  if (ctx.settings.oauthFlows.blockUsernamePassword) return [];
  let sessions = 0;
  let apps = 0;
  let unknown = 0;
  for (const app of ctx.observed.apps) {
    let count = 0;
    for (const session of app.sessions) {
      if (session.flow === 'username-password') count++;
      else if (session.flow === 'unknown') unknown++;
    }
    sessions += count;
    if (count > 0) apps++;
  }
  const seen =
    (sessions > 0
      ? ` ${ctx.observed.slug} has ${count(sessions, 'username-password session')} on ${count(apps, 'app')}.`
      : '') +
    // A live org does not show a session's flow: say so rather than count those sessions as none.
    (unknown > 0
      ? ` Whether any of ${ctx.observed.slug}'s ${count(unknown, 'session')} of unknown flow ${plural(unknown, 'is a username-password session', 'are username-password sessions')} cannot be judged (no Salesforce API shows a session's flow).`
      : '');
  const decl = ctx.settings.decl;
  const declared = decl?.doc.oauthFlows?.blockUsernamePassword === false;
  return [
    diagnostic(
      'warning',
      Codes.usernamePasswordFlowOpen,
      `The OAuth username-password flow stays allowed (oauthFlows.blockUsernamePassword is ${declared ? 'declared false' : 'not true'}): ` +
        `its sessions are one-time tokens that the Connected Apps OAuth Usage page does not show.${seen} ` +
        `Set oauthFlows.blockUsernamePassword: true in OrgSettings, and move those integrations to the web-server flow with PKCE or the JWT bearer flow.`,
      decl ? fieldAt(decl, declared ? 'oauthFlows.blockUsernamePassword' : 'oauthFlows') : undefined,
    ),
  ];
}
