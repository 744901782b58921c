// Generates the benchmark org of SPEC §11 into a folder: a desired state (YAML) and an org store
// (org-state/, the files of SPEC §4), deterministically from a fixed seed — no clock, no
// Math.random — so that every run measures the same data.
//
//   node scripts/bench/generate.mjs OUT_DIR [--scale F] [--sessions N] [--seed S]
//
// At scale 1: 10,000 listed apps, 100,000 users, 1,000,000 sessions spread over the apps as real
// usage is (Zipf: a few apps hold most sessions), 2,000 declared apps in 2,000 YAML files and 20
// revocations, declared so that a plan has about 500 actions: installs, policy and assignment
// changes, unblocks, revocations ending about a tenth of the sessions, blocks of busy apps and
// uninstalls. `--scale` multiplies every count; `--sessions` sets the session count alone (for the
// scaling series). Writes OUT_DIR/desired/ and OUT_DIR/org-state/<org>/ and prints a JSON summary.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allPermissions, isoInstant, mulberry32, pickWeighted } from '../seeded.mjs';

// The store's JSON format, from the build (as scripts/make-example-org.mjs takes it).
const formatModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/store/json-format.js');
const { formatJson, withSortedKeys } = existsSync(formatModule) ? await import(pathToFileURL(formatModule).href) : {};

/** The org slug and id of the generated org. */
export const benchOrg = { slug: 'bench-org', id: '00D5e0000009BenchA' };
/** The user holding every permission: the actor of the benchmark's applies. */
export const benchActor = 'bench-admin@bench.example';

// Sessions are created between these instants (seconds since the epoch); all in the past, so that
// a revocation's issuedBefore is never in the future.
const windowStart = Date.UTC(2026, 0, 1) / 1000;
const windowEnd = Date.UTC(2026, 9, 31) / 1000;
const lastUseEnd = Date.UTC(2026, 10, 15) / 1000;

const flows = [
  ['web-server', 40],
  ['refresh-token', 30],
  ['jwt-bearer', 10],
  ['user-agent', 7],
  ['client-credentials', 5],
  ['device', 3],
  ['username-password', 3],
  ['saml-bearer', 2],
];

const wordsA = ['Acme', 'Apex', 'Blue', 'Bright', 'Cloud', 'Core', 'Data', 'Delta', 'Echo', 'Fast', 'Global', 'Green', 'Hyper', 'Iron', 'Lumen', 'Meta', 'Nova', 'Omni', 'Prime', 'Quant', 'Rapid', 'Silver', 'Summit', 'Terra', 'Vertex'];
const wordsB = ['Analytics', 'Bridge', 'Connect', 'Docs', 'Exchange', 'Forms', 'Gateway', 'Hub', 'Insights', 'Link', 'Mail', 'Monitor', 'Notes', 'Pay', 'Portal', 'Reports', 'Scheduler', 'Sign', 'Sync', 'Tasks'];
const baseProfiles = ['System Administrator', 'Standard User', 'Sales User', 'Support Agent', 'Marketing User', 'Integration User', 'Read Only', 'Contract Manager'];
const ipRelaxations = ['ENFORCE', 'BYPASS_2FACTOR', 'BYPASS', 'ENFORCE_RELAXREFRESH'];
const refreshPolicies = ['infinite', 'zero', 'specific_lifetime:90:DAYS', 'specific_inactivity:30:DAYS', 'specific_lifetime:12:HOURS'];

/** The counts of a benchmark org at a scale. */
export function benchCounts(scale = 1, sessionsOverride) {
  const n = (base, min = 1) => Math.max(min, Math.round(base * scale));
  const actions = {
    installs: n(60),
    policyChanges: n(80),
    assignmentChanges: n(90),
    unblocks: n(20),
    blocks: n(80),
    uninstalls: n(20),
  };
  const revocations = n(20);
  const changed = Object.values(actions).reduce((a, b) => a + b, 0);
  const declaredApps = Math.max(n(2000), changed + revocations + 4);
  const apps = Math.max(n(10_000), declaredApps * 2);
  const users = n(100_000, 50);
  const sessions = sessionsOverride ?? n(1_000_000, 100);
  return { apps, users, sessions, declaredApps, revocations, actions };
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}

function instant(seconds) {
  return isoInstant(seconds * 1000);
}

function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

function pickSome(rand, list, min, max) {
  const count = min + Math.floor(rand() * (max - min + 1));
  const chosen = new Set();
  while (chosen.size < Math.min(count, list.length)) chosen.add(list[Math.floor(rand() * list.length)]);
  return [...chosen].sort();
}

