// fast-check generators of small orgs and schema-valid declarations about them (some of which
// name things the org does not have), and the declaration an import of the org would write.
import fc from 'fast-check';
import type { AppDoc, ObservedApp, DesiredOrg, OrgSettingsDoc, OrgSnapshot, OrgUser, Permission, RevocationDoc, Session } from '../../src/model/index.js';
import { declarationsFromSnapshot } from '../../src/import/from-snapshot.js';
import { allPermissions, declared, idFor } from './builders.js';

const profiles = ['System Administrator', 'Standard User', 'Sales User', 'Integration User'];
const permissionSets = ['Slack Access', 'Jira Sync', 'API Integration'];
const usernames = ['admin@acme.example', 'jdoe@acme.example', 'asmith@acme.example', 'svc@acme.example', 'mgarcia@acme.example', 'old@acme.example'];
const appNames = ['Slack', 'Dropbox', 'DocuSign', 'Zoom', 'Workbench', 'Salesforce CLI', 'Tableau'];
const instants = ['2026-06-01T00:00:00Z', '2026-09-15T08:30:00Z', '2026-11-19T23:59:59Z', '2026-11-20T00:00:00Z', '2026-11-27T10:00:00Z'];
const flows = ['web-server', 'user-agent', 'username-password', 'jwt-bearer', 'refresh-token'] as const;
const ipRelaxations = ['ENFORCE', 'BYPASS_2FACTOR', 'BYPASS', 'ENFORCE_RELAXREFRESH'] as const;
const refreshPolicies = ['infinite', 'zero', 'specific_lifetime:90:DAYS', 'specific_inactivity:2:HOURS'];

const subsetOf = <T>(items: readonly T[]) => fc.subarray([...items]);

const userArb = (username: string): fc.Arbitrary<OrgUser> =>
  fc.record({
    username: fc.constant(username),
    profile: fc.constantFrom(...profiles),
    permissionSets: subsetOf(permissionSets),
    permissions: fc.oneof(subsetOf(allPermissions), fc.constant(allPermissions)) as fc.Arbitrary<Permission[]>,
    active: fc.constantFrom(true, true, true, false),
  });

const sessionArb = (users: readonly string[]): fc.Arbitrary<Session> =>
  fc.record({
    user: fc.constantFrom(...users),
    created: fc.constantFrom(...instants),
    lastUsed: fc.constantFrom(...instants),
    useCount: fc.nat(50),
    flow: fc.constantFrom(...flows),
  });

const policiesArb = fc.record({
  permittedUsers: fc.constantFrom('all-users' as const, 'admin-approved' as const),
  profiles: subsetOf(profiles),
  permissionSets: subsetOf(permissionSets),
  ipRelaxation: fc.constantFrom(...ipRelaxations),
  refreshTokenPolicy: fc.constantFrom(...refreshPolicies),
});

const appArb = (name: string, users: readonly string[]): fc.Arbitrary<ObservedApp> =>
  fc
    .record({
      type: fc.constantFrom('ConnectedApp' as const, 'ExternalClientApp' as const),
      packaged: fc.boolean(),
      installed: fc.boolean(),
      blocked: fc.boolean(),
      deniedAttempts: fc.nat(20),
      policies: policiesArb,
      sessions: users.length === 0 ? fc.constant<Session[]>([]) : fc.array(sessionArb(users), { maxLength: 6 }),
    })
    .map(({ policies, ...app }) => {
      const out: ObservedApp = { id: idFor(name), name, ...app, sessions: app.blocked ? [] : app.sessions };
      if (app.installed) out.policies = policies;
      return out;
    });

