// Generates the bundled example store org-state/acme-prod/ (the roster in README "See the org"):
// ~40 apps, ~60 users, ~500 sessions. Deterministic: a seeded PRNG and fixed dates, never the
// clock, so running it again gives the same bytes (a test checks the committed files are exactly
// its output). Written in the store's own deterministic JSON (dist/store/json-format.js: run
// `npm run build` first).
//
// Usage: node scripts/make-example-org.mjs [--out ORG_STATE_DIR]   (default: org-state)
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allPermissions, isoInstant, mulberry32, pickWeighted } from './seeded.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const formatModule = path.join(root, 'dist/store/json-format.js');


const SEED = 20261128;
const ORG = 'acme-prod';
const DOMAIN = 'acme.example';
const PROFILES = [
  'System Administrator',
  'Standard User',
  'Sales User',
  'Support Agent',
  'Marketing User',
  'Integration User',
  'Read Only',
  'Contract Manager',
];
const PERMISSION_SETS = [
  'Slack Access',
  'Slack Admins',
  'DocuSign Senders',
  'Tableau Viewers',
  'Jira Sync',
  'Data Loader Users',
  'API Integration',
  'Box Users',
  'Zoom Users',
];
const FIRST = Date.parse('2026-06-01T00:00:00Z');
const LAST = Date.parse('2026-11-28T18:00:00Z');