/** Generates the benchmark org into `outDir`; returns a summary of what it wrote. */
export function generateBench(outDir, options = {}) {
  if (!formatJson) throw new Error('dist/ is missing: run `npm run build` first');
  const scale = options.scale ?? 1;
  const counts = benchCounts(scale, options.sessions);
  const rand = mulberry32(options.seed ?? 20261129);
  const orgDir = path.join(outDir, 'org-state', benchOrg.slug);
  const desiredDir = path.join(outDir, 'desired');
  mkdirSync(path.join(orgDir, 'apps'), { recursive: true });
  mkdirSync(path.join(desiredDir, 'apps'), { recursive: true });

  // --- org: profiles and permission sets ---
  const profiles = [...baseProfiles, ...Array.from({ length: 12 }, (_, i) => `Bench Profile ${pad(i + 1, 2)}`)].sort();
  const permissionSets = Array.from({ length: 60 }, (_, i) => `Bench Access ${pad(i + 1, 2)}`).sort();

  // --- users ---
  const userWidth = String(counts.users).length;
  const usernames = Array.from({ length: counts.users }, (_, i) => `user${pad(i, userWidth)}@bench.example`);
  const users = [
    { active: true, permissionSets: [permissionSets[0]], permissions: allPermissions, profile: 'System Administrator', username: benchActor },
  ];
  for (const username of usernames) {
    const r = rand();
    const permissions = r < 0.005 ? allPermissions : r < 0.02 ? ['ViewSetup', 'ManageUsers'] : r < 0.03 ? ['CanApproveUninstalledApps'] : [];
    users.push({
      active: rand() >= 0.03,
      permissionSets: pickSome(rand, permissionSets, 0, 3),
      permissions,
      profile: profiles[Math.floor(rand() ** 2 * profiles.length)],
      username,
    });
  }
  users.sort((a, b) => (a.username < b.username ? -1 : 1));

  // --- apps: identity and observed state ---
  const appWidth = String(counts.apps).length;
  // States by a seeded permutation, so that even a tiny scale has enough of each for its changes:
  // about 2% blocked, 28% not installed, the rest installed and in use.
  const order = Array.from({ length: counts.apps }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const blockedCount = Math.max(Math.round(counts.apps * 0.02), counts.actions.unblocks + 1);
  const uninstalledCount = Math.max(Math.round(counts.apps * 0.28), counts.actions.installs + 1);
  const stateOf = new Array(counts.apps);
  order.forEach((appIndex, k) => {
    stateOf[appIndex] = k < blockedCount ? 'blocked' : k < blockedCount + uninstalledCount ? 'uninstalled' : 'active';
  });
  const apps = [];
  for (let i = 0; i < counts.apps; i++) {
    const external = rand() < 0.15;
    const idBody = pad(i.toString(36).toUpperCase(), 15);
    const state = stateOf[i];
    const app = {
      index: i,
      id: `${external ? '0xI' : '0H4'}${idBody}`,
      name: `${wordsA[i % wordsA.length]} ${wordsB[Math.floor(i / wordsA.length) % wordsB.length]} ${pad(i, appWidth)}`,
      type: external ? 'ExternalClientApp' : 'ConnectedApp',
      packaged: rand() < 0.25,
      installed: state !== 'uninstalled',
      blocked: state === 'blocked',
      deniedAttempts: state === 'uninstalled' ? Math.floor(rand() ** 3 * 300) : 0,
      sessionCount: 0,
      policies: undefined,
    };
    if (app.installed) {
      const adminApproved = rand() < 0.4 || i % 5 === 0;
      app.policies = {
        permittedUsers: adminApproved ? 'admin-approved' : 'all-users',
        profiles: adminApproved ? pickSome(rand, profiles, 0, 1) : [],
        permissionSets: adminApproved ? pickSome(rand, permissionSets, 1, 2) : [],
        ipRelaxation: pickWeighted(rand, [['ENFORCE', 80], ['BYPASS_2FACTOR', 10], ['BYPASS', 5], ['ENFORCE_RELAXREFRESH', 5]]),
        refreshTokenPolicy: pickWeighted(rand, [['infinite', 70], ['specific_lifetime:90:DAYS', 15], ['specific_inactivity:30:DAYS', 10], ['zero', 5]]),
      };
    }
    apps.push(app);
  }

  // --- sessions per app: Zipf over the installed, unblocked apps in a seeded order ---
  const active = apps.filter((a) => a.installed && !a.blocked);
  for (let i = active.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [active[i], active[j]] = [active[j], active[i]];
  }
  const weights = active.map((_, rank) => 1 / (rank + 1));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const perAppCap = 5 * counts.users; // R11: at most 5 sessions per user per app
  let assigned = 0;
  active.forEach((app, rank) => {
    app.sessionCount = Math.min(perAppCap, Math.floor((counts.sessions * weights[rank]) / totalWeight));
    assigned += app.sessionCount;
  });
  for (let rank = 0; assigned < counts.sessions && rank < active.length; rank++) {
    const extra = Math.min(perAppCap - active[rank].sessionCount, counts.sessions - assigned);
    active[rank].sessionCount += extra;
    assigned += extra;
  }

  // --- roles: which apps the declaration changes, and how ---
  const taken = new Set();
  const take = (list, index) => {
    for (let k = 0; k < list.length; k++) {
      const app = list[(index + k) % list.length];
      if (!taken.has(app)) {
        taken.add(app);
        return app;
      }
    }
    throw new Error('benchmark generator: not enough apps for the declared changes');
  };
  const spread = (list, count, from, to) => {
    const out = [];
    const span = Math.max(1, Math.min(to, list.length) - from);
    for (let k = 0; k < count; k++) out.push(take(list, from + Math.floor((k * span) / count)));
    return out;
  };
  const protectedApp = take(active, 0);
  // Blocks: a few of the busiest apps, the rest spread over the long tail.
  const busyBlocks = Math.max(1, Math.ceil(counts.actions.blocks / 13));
  const blocks = [];
  for (let k = 0; k < busyBlocks; k++) blocks.push(take(active, 3 + 5 * k));
  blocks.push(...spread(active, counts.actions.blocks - busyBlocks, Math.min(30, active.length - 1), active.length));
  const revocationApps = [];
  for (let k = 0; k < counts.revocations; k++) revocationApps.push(take(active, 1));
  const uninstalls = spread(active, counts.actions.uninstalls, Math.floor(active.length * 0.6), active.length);
  const policyChanges = spread(active, counts.actions.policyChanges, Math.floor(active.length * 0.05), active.length);
  const adminApproved = active.filter((a) => a.policies.permittedUsers === 'admin-approved');
  const assignmentChanges = spread(adminApproved, counts.actions.assignmentChanges, 0, adminApproved.length);
  const uninstalled = apps.filter((a) => !a.installed);
  const installs = spread(uninstalled, counts.actions.installs, 0, uninstalled.length);
  const blockedApps = apps.filter((a) => a.blocked);
  const unblocks = spread(blockedApps, counts.actions.unblocks, 0, blockedApps.length);
  const others = apps.filter((a) => !taken.has(a));
  const unchanged = spread(others, counts.declaredApps - taken.size, 0, others.length);

  // --- the desired state ---
  const desired = new Map(); // app -> the declaration's fields
  const observedPolicies = (app) => ({ ...app.policies });
  for (const app of [protectedApp, ...revocationApps, ...unchanged]) {
    desired.set(app, { installed: app.installed, blocked: app.blocked, policies: app.installed ? observedPolicies(app) : undefined });
  }
  for (const app of blocks) desired.set(app, { installed: true, blocked: true });
  for (const app of uninstalls) desired.set(app, { installed: false });
  for (const app of unblocks) desired.set(app, { installed: true, blocked: false, policies: observedPolicies(app) });
  for (const app of installs) {
    desired.set(app, {
      installed: true,
      blocked: false,
      policies: { permittedUsers: 'admin-approved', profiles: [], permissionSets: [permissionSets[app.index % permissionSets.length]], ipRelaxation: 'ENFORCE', refreshTokenPolicy: 'specific_lifetime:90:DAYS' },
    });
  }
  policyChanges.forEach((app, k) => {
    const policies = observedPolicies(app);
    if (k % 3 === 0) policies.ipRelaxation = ipRelaxations[(ipRelaxations.indexOf(policies.ipRelaxation) + 1) % ipRelaxations.length];
    else if (k % 3 === 1) policies.refreshTokenPolicy = refreshPolicies[(refreshPolicies.indexOf(policies.refreshTokenPolicy) + 1) % refreshPolicies.length];
    else if (policies.permittedUsers === 'admin-approved') Object.assign(policies, { permittedUsers: 'all-users', profiles: [], permissionSets: [] });
    else policies.refreshTokenPolicy = refreshPolicies[(refreshPolicies.indexOf(policies.refreshTokenPolicy) + 2) % refreshPolicies.length];
    desired.set(app, { installed: true, blocked: false, policies });
  });
  assignmentChanges.forEach((app, k) => {
    const policies = observedPolicies(app);
    let pick = app.index * 7 + k;
    while (policies.permissionSets.includes(permissionSets[pick % permissionSets.length])) pick++;
    policies.permissionSets = [...policies.permissionSets, permissionSets[pick % permissionSets.length]].sort();
    desired.set(app, { installed: true, blocked: false, policies });
  });

  // Revocations: about a tenth of all sessions, spread over the revocation apps; a few name users.
  const isListed = (k) => k % 7 === 3;
  const revokingAll = Math.max(1, revocationApps.filter((_, k) => !isListed(k)).length);
  const revocationTarget = Math.round(counts.sessions / 10 / revokingAll);
  const revocations = revocationApps.map((app, k) => {
    const fraction = isListed(k) ? 0.5 : Math.min(0.9, revocationTarget / Math.max(1, app.sessionCount));
    const cutoff = Math.floor((windowStart + fraction * (windowEnd - windowStart)) / 60) * 60;
    return { app, k, id: `INC-${pad(4000 + k, 4)}`, cutoff, listed: isListed(k) };
  });

  // --- sessions and app files, one app at a time (memory stays bounded by the largest app) ---
  const stride = (() => {
    let s = Math.max(1, Math.floor(counts.users * 0.618)) | 1;
    while (gcd(s, counts.users) !== 1) s += 2;
    return s;
  })();
  let sessionsWritten = 0;
  let expectedRevoked = 0;
  let expectedBlocked = 0;
  const revocationOf = new Map(revocations.map((r) => [r.app, r]));
  const blockSet = new Set(blocks);
  for (const app of apps) {
    const n = app.sessionCount;
    const sessions = new Array(n);
    if (n > 0) {
      // Distinct users: at least n/5 (R11), usually one to three sessions each.
      const distinct = Math.min(counts.users, Math.max(Math.ceil(n / 5), Math.ceil(n / (1 + rand() * 2))));
      const start = Math.floor(rand() * counts.users);
      const created = new Float64Array(n);
      for (let j = 0; j < n; j++) created[j] = Math.floor(windowStart + rand() * (windowEnd - windowStart));
      created.sort();
      const revocation = revocationOf.get(app);
      if (revocation?.listed) {
        revocation.users = [];
        for (let j = 0; j < Math.min(distinct, 25); j++) revocation.users.push(usernames[(start + j * stride) % counts.users]);
        revocation.users = [...new Set(revocation.users)].sort();
      }
      const listed = revocation?.listed ? new Set(revocation.users) : undefined;
      for (let j = 0; j < n; j++) {
        const slot = Math.floor(rand() * n); // which user: slots cycle through `distinct` users
        const user = usernames[(start + (slot % distinct) * stride) % counts.users];
        const c = created[j];
        sessions[j] = {
          created: instant(c),
          flow: pickWeighted(rand, flows),
          lastUsed: instant(Math.floor(c + rand() * (lastUseEnd - c))),
          useCount: 1 + Math.floor(rand() ** 3 * 2000),
          user,
        };
      }
      // The slot draw above may give a user more than 5 sessions; reassign to keep R11.
      enforceFivePerUser(sessions, usernames, start, stride, distinct, counts.users);
      if (revocation) {
        for (let j = 0; j < n; j++) if (created[j] < revocation.cutoff && (!listed || listed.has(sessions[j].user))) expectedRevoked++;
      }
      if (blockSet.has(app)) expectedBlocked += n;
      sessionsWritten += n;
    }
    const file = {
      blocked: app.blocked,
      deniedAttempts: app.deniedAttempts,
      id: app.id,
      installed: app.installed,
      name: app.name,
      packaged: app.packaged,
      policies: app.policies ? withSortedKeys(app.policies) : undefined,
      sessions,
      type: app.type,
    };
    writeFileSync(path.join(orgDir, 'apps', `${app.id}.json`), `${JSON.stringify(file, null, 2)}\n`);
  }

  writeFileSync(
    path.join(orgDir, 'org.json'),
    formatJson({
      id: benchOrg.id,
      name: benchOrg.slug,
      edition: 'Unlimited',
      features: { apiAccessControl: true },
      settings: { adminApprovedAppsOnly: false, oauthFlows: { blockUsernamePassword: false, blockUserAgent: true, allowAuthorizationCodeAndCredentials: false } },
      profiles,
      permissionSets,
      revision: 1,
    }),
  );
  writeFileSync(path.join(orgDir, 'users.json'), `${JSON.stringify(users, null, 2)}\n`);

  // --- desired YAML: one file per declared app, the org settings, the revocations ---
  writeFileSync(
    path.join(desiredDir, 'org.yaml'),
    [
      'apiVersion: capctl/v1',
      'kind: OrgSettings',
      `org: ${benchOrg.slug}`,
      'adminApprovedAppsOnly: false',
      'unmanagedApps: ignore',
      'oauthFlows:',
      '  blockUsernamePassword: true',
      '  blockUserAgent: true',
      'guards:',
      `  protectedApps: [${protectedApp.name}]`,
      `  maxSessionsEnded: ${Math.max(1000, Math.ceil(counts.sessions * 0.5))}`,
      // Every risk rule runs (its cost is measured); the deny rules only warn, so that the random
      // policies of the generated org, some in CAPR001's shape, leave the plan its actions.
      'rules:',
      '  CAPR001: warn',
      '  CAPR004: warn',
      '',
    ].join('\n'),
  );
  for (const [app, decl] of desired) {
    const lines = ['apiVersion: capctl/v1', `kind: ${app.type}`, `org: ${benchOrg.slug}`, `name: ${app.name}`, `id: ${app.id}`];
    if (decl.installed !== undefined) lines.push(`installed: ${decl.installed}`);
    if (decl.blocked !== undefined) lines.push(`blocked: ${decl.blocked}`);
    lines.push(`owner: team-${pad(app.index % 40, 2)}@bench.example`);
    if (decl.policies) {
      const p = decl.policies;
      lines.push('policies:', `  permittedUsers: ${p.permittedUsers}`);
      if (p.permittedUsers === 'admin-approved') {
        lines.push(`  profiles: [${p.profiles.join(', ')}]`);
        if (p.permissionSets.length === 0) lines.push('  permissionSets: []');
        else lines.push('  permissionSets:', ...p.permissionSets.map((s) => `    - ${s}`));
      }
      lines.push(`  ipRelaxation: ${p.ipRelaxation}`, `  refreshTokenPolicy: "${p.refreshTokenPolicy}"`);
    }
    lines.push('');
    writeFileSync(path.join(desiredDir, 'apps', `${app.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.yaml`), lines.join('\n'));
  }
  const revocationDocs = revocations.map((r) =>
    [
      'apiVersion: capctl/v1',
      'kind: Revocation',
      `org: ${benchOrg.slug}`,
      `id: ${r.id}`,
      `app: ${r.app.name}`,
      r.listed ? ['users:', ...r.users.map((u) => `  - ${u}`)].join('\n') : 'users: all',
      `issuedBefore: ${instant(r.cutoff)}`,
      `reason: Token exposure ${r.id} (bench)`,
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(desiredDir, 'revocations.yaml'), revocationDocs.join('---\n'));

  return {
    org: benchOrg.slug,
    actor: benchActor,
    scale,
    apps: counts.apps,
    users: counts.users + 1,
    sessions: sessionsWritten,
    declaredApps: desired.size,
    desiredFiles: desired.size + 2,
    revocations: revocations.length,
    expected: {
      // Declared changes: an install also sets its policies and assignments; an app opened to all
      // users also loses its assignments; the org settings change once.
      changes: Object.values(counts.actions).reduce((a, b) => a + b, 0) + revocations.length + 1,
      sessionsRevoked: expectedRevoked,
      sessionsBlocked: expectedBlocked,
    },
  };
}

/** Moves sessions of a user holding more than five in one app to users of the app with fewer. */
function enforceFivePerUser(sessions, usernames, start, stride, distinct, userCount) {
  const held = new Map();
  for (const s of sessions) held.set(s.user, (held.get(s.user) ?? 0) + 1);
  let cursor = 0;
  for (const s of sessions) {
    if (held.get(s.user) <= 5) continue;
    held.set(s.user, held.get(s.user) - 1);
    for (;;) {
      const candidate = usernames[(start + (cursor % distinct) * stride) % userCount];
      cursor++;
      if ((held.get(candidate) ?? 0) < 5) {
        held.set(candidate, (held.get(candidate) ?? 0) + 1);
        s.user = candidate;
        break;
      }
    }
  }
}

function parseArgs(argv) {
  const options = { out: undefined, scale: 1, sessions: undefined, seed: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--scale') options.scale = Number(argv[++i]);
    else if (arg === '--sessions') options.sessions = Number(argv[++i]);
    else if (arg === '--seed') options.seed = Number(argv[++i]);
    else if (!arg.startsWith('--') && options.out === undefined) options.out = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!options.out) throw new Error('usage: generate.mjs OUT_DIR [--scale F] [--sessions N] [--seed S]');
  if (!(options.scale > 0)) throw new Error('--scale must be a positive number');
  return options;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const options = parseArgs(process.argv.slice(2));
    const summary = generateBench(options.out, options);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`generate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
