// Why an action is needed, in words: the planner records a reason as data ({code, params}, see
// schemas/plan.schema.json#/$defs/Reason) and this renders it, with what the action itself holds
// (its app, before/after values, effects and revocation). Text and markdown say the same sentence.
import type { Action, Effects, Reason, Values } from '../model/index.js';
import { sortedNames } from '../plan/names.js';
import { count } from './plan-words.js';

/** The sentence that says why `action` is needed in org `org` (ledger lines of format 1 already hold it). */
export function renderReason(action: Action, org: string): string {
  const reason: Reason | string = action.reason;
  if (typeof reason === 'string') return reason;
  const name = action.app?.name ?? '';
  switch (reason.code) {
    case 'allowlisting-on':
      return (
        `OrgSettings declares adminApprovedAppsOnly: true and API client allowlisting is off in ${org}. Turning it on comes last, ` +
        `once the apps to keep are installed and admin-approved: every other app is then blocked org-wide.`
      );
    case 'allowlisting-off':
      return (
        `OrgSettings declares adminApprovedAppsOnly: false and API client allowlisting is on in ${org}. Turning it off comes first, ` +
        `so that apps it blocked org-wide (and not blocked themselves) may be used again before anything else changes.`
      );
    case 'oauth-flows-differ': {
      const before = member(action.before, 'oauthFlows');
      const after = member(action.after, 'oauthFlows');
      return `OrgSettings declares OAuth flow settings that differ from ${org}: ${reason.params.fields.map((k) => `${k} ${before[k]} → ${after[k]}`).join(', ')}.`;
    }
    case 'declared-installed': {
      const n = reason.params.deniedAttempts;
      const denied = n !== null && n > 0 ? ` (it denied ${count(n, 'attempt')} to use it)` : '';
      return (
        `"${name}" is declared installed: true, but ${org} has no local copy of it${denied}. Installing gives it the default ` +
        `policies (all users may self-authorize, ipRelaxation ENFORCE, refreshTokenPolicy infinite), which the declared policies then change` +
        `${reason.params.packaged ? '; it is a packaged app, so installing also needs Download AppExchange Packages' : ''}.`
      );
    }
    case 'declared-unblocked':
      return `"${name}" is declared blocked: false, but ${org} blocks it. Unblocking lets the users its policies permit authorize it again.`;
    case 'declared-blocked':
      return `"${name}" is declared blocked: true. ${blockingEnds(action.effects)}`;
    case 'unmanaged-block':
      return `"${name}" is declared by no file and unmanagedApps is block. ${blockingEnds(action.effects)}`;
    case 'declared-uninstalled':
      return `"${name}" is declared installed: false. ${uninstallingRemoves(action.effects)}`;
    case 'policies-differ': {
      const before = action.before ?? {};
      const after = action.after ?? {};
      const changes = reason.params.fields.map((f) => `${f} ${String(before[f])} → ${String(after[f])}`).join(', ');
      return `"${name}" declares policies that differ from what ${differsFrom(reason.params.from, org)}: ${changes}.`;
    }
    case 'assignments-differ': {
      const parts = reason.params.changes.map(({ field, added, removed }) => {
        const change = [added.length > 0 ? `adds ${added.join(', ')}` : '', removed.length > 0 ? `removes ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
        return `${field === 'profiles' ? 'profiles' : 'permission sets'}: ${change}`;
      });
      return `"${name}" declares the profiles and permission sets to pre-authorize, which differ from what ${differsFrom(reason.params.from, org)}: ${parts.join('; ')}.`;
    }
    case 'revocation': {
      const revocation = action.revocation;
      if (!revocation) return `A revocation ends sessions on "${name}".`;
      const { users } = revocation;
      const whose = users === 'all' ? 'all users' : users.length <= 3 ? sortedNames(users).join(', ') : `${users.length} listed users`;
      return `Revocation ${revocation.id} ("${revocation.reason}") ends the sessions of ${whose} on "${name}" created before ${revocation.issuedBefore}.`;
    }
  }
}

function differsFrom(from: 'org' | 'install', org: string): string {
  return from === 'org' ? `${org} has` : 'installing gives';
}

/** A map member of before/after (oauthFlows), or an empty one. */
function member(values: Values | undefined, key: string): Record<string, boolean | undefined> {
  const value = values?.[key];
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
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
