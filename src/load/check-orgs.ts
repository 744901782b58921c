// The check across the desired state and the org store that needs no plan: every document names
// an org the store holds. A typo in `org:` would otherwise leave its declarations unread, and a
// revocation would silently do nothing (SPEC §10).
import { Codes, type DesiredState, type Diagnostic } from '../model/index.js';
import { didYouMean, sortedNames } from '../plan/names.js';

/** One error per valid document whose org is not among `orgs` (the store's), at its `org:` value. */
export function checkDeclaredOrgs(desired: DesiredState, orgs: readonly string[], storeName: string): Diagnostic[] {
  const known = new Set(orgs);
  const there = orgs.length > 0 ? `the orgs there are ${sortedNames(orgs).join(', ')}` : 'it holds no orgs';
  const out: Diagnostic[] = [];
  for (const [slug, org] of Object.entries(desired.orgs)) {
    if (known.has(slug)) continue;
    const message = `org "${slug}" is not an org of ${storeName}${didYouMean(slug, orgs)}: nothing declared for it would be planned or applied; ${there}`;
    for (const declared of [...(org.settings ? [org.settings] : []), ...org.apps, ...org.revocations]) {
      out.push({ severity: 'error', code: Codes.orgNotInStore, message, ...(declared.positions.org ?? declared.source) });
    }
  }
  return out;
}