/** A small org: a few users, apps, sessions and settings; allowlisting only where the feature is on. */
export const orgArb: fc.Arbitrary<OrgSnapshot> = fc
  .record({
    users: subsetOf(usernames),
    apps: subsetOf(appNames),
    apiAccessControl: fc.boolean(),
    allowlisting: fc.boolean(),
    flows: fc.record({ blockUsernamePassword: fc.boolean(), blockUserAgent: fc.boolean(), allowAuthorizationCodeAndCredentials: fc.boolean() }),
  })
  .chain(({ users, apps, apiAccessControl, allowlisting, flows: oauthFlows }) =>
    fc.record({ users: fc.tuple(...users.map(userArb)), apps: fc.tuple(...apps.map((name) => appArb(name, users))) }).map(
      (parts): OrgSnapshot => ({
        slug: 'acme-prod',
        org: {
          id: '00D5e0000001AcmEAA',
          name: 'acme-prod',
          edition: 'Enterprise',
          features: { apiAccessControl },
          settings: { adminApprovedAppsOnly: apiAccessControl && allowlisting, oauthFlows },
          profiles,
          permissionSets,
          revision: 3,
        },
        users: parts.users,
        apps: [...parts.apps].sort((a, b) => (a.name < b.name ? -1 : 1)),
        digest: `sha256:${'a'.repeat(64)}`,
      }),
    ),
  );

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const appDocArb = (name: string, org: OrgSnapshot): fc.Arbitrary<AppDoc> =>
  fc
    .record({
      kind: maybe(fc.constantFrom('ConnectedApp' as const, 'ExternalClientApp' as const)),
      installed: maybe(fc.boolean()),
      blocked: maybe(fc.boolean()),
      policies: maybe(
        fc.record({
          permittedUsers: maybe(fc.constantFrom('all-users' as const, 'admin-approved' as const)),
          profiles: maybe(subsetOf([...profiles, 'Ghost Profile'])),
          permissionSets: maybe(subsetOf([...permissionSets, 'Ghost Set'])),
          ipRelaxation: maybe(fc.constantFrom(...ipRelaxations)),
          refreshTokenPolicy: maybe(fc.constantFrom(...refreshPolicies)),
        }),
      ),
    })
    .map(({ kind, policies, ...rest }) => {
      const listed = org.apps.find((a) => a.name === name);
      return compact({
        apiVersion: 'capctl/v1' as const,
        kind: kind ?? listed?.type ?? 'ConnectedApp',
        org: 'acme-prod',
        name,
        ...rest,
        policies: policies ? compact(policies) : undefined,
      });
    });

/** An app declaration that the org can satisfy: its kind, known names, assignments only when admin-approved. */
const coherentAppDocArb = (app: ObservedApp): fc.Arbitrary<AppDoc> =>
  fc
    .record({
      installed: maybe(fc.boolean()),
      blocked: maybe(fc.boolean()),
      policies: maybe(
        fc.record({
          assignments: maybe(fc.record({ profiles: maybe(subsetOf(profiles)), permissionSets: maybe(subsetOf(permissionSets)) })),
          allUsers: fc.boolean(),
          ipRelaxation: maybe(fc.constantFrom(...ipRelaxations)),
          refreshTokenPolicy: maybe(fc.constantFrom(...refreshPolicies)),
        }),
      ),
    })
    .map(({ installed, blocked, policies }) => {
      const doc: AppDoc = compact({ apiVersion: 'capctl/v1' as const, kind: app.type, org: 'acme-prod', name: app.name, installed, blocked });
      if (policies) {
        doc.installed = true;
        const { assignments, allUsers, ipRelaxation, refreshTokenPolicy } = policies;
        doc.policies = compact({
          permittedUsers: assignments ? ('admin-approved' as const) : allUsers ? ('all-users' as const) : undefined,
          ...(assignments ? compact(assignments) : {}),
          ipRelaxation,
          refreshTokenPolicy,
        });
      }
      return doc;
    });

const coherentRevocationArb = (org: OrgSnapshot, id: string): fc.Arbitrary<RevocationDoc> =>
  fc.record({
    apiVersion: fc.constant('capctl/v1' as const),
    kind: fc.constant('Revocation' as const),
    org: fc.constant('acme-prod'),
    id: fc.constant(id),
    app: fc.constantFrom(...org.apps.map((a) => a.name)),
    users:
      org.users.length === 0
        ? fc.constant('all' as const)
        : fc.oneof(
            fc.constant('all' as const),
            fc.uniqueArray(fc.constantFrom(...org.users.map((u) => u.username)), { minLength: 1, maxLength: 3 }) as fc.Arbitrary<[string, ...string[]]>,
          ),
    issuedBefore: fc.constantFrom(...instants),
    reason: fc.constant('generated'),
  });

const coherentSettingsArb = (org: OrgSnapshot): fc.Arbitrary<OrgSettingsDoc> =>
  fc
    .record({
      adminApprovedAppsOnly: maybe(org.org.features.apiAccessControl ? fc.boolean() : fc.constant(false)),
      unmanagedApps: maybe(fc.constantFrom('ignore' as const, 'report' as const, 'block' as const)),
      oauthFlows: maybe(fc.record({ blockUsernamePassword: maybe(fc.boolean()), allowAuthorizationCodeAndCredentials: maybe(fc.boolean()) }).map(compact)),
      guards: maybe(fc.record({ protectedApps: maybe(subsetOf(['Salesforce CLI'])), maxSessionsEnded: maybe(fc.constant(1000)) }).map(compact)),
    })
    .map((s) => compact({ apiVersion: 'capctl/v1' as const, kind: 'OrgSettings' as const, org: 'acme-prod', ...s }));

