// Small builders of plain data for planner tests: an org snapshot, users, apps, sessions, and
// declarations with made-up but stable source positions.
import { allPermissions } from '../../src/plan/permissions.js';
import type {
  AppDoc,
  ObservedApp,
  Declared,
  DesiredOrg,
  OrgSettingsDoc,
  OrgSnapshot,
  OrgUser,
  RevocationDoc,
  Session,
  SourcePos,
} from '../../src/model/index.js';
import { createPlan } from '../../src/plan/create-plan.js';
import type { PlanInput } from '../../src/plan/plan-context.js';


/** An 18-character id made from a name, stable across runs. */
export function idFor(name: string, prefix = '0H4'): string {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return (prefix + hash.toString(36).padStart(8, '0') + 'AAAAAAAAAAAAAAA').slice(0, 18);
}

/** A user; active, Standard User, no permissions unless given. */
export function user(username: string, fields: Partial<OrgUser> = {}): OrgUser {
  return { username, profile: 'Standard User', permissionSets: [], permissions: [], active: true, ...fields };
}

/** A session of a user, created at the given instant. */
export function session(userName: string, created: string, fields: Partial<Session> = {}): Session {
  return { user: userName, created, lastUsed: created, useCount: 1, flow: 'web-server', ...fields };
}

/** An installed, all-users, unblocked app unless told otherwise. */
export function app(name: string, fields: Partial<ObservedApp> = {}): ObservedApp {
  const installed = fields.installed ?? true;
  const base: ObservedApp = {
    id: idFor(name),
    name,
    type: 'ConnectedApp',
    packaged: false,
    installed,
    blocked: false,
    deniedAttempts: 0,
    sessions: [],
  };
  if (installed) base.policies = { permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' };
  const out = { ...base, ...fields };
  if (!out.installed) delete out.policies;
  return out;
}

/** An org snapshot (slug acme-prod) with the given users and apps. */
export function snapshot(fields: {
  users?: OrgUser[];
  apps?: ObservedApp[];
  allowlisting?: boolean;
  apiAccessControl?: boolean;
  blockUsernamePassword?: boolean;
  profiles?: string[];
  permissionSets?: string[];
} = {}): OrgSnapshot {
  const apps = [...(fields.apps ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    slug: 'acme-prod',
    org: {
      id: '00D5e0000001AcmEAA',
      name: 'acme-prod',
      edition: 'Enterprise',
      features: { apiAccessControl: fields.apiAccessControl ?? true },
      settings: {
        adminApprovedAppsOnly: fields.allowlisting ?? false,
        oauthFlows: { blockUsernamePassword: fields.blockUsernamePassword ?? true, blockUserAgent: true, allowAuthorizationCodeAndCredentials: false },
      },
      profiles: fields.profiles ?? ['System Administrator', 'Standard User', 'Sales User'],
      permissionSets: fields.permissionSets ?? ['Slack Access', 'Slack Admins'],
      revision: 7,
    },
    users: fields.users ?? [],
    apps,
    digest: 'sha256:' + '0'.repeat(64),
  };
}

/** A declaration with a position for every field path (one line each, in document order). */
export function declared<T extends object>(doc: T, file: string): Declared<T> {
  const positions: Record<string, SourcePos> = {};
  let line = 1;
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, path ? `${path}.${i}` : String(i)));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const p = path ? `${path}.${k}` : k;
        positions[`${p}#key`] = { file, line, column: 1 };
        if (v !== null && typeof v === 'object') {
          positions[p] = { file, line, column: 3 };
          line++;
        }
        walk(v, p);
      }
    } else {
      positions[path] = { file, line, column: 3 };
      line++;
    }
  };
  walk(doc, '');
  return { doc, source: { file, line: 1, column: 1 }, positions };
}

/** A ConnectedApp declaration. */
export function appDoc(name: string, fields: Partial<AppDoc> = {}): Declared<AppDoc> {
  return declared({ apiVersion: 'capctl/v1', kind: 'ConnectedApp', org: 'acme-prod', name, ...fields } as AppDoc, `apps/${slugOf(name)}.yaml`);
}

/** An OrgSettings declaration. */
export function settingsDoc(fields: Partial<OrgSettingsDoc> = {}): Declared<OrgSettingsDoc> {
  return declared({ apiVersion: 'capctl/v1', kind: 'OrgSettings', org: 'acme-prod', ...fields } as OrgSettingsDoc, 'org.yaml');
}

/** A Revocation declaration. */
export function revocationDoc(id: string, appName: string, fields: Partial<RevocationDoc> = {}): Declared<RevocationDoc> {
  return declared(
    { apiVersion: 'capctl/v1', kind: 'Revocation', org: 'acme-prod', id, app: appName, users: 'all', issuedBefore: '2026-11-20T00:00:00Z', reason: 'test', ...fields } as RevocationDoc,
    `revocations/${id}.yaml`,
  );
}

/** The desired state of acme-prod. */
export function desired(fields: Partial<Omit<DesiredOrg, 'slug'>> = {}): DesiredOrg {
  return { slug: 'acme-prod', apps: [], revocations: [], ...fields };
}

/** The fixed time of planner tests. */
export const testNow = new Date('2026-12-01T00:00:00Z');

/** createPlan with the fixed time and basis of tests. */
export function plan(desiredOrg: DesiredOrg | undefined, observed: OrgSnapshot, extra: Partial<PlanInput> = {}) {
  return createPlan({
    desired: desiredOrg,
    observed,
    now: testNow,
    basis: { desiredDigest: 'sha256:' + '1'.repeat(64), desiredCommit: null },
    ...extra,
  });
}

function slugOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** Every permission: what an all-powerful actor holds. */
export { allPermissions };
