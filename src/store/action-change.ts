// What carrying out one action changes in the file store: the next org data (through the pure
// transition of src/plan/transition.ts, the one definition of what an action does), exactly the
// store files that change, and the action's result. Pure. The file store's executor of every kind
// is that transition written as files: `fileExecutors` fills the registry's slot (action-kinds.ts).
import type { Action, ObservedApp, ObservedOrg, StatePart } from '../model/index.js';
import { transitionOf, type BackendExecutors } from '../plan/action-kinds.js';
import type { OrgData, TransitionResult } from '../plan/transition.js';
import { formatJson } from './json-format.js';
import { appFileName, orgFileName } from './file-layout.js';
import type { FileChange } from './file-change.js';
import { byCodePoint } from '../plan/names.js';

/** The store change of one action. */
export interface ActionChange {
  next: OrgData;
  files: FileChange[];
  /** What each of `files` holds, as data (the same order): for checking before it is written. */
  values: (ObservedOrg | ObservedApp)[];
  /** The parts of the state that change (the same order as `files`), for the action's ledger line. */
  parts: StatePart[];
  result: TransitionResult;
}

/**
 * Carries out `action` on `data`. Files are org.json and apps/<id>.json, in path order; org.json's
 * revision is never raised (the revision comes from the ledger). `indexOf`: see transitionOf.
 */
export function actionChange(data: OrgData, action: Action, indexOf?: (id: string) => number | undefined): ActionChange {
  return fileExecutors[action.kind](data, action, indexOf);
}

/** How the file store carries out one action. */
type FileExecutor = typeof actionChange;

/** The file store plays the org itself: every kind is its transition, written as the files it changes. */
const fileExecutors: BackendExecutors<FileExecutor> = {
  'set-org-settings': transitionFiles,
  install: transitionFiles,
  uninstall: transitionFiles,
  'set-policies': transitionFiles,
  'set-assignments': transitionFiles,
  block: transitionFiles,
  unblock: transitionFiles,
  revoke: transitionFiles,
};

function transitionFiles(data: OrgData, action: Action, indexOf?: (id: string) => number | undefined): ActionChange {
  const transition = transitionOf(data, action, indexOf);
  const org: ObservedOrg = transition.next.org;
  const files: FileChange[] = [];
  const values: (ObservedOrg | ObservedApp)[] = [];
  const parts: StatePart[] = [];
  if (transition.changed.org) {
    files.push({ path: orgFileName, content: formatJson(org) });
    values.push(org);
    parts.push({ kind: 'org' });
  }
  if (transition.changed.apps.length > 0) {
    // Usually one app of 10,000: where `indexOf` says, else found by a scan (never a map of all of them per action).
    const apps = transition.changed.apps.map((id) => {
      const at = indexOf?.(id);
      return (at !== undefined && transition.next.apps[at]?.id === id ? transition.next.apps[at] : transition.next.apps.find((app) => app.id === id))!;
    });
    apps.sort((a, b) => byCodePoint(a.id, b.id));
    for (const app of apps) {
      files.push({ path: appFileName(app.id), content: formatJson(app) });
      values.push(app);
      parts.push({ kind: 'app', appId: app.id });
    }
  }
  return { next: transition.next, files, values, parts, result: transition.result };
}
