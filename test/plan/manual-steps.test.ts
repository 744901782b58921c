// Manual steps (SPEC §13): on a connected org, installing and uninstalling an app and blocking an
// app known only from its tokens have no API; the plan marks them with the URL to do them by hand,
// and every view says so. A file-store org has no manual step.
import { describe, expect, it } from 'vitest';
import type { OrgSnapshot } from '../../src/model/index.js';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { allPermissions, app, appDoc, desired, plan, session, snapshot, user } from './builders.js';
import { expectValidPlan } from './plan-schema.js';

const users = [user('admin@acme.example', { profile: 'System Administrator', permissions: allPermissions }), user('jdoe@acme.example')];
const instanceUrl = 'https://acme.my.salesforce.com';

function live(observed: OrgSnapshot): OrgSnapshot {
  return { ...observed, live: { instanceUrl: `${instanceUrl}/` } };
}

function org(): OrgSnapshot {
  return snapshot({
    users,
    apps: [
      app('DocuSign', { installed: false }),
      // Known only from its tokens: no id, no consumer key (salesforce-api.md §1).
      app('Phantom', { id: 'cap0123456789abcdef', installed: false, derivedId: true, sessions: [session('jdoe@acme.example', '2026-10-01T00:00:00Z')] }),
      app('Ghost', { id: 'cap0fedcba98765432', installed: false, derivedId: true }),
      app('Dropbox'),
      app('Trello'),
    ],
  });
}

const declared = desired({
  apps: [
    appDoc('DocuSign', { installed: true }),
    appDoc('Ghost', { installed: true }),
    appDoc('Phantom', { blocked: true }),
    appDoc('Dropbox', { installed: false }),
    appDoc('Trello', { blocked: true }),
  ],
});

describe('manual steps', () => {
  it('on a live org: install (approval page when the id is known, else the usage page), uninstall and the block of a token-only app are manual; a block by consumer key is not', () => {
    const p = plan(declared, live(org()));
    expectValidPlan(p);
    const marks = Object.fromEntries(p.actions.map((a) => [`${a.kind} ${a.app!.name}`, a.manual]));
    const docusign = p.actions.find((a) => a.app?.name === 'DocuSign')!;
    expect(marks).toEqual({
      'install DocuSign': { page: 'install-approval', url: `${instanceUrl}/identity/app/AppInstallApprovalPage.apexp?app_id=${docusign.app!.id}&app_org_id=00D5e0000001AcmEAA` },
      'install Ghost': { page: 'oauth-usage', url: `${instanceUrl}/lightning/setup/ConnectedAppsUsage/home` },
      'block Phantom': { page: 'oauth-usage', url: `${instanceUrl}/lightning/setup/ConnectedAppsUsage/home` },
      'block Trello': undefined,
      'uninstall Dropbox': { page: 'oauth-usage', url: `${instanceUrl}/lightning/setup/ConnectedAppsUsage/home` },
    });
    // An app without a real id has no approval URL to give.
    expect(p.actions.find((a) => a.app?.name === 'Ghost')!.approvalUrl).toBeUndefined();
    expect(docusign.approvalUrl).toBeDefined();
  });

  it('on a file-store org nothing is manual, and the plan JSON has no such field', () => {
    const p = plan(declared, org());
    expect(p.actions.length).toBe(5);
    expect(p.actions.every((a) => a.manual === undefined)).toBe(true);
    expect(renderPlanJson(p)).not.toContain('manual');
    expect(renderPlanText(p, { color: false })).not.toContain('manual');
    expect(renderPlanMarkdown(p)).not.toContain('manual');
  });

  it('text, markdown and JSON say which actions are manual, with the URL, and that apply stops before them', () => {
    const p = plan(declared, live(org()));
    const usage = `${instanceUrl}/lightning/setup/ConnectedAppsUsage/home`;
    const text = renderPlanText(p, { color: false });
    expect(text).toContain(`manual    by hand (no API does it), on Setup's Connected Apps OAuth Usage page: ${usage}`);
    expect(text).toContain("manual    by hand (no API does it), on the app's install approval page: https://acme.my.salesforce.com/identity/app/AppInstallApprovalPage.apexp?app_id=");
    expect(text).toContain('4 actions are manual steps: apply carries out what comes before, then stops (exit 4) until it is done by hand.');
    const markdown = renderPlanMarkdown(p);
    expect(markdown).toContain(`- **manual step**: by hand (no API does it), on [Setup's Connected Apps OAuth Usage page](${usage}); apply stops before it until it is done`);
    expect(markdown).toMatch(/\| install \(manual\) \| Ghost \|/);
    expect(markdown).toMatch(/\| block \| Trello \|/);
    expect(markdown.split('\n').find((l) => l.startsWith('**Plan:'))).toContain('4 actions are manual steps');
    const json = JSON.parse(renderPlanJson(p)) as { actions: { manual?: unknown }[] };
    expect(json.actions.filter((a) => a.manual).length).toBe(4);
  });

  it("on a live org, the policies of an app known only by name wait for its install (it has no id to set them on yet); a file-store org plans them at once", () => {
    const withPolicies = desired({ apps: [appDoc('Ghost', { installed: true, policies: { permittedUsers: 'admin-approved', permissionSets: [] } })] });
    const onLive = plan(withPolicies, live(org()));
    expectValidPlan(onLive);
    expect(onLive.actions.map((a) => `${a.kind} ${a.app!.name}`)).toEqual(['install Ghost']);
    const note = onLive.diagnostics.find((d) => d.code === 'CAP340')!;
    expect(note.message).toContain('Ghost: its declared policies and assignments are left to the plan after its install');
    const onFiles = plan(withPolicies, org());
    expect(onFiles.actions.map((a) => `${a.kind} ${a.app!.name}`)).toEqual(['install Ghost', 'set-policies Ghost']);
    expect(onFiles.diagnostics.some((d) => d.code === 'CAP340')).toBe(false);
  });
});
