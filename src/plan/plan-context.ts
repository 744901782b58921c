// What every planning step reads: the input, the org indexed once, and the org settings the
// declaration asks for. Built once per plan so that no step walks all users or apps again.
import type {
  ObservedApp,
  Declared,
  DesiredOrg,
  OauthFlowSettings,
  OrgSettingsDoc,
  OrgSnapshot,
  OrgUser,
} from '../model/index.js';
import type { Containment } from './risk/rule.js';
import { UserUniverse } from './user-sets.js';

/** What createPlan needs: the declaration (undefined when no file declares the org), the org, the time and who would apply. */
export interface PlanInput {
  desired: DesiredOrg | undefined;
  observed: OrgSnapshot;
  /** The plan's creation time (also the "now" of every time comparison). */
  now: Date;
  /** The user whose permissions each action is checked against. */
  actor?: string;
  /** What the declaration was read from: the digest of its files and its git commit. */
  /** `storeRevision`: the store's revision, which its ledger gives (store/ledger-chain.ts storeRevision); default the org record's (a store whose ledger records no apply). */
  basis: { desiredDigest: string; desiredCommit: string | null; storeRevision?: number };
  /** Apps `capctl contain` blocked, with who, when and why (risk rule CAPR008). */
  contained?: readonly Containment[];
}

/** What to do with apps the org lists that no file declares. */
export type UnmanagedApps = NonNullable<OrgSettingsDoc['unmanagedApps']>;

/** The org settings a plan aims for: declared values over observed ones. */
export interface SettingsTarget {
  decl?: Declared<OrgSettingsDoc>;
  adminApprovedAppsOnly: boolean;
  oauthFlows: OauthFlowSettings;
  unmanagedApps: UnmanagedApps;
}

/** The input with the org indexed once. */
export interface PlanContext {
  input: PlanInput;
  observed: OrgSnapshot;
  /** The declaration, empty when no file declares the org. */
  desired: DesiredOrg;
  appsByName: ReadonlyMap<string, ObservedApp>;
  usersByName: ReadonlyMap<string, OrgUser>;
  profiles: ReadonlySet<string>;
  permissionSets: ReadonlySet<string>;
  settings: SettingsTarget;
  /** The active users ranked, for comparing who may use an app: built on first use. */
  universe(): UserUniverse;
}

/** Indexes the org and resolves the target org settings. */
export function buildPlanContext(input: PlanInput): PlanContext {
  const { observed } = input;
  const desired = input.desired ?? { slug: observed.slug, apps: [], revocations: [] };
  const appsByName = new Map<string, ObservedApp>();
  for (const app of observed.apps) if (!appsByName.has(app.name)) appsByName.set(app.name, app);
  let universe: UserUniverse | undefined;
  return {
    input,
    observed,
    desired,
    appsByName,
    usersByName: new Map(observed.users.map((u) => [u.username, u])),
    profiles: new Set(observed.org.profiles),
    permissionSets: new Set(observed.org.permissionSets),
    settings: settingsTarget(desired.settings, observed),
    universe: () => (universe ??= new UserUniverse(observed.users)),
  };
}

function settingsTarget(decl: Declared<OrgSettingsDoc> | undefined, observed: OrgSnapshot): SettingsTarget {
  const doc = decl?.doc;
  const oauthFlows = { ...observed.org.settings.oauthFlows };
  for (const [key, value] of Object.entries(doc?.oauthFlows ?? {})) {
    if (typeof value === 'boolean') oauthFlows[key as keyof OauthFlowSettings] = value;
  }
  return {
    decl,
    adminApprovedAppsOnly: doc?.adminApprovedAppsOnly ?? observed.org.settings.adminApprovedAppsOnly,
    oauthFlows,
    unmanagedApps: doc?.unmanagedApps ?? 'report',
  };
}
