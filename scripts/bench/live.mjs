// `npm run bench -- --live`: the SPEC §11 org served by the fake org (dist/fake-org) with 20 ms
// added to every answer, read by capctl through connection env: a full refresh (an empty state
// folder), a refresh of the unchanged org (the metadata cache), and a live plan. Each in its own
// process: wall time, peak RSS (GNU time, else the child's own maxRSS), and the API calls the
// command says it made. The file-mode floor (read + parse the same store files) is measured too.
// Then the apply phase (live-apply.mjs): the bench plan applied to the fake, its calls by kind.
//
//   npm run bench -- --live [--scale F] [--latency MS] [--keep]
//
// Targets (issue 14): full refresh ≤ 1,600 calls; unchanged refresh ≤ 400; wall ≤ 1.5 × (calls ×
// latency ÷ parallelism 8) + the floor; RSS ≤ 1.5 GiB. The fake runs in a child process of its own
// (fake-process.mjs): it stands in for Salesforce's servers, so its work (SOQL over a million
// tokens, JSON serialising) must not share the event loop of the process that times capctl.
import { fork, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const capctl = path.join(repoRoot, 'bin/capctl.js');
const timeBin = '/usr/bin/time';
const parallelism = 8;
const live = { fullCalls: 1600, unchangedCalls: 400, wallFactor: 1.5, rssMiB: 1536 };

function parseArgs(argv) {
  const options = { scale: 1, latencyMs: 20, keep: false, build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--live') continue;
    else if (arg === '--scale') options.scale = Number(argv[++i]);
    else if (arg === '--quick') options.scale = 0.1;
    else if (arg === '--latency') options.latencyMs = Number(argv[++i]);
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--no-build') options.build = false;
    else throw new Error(`unknown argument ${arg} (see the comment at the top of scripts/bench/live.mjs)`);
  }
  return options;
}

const log = (text) => process.stderr.write(`bench --live: ${text}\n`);

/** Runs one command, measuring wall time and peak RSS; never blocks this process's event loop (the fake serves it). */
function measure(args, { cwd, env }) {
  const useTime = existsSync(timeBin);
  const rssFile = path.join(cwd, '.rss.txt');
  rmSync(rssFile, { force: true });
  const command = useTime ? timeBin : process.execPath;
  const argv = useTime ? ['-f', '%M', '-o', rssFile, process.execPath, ...args] : ['--import', path.join(here, 'rss-preload.mjs'), ...args];
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let stdout = '';
    let stderr = '';
    const child = spawn(command, argv, { cwd, env: { ...process.env, NO_COLOR: '1', CI: 'true', BENCH_RSS_FILE: rssFile, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout.length < 1e6 ? (stdout += d) : undefined));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      let rssMiB;
      try {
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        rssMiB = Number(lines[lines.length - 1].trim().split(/\s+/)[0]) / 1024;
      } catch {
        rssMiB = undefined;
      }
      const calls = /capctl: (\d+) API calls? to /.exec(stderr);
      resolve({ code, wallMs, rssMiB, calls: calls ? Number(calls[1]) : undefined, stdout, stderr });
    });
  });
}

/**
 * Starts the fake org in its own process (fake-process.mjs), seeded from the store folder; resolves
 * once it listens. `requestsSince(n)`: its record of the requests from the n-th on.
 */
function startFakeProcess({ orgState, slug, latencyMs, connectedUser }) {
  const child = fork(path.join(here, 'fake-process.mjs'), [orgState, slug, String(latencyMs), connectedUser], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.env.BENCH_FAKE_NODE_OPTIONS ? process.env.BENCH_FAKE_NODE_OPTIONS.split(' ') : [] });
  const waiting = new Map();
  let nextId = 0;
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the fake org's process exited ${code} before it listened`)));
    child.on('message', (message) => {
      if (message.type === 'requests') {
        waiting.get(message.id)?.(message.requests);
        waiting.delete(message.id);
      } else if (message.type === 'ready') {
        child.removeAllListeners('exit');
        resolve({
          url: message.url,
          accessToken: message.accessToken,
          requestsSince: (from) =>
            new Promise((done) => {
              const id = nextId++;
              waiting.set(id, done);
              child.send({ type: 'requests', from, id });
            }),
          close: () =>
            new Promise((done) => {
              child.once('exit', () => done());
              child.send({ type: 'close' });
            }),
        });
      }
    });
  });
}

/**
 * The bench's desired folder without the apps a live org does not list (SPEC §13: an uninstalled
 * app with no tokens and no block is in no API), which a live plan would rightly refuse (CAP301).
 */
