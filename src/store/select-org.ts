// Which org a command works on: the one named with --org, else the only org the store holds.
import { InputError, StoreError } from '../model/index.js';
import { closestName } from '../plan/names.js';
import type { OrgStore } from './org-store.js';

/** The org to use among `orgs`: `requested` when present, else the only one. */
export function chooseOrg(requested: string | undefined, orgs: readonly string[], storeName: string): string {
  if (requested !== undefined) {
    if (orgs.includes(requested)) return requested;
    const known = orgs.length > 0 ? `the store has: ${orgs.join(', ')}` : 'the store has no orgs';
    const hint = closestName(requested, orgs);
    throw new StoreError(`no org "${requested}" in ${storeName} (${known})${hint === undefined ? '' : `: did you mean "${hint}"?`}`);
  }
  if (orgs.length === 1) return orgs[0]!;
  if (orgs.length === 0) {
    throw new StoreError(`no org in ${storeName}: each org is a folder ${storeName}/<org>/ with org.json, users.json and apps/`);
  }
  throw new InputError(`${storeName} holds several orgs (${orgs.join(', ')}): choose one with --org`);
}

/** The org to use: `requested` when the store has it, else the store's only org. */
export async function selectOrg(store: Pick<OrgStore, 'listOrgs'>, requested: string | undefined, storeName: string): Promise<string> {
  return chooseOrg(requested, await store.listOrgs(), storeName);
}