/** Builds the org: { org, users, apps }. */
export function makeExampleOrg() {
  const random = mulberry32(SEED);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const chance = (p) => random() < p;

  // --- users -------------------------------------------------------------------------------
  const users = [
    user('ci-bot', 'Integration User', ['API Integration'], allPermissions),
    user('ops-admin', 'System Administrator', [], ['ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ManageRemoteAccess']),
    user('sysadmin', 'System Administrator', ['Slack Admins'], ['ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ModifyAllData', 'ManageRemoteAccess', 'InstallPackaging', 'CanApproveUninstalledApps']),
    user('auditor', 'Read Only', [], ['ViewSetup']),
    user('svc-etl', 'Integration User', ['Data Loader Users'], ['UseAnyApiClient']),
    user('svc-datadog', 'Integration User', [], []),
    user('svc-bridge', 'Integration User', ['API Integration'], []),
    user('jdoe', 'Sales User', ['Slack Access', 'Jira Sync', 'Tableau Viewers'], []),
    user('asmith', 'Support Agent', ['Slack Access', 'Jira Sync'], []),
    user('mgarcia', 'Sales User', ['Slack Access', 'DocuSign Senders', 'Box Users'], []),
  ];
  const ordinary = [
    'bchen', 'cnguyen', 'dpatel', 'ekim', 'fmuller', 'grossi', 'hsato', 'ijohnson', 'jlee', 'kwilliams',
    'lbrown', 'mdavis', 'nmiller', 'owilson', 'pmoore', 'qtaylor', 'randerson', 'sthomas', 'tjackson', 'uwhite',
    'vharris', 'wmartin', 'xthompson', 'ygarcia', 'zmartinez', 'arobinson', 'bclark', 'crodriguez', 'dlewis', 'ewalker',
    'fhall', 'gallen', 'hyoung', 'ihernandez', 'jking', 'kwright', 'llopez', 'mhill', 'nscott', 'ogreen',
    'padams', 'qbaker', 'rgonzalez', 'snelson', 'tcarter', 'umitchell', 'vperez', 'wroberts', 'xturner', 'yphillips',
  ];
  const ordinaryProfiles = ['Sales User', 'Sales User', 'Support Agent', 'Support Agent', 'Standard User', 'Marketing User', 'Contract Manager'];
  const inactive = new Set(['owilson', 'tjackson', 'xturner']);
  for (const name of ordinary) {
    const profile = pick(ordinaryProfiles);
    const sets = [];
    if (chance(0.55)) sets.push('Slack Access');
    if (chance(0.05)) sets.push('Slack Admins');
    if (profile === 'Contract Manager' || chance(0.1)) sets.push('DocuSign Senders');
    if (chance(0.3)) sets.push('Tableau Viewers');
    if (profile === 'Support Agent' ? chance(0.6) : chance(0.15)) sets.push('Jira Sync');
    if (chance(0.25)) sets.push('Box Users');
    if (chance(0.2)) sets.push('Zoom Users');
    users.push(user(name, profile, sets, [], !inactive.has(name)));
  }
  users.sort((a, b) => (a.username < b.username ? -1 : 1));
  const active = users.filter((u) => u.active);

  // --- apps --------------------------------------------------------------------------------
  const ids = new Set();
  const appId = (type) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    for (;;) {
      let id = type === 'ConnectedApp' ? '0H4' : '0xI';
      while (id.length < 18) id += alphabet[Math.floor(random() * alphabet.length)];
      if (!ids.has(id)) {
        ids.add(id);
        return id;
      }
    }
  };
  const web = { 'web-server': 5, 'refresh-token': 4, 'user-agent': 1 };
  const mobile = { 'refresh-token': 5, 'web-server': 3, 'user-agent': 2 };
  // name, type, packaged, installed, blocked, deniedAttempts, policies, sessions, flow weights
  const specs = [
    ['Slack', 'CA', false, true, false, 0, allUsers('ENFORCE'), 60, web, { id: '0H4Hp000000TN1xKAG' }],
    ['Dropbox', 'CA', false, true, false, 0, allUsers('ENFORCE'), 25, web],
    ['DocuSign eSignature', 'CA', true, false, false, 14, undefined, 0, web],
    ['Acme Data Bridge', 'ECA', false, true, false, 0, approved(['Integration User'], []), 8, { 'jwt-bearer': 1 }],
    ['Zoom', 'CA', false, false, false, 3, undefined, 0, web],
    ['Salesforce CLI', 'CA', false, true, false, 0, allUsers('ENFORCE'), 30, { 'web-server': 3, 'refresh-token': 3, 'jwt-bearer': 2, device: 1 }],
    ['Tableau Online', 'CA', false, true, false, 0, approved([], ['Tableau Viewers']), 20, web],
    ['Jira Cloud Connector', 'CA', false, true, false, 0, approved([], ['Jira Sync']), 15, web],
    ['Data Loader', 'CA', false, true, false, 0, allUsers('ENFORCE'), 20, { 'web-server': 2, 'username-password': 3 }],
    ['Workbench', 'CA', false, true, true, 0, allUsers('ENFORCE'), 0, web],
    ['Salesforce for iOS', 'CA', false, true, false, 0, allUsers('ENFORCE'), 35, mobile],
    ['Salesforce for Android', 'CA', false, true, false, 0, allUsers('ENFORCE'), 25, mobile],
    ['Outlook Integration', 'CA', false, true, false, 0, allUsers('ENFORCE'), 40, web],
    ['Gearset', 'CA', true, true, false, 0, approved(['System Administrator'], []), 6, web],
    ['Datadog Monitoring', 'ECA', false, true, false, 0, approved(['Integration User'], []), 5, { 'client-credentials': 1 }],
    ['Postman', 'CA', false, false, false, 9, undefined, 2, web],
    ['QuickBooks Sync', 'CA', true, false, false, 41, undefined, 0, web],
    ['Unknown Scraper', 'CA', false, false, false, 212, undefined, 0, web],
    ['Box', 'CA', true, true, false, 0, approved([], ['Box Users']), 15, web],
    ['Zapier', 'CA', false, true, false, 0, allUsers('BYPASS'), 12, { 'web-server': 2, 'refresh-token': 3 }],
    ['Mailchimp', 'CA', true, true, false, 0, allUsers('ENFORCE'), 10, web],
    ['HubSpot', 'CA', true, true, true, 0, allUsers('ENFORCE'), 0, web],
    ['Asana', 'CA', false, true, false, 0, allUsers('ENFORCE'), 14, web],
    ['Trello', 'CA', false, false, false, 5, undefined, 0, web],
    ['Notion', 'CA', false, true, false, 0, allUsers('ENFORCE'), 12, web],
    ['GitHub', 'CA', false, true, false, 0, allUsers('ENFORCE_RELAXREFRESH'), 10, { 'web-server': 3, 'refresh-token': 2, device: 1 }],
    ['Calendly', 'CA', true, true, false, 0, allUsers('ENFORCE'), 15, web],
    ['LinkedIn Sales Navigator', 'CA', true, true, false, 0, allUsers('ENFORCE'), 18, web],
    ['Gong', 'CA', true, true, false, 0, allUsers('ENFORCE'), 20, web],
    ['Outreach', 'CA', true, true, false, 0, allUsers('ENFORCE'), 16, web],
    ['ZoomInfo', 'CA', true, false, false, 27, undefined, 1, web],
    ['Conga Composer', 'CA', true, true, false, 0, approved(['Contract Manager'], ['DocuSign Senders']), 8, web],
    ['Einstein Analytics', 'CA', false, true, false, 0, allUsers('ENFORCE'), 12, web],
    ['Salesforce Inbox', 'CA', false, true, false, 0, allUsers('ENFORCE'), 14, mobile],
    ['Quip', 'CA', false, true, false, 0, allUsers('ENFORCE'), 10, web],
    ['Heroku Connect', 'CA', false, true, false, 0, approved(['Integration User'], ['API Integration']), 4, { 'jwt-bearer': 1 }],
    ['MuleSoft Anypoint', 'ECA', false, true, false, 0, approved(['Integration User'], []), 6, { 'jwt-bearer': 2, 'client-credentials': 1 }],
    ['Okta SSO', 'CA', false, true, false, 0, allUsers('ENFORCE'), 8, { 'saml-bearer': 1 }],
    ['Microsoft Teams', 'CA', false, true, false, 0, allUsers('ENFORCE'), 20, web],
    ['Copado', 'CA', true, false, true, 0, undefined, 0, web],
  ];

  const apps = [];
  for (const [name, short, packaged, installed, blocked, deniedAttempts, policies, sessionCount, flows, extra] of specs) {
    const type = short === 'CA' ? 'ConnectedApp' : 'ExternalClientApp';
    const app = { id: extra?.id ?? appId(type), name, type, packaged, installed, blocked, deniedAttempts, sessions: [] };
    if (extra?.id) ids.add(extra.id);
    if (policies) app.policies = policies;
    const eligible = blocked ? [] : active.filter((u) => mayUse(app, u));
    app.sessions = makeSessions(eligible, sessionCount, flows, name);
    apps.push(app);
  }

  function makeSessions(eligible, count, flows, appName) {
    if (eligible.length === 0 || count === 0) return [];
    const perUser = new Map();
    const sessions = [];
    // Jira: jdoe's stolen laptop (INC-2057) needs a session of jdoe before 2026-11-25T12:00:00Z.
    if (appName === 'Jira Cloud Connector') {
      sessions.push(session(`jdoe@${DOMAIN}`, '2026-10-14T08:31:07Z', flows));
      perUser.set(`jdoe@${DOMAIN}`, 1);
    }
    const etl = `svc-etl@${DOMAIN}`;
    const upUser = (flow) => (flow === 'username-password' && eligible.some((u) => u.username === etl) ? etl : undefined);
    while (sessions.length < count) {
      const flow = weighted(flows);
      const username = upUser(flow) ?? pick(eligible).username;
      const held = perUser.get(username) ?? 0;
      if (held >= (username === etl || username === `ci-bot@${DOMAIN}` ? 5 : 2)) {
        if ([...perUser.values()].length >= eligible.length && [...perUser.values()].every((n) => n >= 2)) break;
        continue;
      }
      perUser.set(username, held + 1);
      sessions.push(session(username, undefined, flows, flow));
    }
    return sessions.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.user < b.user ? -1 : 1));
  }

  function session(username, created, flows, flow = weighted(flows)) {
    const createdMs = created ? Date.parse(created) : FIRST + Math.floor(random() * (LAST - FIRST));
    const lastMs = createdMs + Math.floor(random() ** 2 * (LAST - createdMs));
    const uses = flow === 'username-password' ? 1 : Math.max(1, Math.floor(random() ** 3 * 900));
    return { user: username, created: isoInstant(createdMs), lastUsed: isoInstant(lastMs), useCount: uses, flow };
  }

  function weighted(weights) {
    return pickWeighted(random, Object.entries(weights));
  }

  const org = {
    id: '00D5e0000001AcmEAA',
    name: ORG,
    edition: 'Enterprise',
    features: { apiAccessControl: true },
    settings: {
      adminApprovedAppsOnly: false,
      oauthFlows: { blockUsernamePassword: false, blockUserAgent: true, allowAuthorizationCodeAndCredentials: false },
    },
    profiles: PROFILES,
    permissionSets: PERMISSION_SETS,
    revision: 7,
  };
  return { org, users, apps };
}

