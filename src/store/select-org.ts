// Which org a command works on: the one named with --org, else the only org the store holds.
import { InputError, StoreError, type CapctlError } from '../model/index.js';
import { closestName } from '../plan/names.js';
import type { OrgStore } from './org-store.js';

/** What stops a choice of org, in the words of where the orgs come from (a store, a desired folder). */
export interface OrgChoiceErrors {
  unknown(requested: string, orgs: readonly string[]): CapctlError;
  none(): CapctlError;
  several(orgs: readonly string[]): CapctlError;
}

/** The errors of a choice among the orgs of an org store; `howToAdd` says how the store would hold an org. */
function storeChoiceErrors(storeName: string, howToAdd?: string): OrgChoiceErrors {
  return {
    unknown: (requested, orgs) => {
      const known = orgs.length > 0 ? `the store has: ${orgs.join(', ')}` : 'the store has no orgs';
      const hint = closestName(requested, orgs);
      return new StoreError(`no org "${requested}" in ${storeName} (${known})${hint === undefined ? '' : `: did you mean "${hint}"?`}`);
    },
    none: () => new StoreError(`no org in ${storeName}${howToAdd === undefined ? '' : `: ${howToAdd}`}`),
    several: (orgs) => new InputError(`${storeName} holds several orgs (${orgs.join(', ')}): choose one with --org`),
  };
}

/** The org to use among `orgs`: `requested` when present, else the only one; `from` names the store (or says what went wrong). */
export function chooseOrg(requested: string | undefined, orgs: readonly string[], from: string | OrgChoiceErrors): string {
  const errors = typeof from === 'string' ? storeChoiceErrors(from) : from;
  if (requested !== undefined) {
    if (orgs.includes(requested)) return requested;
    throw errors.unknown(requested, orgs);
  }
  if (orgs.length === 1) return orgs[0]!;
  throw orgs.length === 0 ? errors.none() : errors.several(orgs);
}

/** The errors of a choice among the orgs of `store` (named `storeName` to the user), in its words. */
export function orgChoiceIn(store: Pick<OrgStore, 'howToAddAnOrg'>, storeName: string): OrgChoiceErrors {
  return storeChoiceErrors(storeName, store.howToAddAnOrg?.(storeName));
}

/** The org to use: `requested` when the store has it, else the store's only org. */
export async function selectOrg(store: Pick<OrgStore, 'listOrgs' | 'howToAddAnOrg'>, requested: string | undefined, storeName: string): Promise<string> {
  return chooseOrg(requested, await store.listOrgs(), orgChoiceIn(store, storeName));
}
