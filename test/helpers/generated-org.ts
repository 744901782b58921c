// A generated org with as many actions as a test needs: `apps` installed apps, each with two
// sessions; the desired state blocks a third of them, changes the policies of a third and revokes
// the sessions of the rest. Small files, so that applies are quick and crash tests can kill many.
import { allPermissions } from '../../src/plan/permissions.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObservedApp, ObservedOrg, OrgUser, Plan } from '../../src/model/index.js';
import { formatJson } from '../../src/store/json-format.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { readAndPlanOrg } from '../../src/read-and-plan-org.js';
import { renderPlanJson } from '../../src/render/plan-json.js';

/** The org's slug and the user with every permission who applies. */
export const ORG = 'acme-prod';
export const ADMIN = 'admin@acme.example';


/** The id of generated app i. */
export function appId(i: number): string {
  return `0H4GEN${String(i).padStart(12, '0')}`;
}

/** Writes `<dir>/org-state/acme-prod/` and `<dir>/desired/`; returns both folders. */
export async function writeGeneratedOrg(dir: string, apps: number): Promise<{ orgState: string; desired: string }> {
  const orgState = path.join(dir, 'org-state');
  const orgDir = path.join(orgState, ORG);
  const desired = path.join(dir, 'desired');
  await mkdir(path.join(orgDir, 'apps'), { recursive: true });
  await mkdir(desired, { recursive: true });
  const org: ObservedOrg = {
    id: '00D5e0000001AcmEAA',
    name: ORG,
    edition: 'Enterprise',
    features: { apiAccessControl: false },
    settings: { adminApprovedAppsOnly: false, oauthFlows: { blockUsernamePassword: true, blockUserAgent: true, allowAuthorizationCodeAndCredentials: false } },
    profiles: ['Standard User', 'System Administrator'],
    permissionSets: [],
    revision: 0,
  };
  const users: OrgUser[] = [
    { username: ADMIN, profile: 'System Administrator', permissionSets: [], permissions: allPermissions, active: true },
    { username: 'ops@acme.example', profile: 'System Administrator', permissionSets: [], permissions: ['ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ManageRemoteAccess'], active: true },
    { username: 'helpdesk@acme.example', profile: 'Standard User', permissionSets: [], permissions: ['ViewSetup', 'ManageUsers'], active: true },
    { username: 'gone@acme.example', profile: 'System Administrator', permissionSets: [], permissions: allPermissions, active: false },
    { username: 'u1@acme.example', profile: 'Standard User', permissionSets: [], permissions: [], active: true },
    { username: 'u2@acme.example', profile: 'Standard User', permissionSets: [], permissions: [], active: true },
  ];
  await writeFile(path.join(orgDir, 'org.json'), formatJson(org));
  await writeFile(path.join(orgDir, 'users.json'), formatJson(users));
  const docs: string[] = ['apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\nunmanagedApps: ignore\n'];
  for (let i = 1; i <= apps; i++) {
    const name = `App ${String(i).padStart(3, '0')}`;
    const app: ObservedApp = {
      id: appId(i),
      name,
      type: 'ConnectedApp',
      packaged: false,
      installed: true,
      blocked: false,
      deniedAttempts: 0,
      policies: { permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' },
      sessions: ['u1@acme.example', 'u2@acme.example'].map((user) => ({ user, created: '2026-06-01T00:00:00Z', lastUsed: '2026-06-02T00:00:00Z', useCount: 3, flow: 'web-server' as const })),
    };
    await writeFile(path.join(orgDir, 'apps', `${app.id}.json`), formatJson(app));
    const head = `apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: ${name}\n`;
    if (i % 3 === 0) docs.push(`${head}blocked: true\n`);
    // Not BYPASS: with all users and infinite refresh tokens, that is risk rule CAPR001 (deny).
    else if (i % 3 === 1) docs.push(`${head}policies:\n  ipRelaxation: ENFORCE_RELAXREFRESH\n`);
    else {
      docs.push(head);
      docs.push(`apiVersion: capctl/v1\nkind: Revocation\norg: acme-prod\nid: INC-${i}\napp: ${name}\nusers: all\nissuedBefore: 2026-11-01T00:00:00Z\nreason: generated\n`);
    }
  }
  await writeFile(path.join(desired, 'apps.yaml'), docs.join('---\n'));
  return { orgState, desired };
}

/** Plans the org as `capctl plan --out` does (in process) and writes the plan to `file`. */
export async function savePlan(desired: string, orgState: string, file: string, now = new Date('2026-11-28T12:00:00Z')): Promise<Plan> {
  const { plan } = await readAndPlanOrg({ desired, store: new FileOrgStore(orgState), storeName: orgState, now });
  await writeFile(file, renderPlanJson(plan));
  return plan;
}