/** A declaration the org can mostly satisfy, so that most plans have actions rather than errors. */
export const coherentDeclarationArb = (org: OrgSnapshot): fc.Arbitrary<DesiredOrg> =>
  fc
    .record({
      settings: maybe(coherentSettingsArb(org)),
      apps: subsetOf(org.apps).chain((apps) => fc.tuple(...apps.map(coherentAppDocArb))),
      revocations: org.apps.length === 0 ? fc.constant<RevocationDoc[]>([]) : fc.nat(3).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => coherentRevocationArb(org, `INC-${i + 1}`)))).map((r): RevocationDoc[] => [...r]),
    })
    .map(({ settings, apps, revocations }) => ({
      slug: 'acme-prod',
      ...(settings ? { settings: declared(settings, 'org.yaml') } : {}),
      apps: apps.map((doc) => declared(doc, `apps/${doc.name}.yaml`)),
      revocations: revocations.map((doc) => declared(doc, `revocations/${doc.id}.yaml`)),
    }));

/** An org together with a declaration it can mostly satisfy. */
export const orgAndCoherentDeclarationArb = orgArb.chain((org) => coherentDeclarationArb(org).map((desired) => ({ org, desired })));

const revocationArb = (org: OrgSnapshot, id: string): fc.Arbitrary<RevocationDoc> =>
  fc.record({
    apiVersion: fc.constant('capctl/v1' as const),
    kind: fc.constant('Revocation' as const),
    org: fc.constant('acme-prod'),
    id: fc.constant(id),
    app: fc.constantFrom(...appNames, 'Unlisted App'),
    users: fc.oneof(
      fc.constant('all' as const),
      fc.uniqueArray(fc.constantFrom(...org.users.map((u) => u.username), 'stranger@acme.example'), { minLength: 1, maxLength: 3 }) as fc.Arbitrary<[string, ...string[]]>,
    ),
    issuedBefore: fc.constantFrom(...instants),
    reason: fc.constant('generated'),
  });

const settingsArb: fc.Arbitrary<OrgSettingsDoc> = fc
  .record({
    adminApprovedAppsOnly: maybe(fc.boolean()),
    unmanagedApps: maybe(fc.constantFrom('ignore' as const, 'report' as const, 'block' as const)),
    oauthFlows: maybe(fc.record({ blockUsernamePassword: maybe(fc.boolean()), blockUserAgent: maybe(fc.boolean()) }).map(compact)),
    guards: maybe(fc.record({ protectedApps: maybe(subsetOf(['Salesforce CLI', 'Slack', 'Nonexistent'])), maxSessionsEnded: maybe(fc.nat(10)) }).map(compact)),
  })
  .map((s) => compact({ apiVersion: 'capctl/v1' as const, kind: 'OrgSettings' as const, org: 'acme-prod', ...s }));

/** A schema-valid declaration about an org: it may ask for anything, including what the org lacks. */
export const declarationArb = (org: OrgSnapshot): fc.Arbitrary<DesiredOrg> =>
  fc
    .record({
      settings: maybe(settingsArb),
      apps: subsetOf([...appNames, 'Unlisted App']).chain((names) => fc.tuple(...names.map((n) => appDocArb(n, org)))),
      revocations: fc.nat(3).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => revocationArb(org, `INC-${i + 1}`)))),
    })
    .map(({ settings, apps, revocations }) => ({
      slug: 'acme-prod',
      ...(settings ? { settings: declared(settings, 'org.yaml') } : {}),
      apps: apps.map((doc) => declared(doc, `apps/${doc.name}.yaml`)),
      revocations: revocations.map((doc) => declared(doc, `revocations/${doc.id}.yaml`)),
    }));

/** An org together with a declaration about it. */
export const orgAndDeclarationArb = orgArb.chain((org) => declarationArb(org).map((desired) => ({ org, desired })));

/** What `capctl import` would write: the org as it is, in the declaration's words (the real import, with positions). */
export function declarationOf(org: OrgSnapshot): DesiredOrg {
  const { declarations } = declarationsFromSnapshot(org);
  return {
    slug: declarations.org,
    ...(declarations.settings ? { settings: declared(declarations.settings, 'org.yaml') } : {}),
    apps: declarations.apps.map((doc) => declared(doc, `apps/${doc.name}.yaml`)),
    revocations: declarations.revocations.map((doc) => declared(doc, `revocations/${doc.id}.yaml`)),
  };
}
