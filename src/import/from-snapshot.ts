// An org as the store has it → the declarations that say exactly that (pure): one per listed app,
// the org's settings, no revocations and no guards. Planning them against the same org gives no
// actions; where a value could not be declared without a plan error, it is left out (not
// managed) and a remark says so.
import type { AppDoc, ObservedApp, DeclaredPolicies, Declarations, Diagnostic, OrgSettingsDoc, OrgSnapshot } from '../model/index.js';
import { Codes } from '../model/index.js';
import { isAllowlisted } from '../plan/access.js';
import { byCodePoint } from '../plan/names.js';

/** Declarations of one org's settings: allowlisting, OAuth flows, and `unmanagedApps: report`. */
function settingsFromSnapshot(snapshot: OrgSnapshot): OrgSettingsDoc {
  const { settings } = snapshot.org;
  return {
    apiVersion: 'capctl/v1',
    kind: 'OrgSettings',
    org: snapshot.slug,
    adminApprovedAppsOnly: settings.adminApprovedAppsOnly,
    unmanagedApps: 'report',
    oauthFlows: {
      blockUsernamePassword: settings.oauthFlows.blockUsernamePassword,
      blockUserAgent: settings.oauthFlows.blockUserAgent,
      allowAuthorizationCodeAndCredentials: settings.oauthFlows.allowAuthorizationCodeAndCredentials,
    },
  };
}

/** The declaration of one app as the org has it. */
function appFromSnapshot(app: ObservedApp, org: string, allowlisting: boolean, diagnostics: Diagnostic[]): AppDoc {
  const doc: AppDoc = { apiVersion: 'capctl/v1', kind: app.type, org, name: app.name, id: app.id, installed: app.installed, blocked: app.blocked };
  if (allowlisting && !app.blocked && !isAllowlisted(app)) {
    // Blocked org-wide by allowlisting, not by itself: `blocked: false` would be a plan error (R2).
    delete doc.blocked;
    diagnostics.push({
      severity: 'info',
      code: Codes.importOmittedField,
      message: `${app.name}: blocked left out: the app is blocked org-wide by API client allowlisting (to allow it, install it and set permittedUsers: admin-approved)`,
    });
  }
  if (app.installed && app.policies) {
    const observed = app.policies;
    const policies: DeclaredPolicies = { permittedUsers: observed.permittedUsers };
    if (observed.permittedUsers === 'admin-approved') {
      policies.profiles = [...observed.profiles];
      policies.permissionSets = [...observed.permissionSets];
    } else if (observed.profiles.length + observed.permissionSets.length > 0) {
      diagnostics.push({
        severity: 'info',
        code: Codes.importOmittedField,
        message: `${app.name}: profiles and permission sets left out: they apply only to admin-approved apps (R7) and this one lets all users self-authorize`,
      });
    }
    policies.ipRelaxation = observed.ipRelaxation;
    policies.refreshTokenPolicy = observed.refreshTokenPolicy;
    doc.policies = policies;
  }
  return doc;
}

/** The declarations that match an org as it is, and a remark for each value left out. */
export function declarationsFromSnapshot(snapshot: OrgSnapshot): { declarations: Declarations; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const allowlisting = snapshot.org.settings.adminApprovedAppsOnly;
  const apps = [...snapshot.apps]
    .sort((a, b) => byCodePoint(a.name, b.name) || byCodePoint(a.id, b.id))
    .map((app) => appFromSnapshot(app, snapshot.slug, allowlisting, diagnostics));
  return { declarations: { org: snapshot.slug, settings: settingsFromSnapshot(snapshot), apps, revocations: [] }, diagnostics };
}
