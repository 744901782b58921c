// R12: the app install approval URL, for orgs whose OAuth Usage page times out with too many apps.

/** `/identity/app/AppInstallApprovalPage.apexp?app_id=<app id>&app_org_id=<org id>` (seed, R12). */
export function approvalUrl(appId: string, orgId: string): string {
  return `/identity/app/AppInstallApprovalPage.apexp?app_id=${encodeURIComponent(appId)}&app_org_id=${encodeURIComponent(orgId)}`;
}
