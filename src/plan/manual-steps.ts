// Manual steps (SPEC §13): on a connected org some actions have no API — installing or uninstalling
// an app, blocking an app whose consumer key no API shows (an uninstalled app known only from its
// tokens, salesforce-api.md §2). The plan marks such an action `manual`, with the page where a
// person does it: the app's install approval page (R12) when its id is known, else Setup's
// Connected Apps OAuth Usage page. Which kinds, on which apps, is the action-kind registry's
// `manualOnLiveOrg`. A file-store org has no manual step: the store is the org.
import type { ActionKind, AppFile, ManualStep, OrgSnapshot } from '../model/index.js';
import { actionKinds } from './action-kinds.js';
import { approvalUrl } from './approval-url.js';

/** Setup's Connected Apps OAuth Usage page, relative to the org's instance: it installs, uninstalls and blocks any listed app. */
export const oauthUsagePath = '/lightning/setup/ConnectedAppsUsage/home';

/** The manual step of an action of `kind` on `app`, or undefined when capctl carries it out itself. */
export function manualStepOf(kind: ActionKind, app: AppFile | undefined, observed: Pick<OrgSnapshot, 'org' | 'live'>): ManualStep | undefined {
  const live = observed.live;
  const manual = actionKinds[kind].manualOnLiveOrg;
  if (!live || !app || !manual?.(app)) return undefined;
  const base = live.instanceUrl.replace(/\/+$/, '');
  if (kind === 'install' && app.derivedId !== true) return { page: 'install-approval', url: `${base}${approvalUrl(app.id, observed.org.id)}` };
  return { page: 'oauth-usage', url: `${base}${oauthUsagePath}` };
}
