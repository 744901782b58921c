// How many API calls carrying out actions on a live org takes (salesforce-api.md §2, §6), for the
// apply's check against the org's remaining daily allowance (SPEC §13). Pure. Each run of actions
// that apply hands the executor is batched on its own, kind by kind (consecutive actions of one
// kind form a group):
//   set-org-settings   one upsertMetadata per settings type it changes (ConnectedAppSettings, OauthOidcSettings)
//   set-policies       readMetadata and updateMetadata of the whole component, 10 per call each
//   set-assignments    one SetupEntityAccess query for the rows; creates and deletes, 200 per call each
//   block              upsertMetadata of BlacklistedConsumer, 10 per call
//   unblock            listMetadata of BlacklistedConsumer, then deleteMetadata, 10 per call
//   revoke             per app, the OauthToken query (500 rows per page); then one revoke call per token
//   install, uninstall manual steps (no API): none
// and every group one read-back of what it changed.
import type { Action, ActionKind, NameChanges } from '../model/index.js';

/** The estimate: calls in all, and by action kind. */
export interface CallEstimate {
  calls: number;
  byKind: Partial<Record<ActionKind, number>>;
}

const metadataBatch = 10;
const collectionBatch = 200;
const tokenPage = 500;

/** The calls of `runs` (each the actions apply hands the executor at once, in order). */
export function estimateApplyCalls(runs: readonly (readonly Action[])[]): CallEstimate {
  const byKind: Partial<Record<ActionKind, number>> = {};
  let calls = 0;
  for (const run of runs) {
    for (const group of groupsOf(run)) {
      const kind = group[0]!.kind;
      const n = batchCalls(kind, group) + (group[0]!.manual ? 0 : 1);
      byKind[kind] = (byKind[kind] ?? 0) + n;
      calls += n;
    }
  }
  return { calls, byKind };
}

/** Consecutive actions of one kind. */
function groupsOf(run: readonly Action[]): Action[][] {
  const groups: Action[][] = [];
  for (const action of run) {
    const last = groups.at(-1);
    if (last && last[0]!.kind === action.kind && !action.manual && !last[0]!.manual) last.push(action);
    else groups.push([action]);
  }
  return groups;
}

function batches(n: number, size: number): number {
  return Math.ceil(n / size);
}

function batchCalls(kind: ActionKind, group: readonly Action[]): number {
  if (group[0]!.manual) return 0;
  switch (kind) {
    case 'set-org-settings':
      return group.reduce((n, a) => n + (a.after?.adminApprovedAppsOnly !== undefined ? 1 : 0) + (a.after?.oauthFlows !== undefined ? 1 : 0), 0);
    case 'set-policies':
      return 2 * batches(group.length, metadataBatch);
    case 'set-assignments': {
      const changes = group.flatMap((a) => namesChanged(a));
      const added = changes.reduce((n, c) => n + c.added.length, 0);
      const removed = changes.reduce((n, c) => n + c.removed.length, 0);
      return 1 + batches(added, collectionBatch) + batches(removed, collectionBatch);
    }
    case 'block':
      return batches(group.length, metadataBatch);
    case 'unblock':
      return 1 + batches(group.length, metadataBatch);
    case 'revoke':
      return group.reduce((n, a) => n + Math.max(1, batches(a.effects.sessionsEnded, tokenPage)) + a.effects.sessionsEnded, 0);
    case 'install':
    case 'uninstall':
      return 0;
  }
}

/** The names a set-assignments action adds and removes (its reason holds them). */
function namesChanged(action: Action): NameChanges[] {
  const reason = action.reason;
  if (typeof reason === 'object' && reason.code === 'assignments-differ') return reason.params.changes;
  return [];
}
