// Manual steps (SPEC §13): on a connected org some actions have no API — installing or uninstalling
// an app, blocking an app whose consumer key no API shows (an uninstalled app known only from its
// tokens, an external client app: salesforce-api.md §2). The plan marks such an action `manual`, with the page where a
// person does it: the app's install approval page (R12) when its id is known, else Setup's
// Connected Apps OAuth Usage page. Which kinds, on which apps, is the action-kind registry's
// `manualOnLiveOrg`. A file-store org has no manual step: the store is the org.
import { Codes, type ActionKind, type ObservedApp, type Diagnostic, type ManualStep, type OrgSnapshot } from '../model/index.js';
import { actionKinds } from './action-kinds.js';
import { approvalUrl } from './approval-url.js';
import { diagnostic } from './diagnostic.js';
import type { DraftAction } from './draft-actions.js';
import type { PlanContext } from './plan-context.js';

/** Setup's Connected Apps OAuth Usage page, relative to the org's instance: it installs, uninstalls and blocks any listed app. */
export const oauthUsagePath = '/lightning/setup/ConnectedAppsUsage/home';

/** The manual step of an action of `kind` on `app`, or undefined when capctl carries it out itself. */
export function manualStepOf(kind: ActionKind, app: ObservedApp | undefined, observed: Pick<OrgSnapshot, 'org' | 'live'>): ManualStep | undefined {
  const live = observed.live;
  const manual = actionKinds[kind].manualOnLiveOrg;
  if (!live || !app || !manual?.(app)) return undefined;
  const base = live.instanceUrl.replace(/\/+$/, '');
  if (kind === 'install' && app.derivedId !== true) return { page: 'install-approval', url: `${base}${approvalUrl(app.id, observed.org.id)}` };
  return { page: 'oauth-usage', url: `${base}${oauthUsagePath}` };
}

/** The kinds that act on an installed app's local copy: on an app known only by name, they wait for its install. */
const onLocalCopy: ReadonlySet<ActionKind> = new Set(['set-policies', 'set-assignments']);

/**
 * On a live org, an app known only by its name (derived id) gets its real id when it is installed
 * by hand: its policies and assignments cannot be set before, so the plan leaves them to the plan
 * after the install, and says so. Other orgs' drafts are returned as they are.
 */
export function deferAfterManualInstall(drafts: readonly DraftAction[], ctx: PlanContext): { drafts: DraftAction[]; diagnostics: Diagnostic[] } {
  if (!ctx.observed.live) return { drafts: [...drafts], diagnostics: [] };
  const waiting = new Map<string, string>();
  for (const d of drafts) if (d.kind === 'install' && d.app?.derivedId === true) waiting.set(d.app.id, d.app.name);
  const deferred = new Set<string>();
  const kept = drafts.filter((d) => {
    if (!d.app || !waiting.has(d.app.id) || !onLocalCopy.has(d.kind)) return true;
    deferred.add(d.app.id);
    return false;
  });
  const diagnostics = [...deferred].map((id) =>
    diagnostic(
      'info',
      Codes.manualInstallDefers,
      `${waiting.get(id)!}: its declared policies and assignments are left to the plan after its install: until it is installed (by hand) the org gives it no id to set them on. Install it, then plan or apply again.`,
    ),
  );
  return { drafts: kept, diagnostics };
}
