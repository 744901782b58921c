// The facts the rules read, from an org (as it is, or as a plan leaves it) and its declaration.
import type { AppDoc, ObservedApp, Declared, DesiredOrg, ObservedOrg, OrgUser } from '../../model/index.js';
import type { Containment, PlannedUnblock, RiskFacts } from './rule.js';

/** What riskFacts is built from. */
export interface RiskFactsInput {
  slug: string;
  org: ObservedOrg;
  apps: Iterable<ObservedApp>;
  users: readonly OrgUser[];
  desired: DesiredOrg | undefined;
  now: Date;
  unblocks?: readonly PlannedUnblock[];
  containments?: readonly Containment[];
}

/** Indexes the declaration by app name, for rules that look an app's declaration up. */
export function riskFacts(input: RiskFactsInput): RiskFacts {
  const declared = new Map<string, Declared<AppDoc>>();
  for (const decl of input.desired?.apps ?? []) declared.set(decl.doc.name, decl);
  return {
    slug: input.slug,
    org: input.org,
    apps: [...input.apps],
    users: input.users,
    declared,
    ...(input.desired?.settings ? { settings: input.desired.settings } : {}),
    unblocks: input.unblocks ?? [],
    containments: input.containments ?? [],
    now: input.now,
  };
}