async function listedDesired(generated, slug, FileOrgStore) {
  const snapshot = await new FileOrgStore(path.join(generated, 'org-state')).readSnapshot(slug);
  const unlisted = new Set(snapshot.apps.filter((a) => !a.installed && a.sessions.length === 0 && !a.blocked).map((a) => a.name));
  const from = path.join(generated, 'desired');
  const to = path.join(generated, 'desired-listed');
  cpSync(from, to, { recursive: true });
  for (const file of readdirSync(path.join(to, 'apps'))) {
    const name = /^name: (.*)$/m.exec(readFileSync(path.join(to, 'apps', file), 'utf8'))?.[1];
    if (name !== undefined && unlisted.has(name)) rmSync(path.join(to, 'apps', file));
  }
  return to;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.build) spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
  const { benchActor, benchOrg, generateBench } = await import('./generate.mjs');
  const { FileOrgStore } = await import(path.join(repoRoot, 'dist/store/file-store.js'));
  const base = mkdtempSync(path.join(tmpdir(), 'capctl-bench-live-'));
  try {
    const generated = path.join(base, 'generated');
    const summary = generateBench(generated, { scale: options.scale });
    log(`generated ${summary.apps} apps, ${summary.users} users, ${summary.sessions} sessions`);
    const floor = await measure([path.join(here, 'floor.mjs'), '--org-state', path.join(generated, 'org-state')], { cwd: base, env: {} });
    const desiredListed = await listedDesired(generated, benchOrg.slug, FileOrgStore);
    const fake = await startFakeProcess({ orgState: path.join(generated, 'org-state'), slug: benchOrg.slug, latencyMs: options.latencyMs, connectedUser: benchActor });
    const repo = path.join(base, 'repo');
    mkdirSync(path.join(repo, 'org-state'), { recursive: true });
    writeFileSync(path.join(repo, 'capctl.yaml'), `orgs:\n  ${benchOrg.slug}:\n    connection: env\n`);
    const env = { SF_INSTANCE_URL: fake.url, SF_ACCESS_TOKEN: fake.accessToken };
    const results = {};
    let applyPhase;
    try {
      const refresh = ['refresh', '--org', benchOrg.slug, '--actor', 'bench', '--no-commit', '--format', 'json'];
      const { countBy } = await import('./live-apply.mjs');
      // One command, with its calls by kind from the fake's record (OauthToken pages against the rest).
      const run = async (args) => {
        const from = (await fake.requestsSince(0)).length;
        const result = await measure(args, { cwd: repo, env });
        return { ...result, callsByKind: countBy(await fake.requestsSince(from)) };
      };
      log('full refresh');
      results.refreshFull = await run([capctl, ...refresh]);
      log('refresh of the unchanged org');
      results.refreshUnchanged = await run([capctl, ...refresh]);
      log('live plan');
      results.planLive = await run([capctl, 'plan', '--org', benchOrg.slug, '--desired', desiredListed, '--format', 'json']);
      // The apply phase (issue 15), in a file of its own: scripts/bench/live-apply.mjs.
      const { benchLiveApply } = await import('./live-apply.mjs');
      applyPhase = await benchLiveApply({ measure, capctl, repo, env, fake, generated, desired: desiredListed, slug: benchOrg.slug, actor: benchActor, latencyMs: options.latencyMs, parallelism, wallFactor: live.wallFactor, repoRoot, log });
    } finally {
      await fake.close();
    }
    const rows = [];
    const check = (what, value, limit) => rows.push({ what, value, limit, met: value !== undefined && value <= limit });
    for (const [name, r] of Object.entries(results)) {
      if (r.code !== 0) log(`${name} exited ${r.code}: ${r.stderr.slice(-2000)}`);
      const budgetMs = (r.calls ?? 0) * options.latencyMs / parallelism * live.wallFactor + floor.wallMs;
      check(`${name}: wall ms`, Math.round(r.wallMs), Math.round(budgetMs));
      check(`${name}: peak RSS MiB`, r.rssMiB === undefined ? undefined : Math.round(r.rssMiB), live.rssMiB);
    }
    check('refreshFull: API calls', results.refreshFull.calls, live.fullCalls);
    check('refreshUnchanged: API calls', results.refreshUnchanged.calls, live.unchangedCalls);
    if (applyPhase) rows.push(...applyPhase.rows);
    const out = {
      scale: options.scale,
      latencyMs: options.latencyMs,
      org: { apps: summary.apps, users: summary.users, sessions: summary.sessions },
      floorMs: Math.round(floor.wallMs),
      results: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { code: r.code, wallMs: Math.round(r.wallMs), rssMiB: r.rssMiB && Math.round(r.rssMiB), calls: r.calls, callsByKind: r.callsByKind }])),
      ...(applyPhase ? { applyLive: applyPhase.result } : {}),
      checks: rows,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    if (!rows.every((r) => r.met)) process.exitCode = 1;
  } finally {
    if (!options.keep) rmSync(base, { recursive: true, force: true });
    else log(`kept ${base}`);
  }
}

await main();