function user(name, profile, permissionSets, permissions, active = true) {
  return { username: `${name}@${DOMAIN}`, profile, permissionSets, permissions, active };
}

function allUsers(ipRelaxation) {
  return { permittedUsers: 'all-users', profiles: [], permissionSets: [], ipRelaxation, refreshTokenPolicy: 'infinite' };
}

function approved(profiles, permissionSets) {
  return { permittedUsers: 'admin-approved', profiles, permissionSets, ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'infinite' };
}

/** Whether a user could have a session of the app as the org stands (SPEC §5). */
function mayUse(app, u) {
  if (!app.installed) return u.permissions.includes('CanApproveUninstalledApps');
  if (app.policies.permittedUsers === 'all-users') return true;
  return app.policies.profiles.includes(u.profile) || app.policies.permissionSets.some((s) => u.permissionSets.includes(s));
}

/** Writes the org into `<out>/acme-prod/`, replacing the app files there. */
export async function writeExampleOrg(out) {
  if (!existsSync(formatModule)) throw new Error('dist/ is missing: run `npm run build` first');
  const { formatJson } = await import(pathToFileURL(formatModule).href);
  const { org, users, apps } = makeExampleOrg();
  const orgDir = path.join(out, ORG);
  const appsDir = path.join(orgDir, 'apps');
  await mkdir(appsDir, { recursive: true });
  for (const name of await readdir(appsDir)) if (name.endsWith('.json')) await rm(path.join(appsDir, name));
  await writeFile(path.join(orgDir, 'org.json'), formatJson(org));
  await writeFile(path.join(orgDir, 'users.json'), formatJson(users));
  for (const app of apps) await writeFile(path.join(appsDir, `${app.id}.json`), formatJson(app));
  return { users: users.length, apps: apps.length, sessions: apps.reduce((n, a) => n + a.sessions.length, 0) };
}

const usage = `Usage: node scripts/make-example-org.mjs [--out ORG_STATE_DIR]

Writes the bundled example org into ORG_STATE_DIR/${ORG}/ (default: the repository's org-state),
replacing its org.json, users.json and apps/*.json. Run \`npm run build\` first.
`;

/** The folder to write into, or undefined for --help; any other argument is an error. */
function parseArgs(args) {
  let value;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return undefined;
    if (arg === '--out' && value === undefined && args[i + 1] !== undefined && !args[i + 1].startsWith('-')) value = args[++i];
    else if (arg === '--out') throw new Error(`--out needs one folder\n${usage.trimEnd()}`);
    else throw new Error(`unknown argument "${arg}"\n${usage.trimEnd()}`);
  }
  return value === undefined ? path.join(root, 'org-state') : path.resolve(value);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const out = parseArgs(process.argv.slice(2));
    if (out === undefined) {
      process.stdout.write(usage);
    } else {
      const counts = await writeExampleOrg(out);
      process.stdout.write(`wrote ${path.join(out, ORG)}: ${counts.apps} apps, ${counts.users} users, ${counts.sessions} sessions\n`);
    }
  } catch (error) {
    process.stderr.write(`make-example-org: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
