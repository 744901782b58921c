// R12: when an org lists too many apps for its usage page, an app is installed through its
// install approval URL. Every install action carries it; `capctl approval-url APP` prints it.

/** The path of the page that installs (approves) an app in an org, relative to the org's domain. */
export function approvalUrl(appId: string, orgId: string): string {
  return `/identity/app/AppInstallApprovalPage.apexp?app_id=${encodeURIComponent(appId)}&app_org_id=${encodeURIComponent(orgId)}`;
}
