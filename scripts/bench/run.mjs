// `npm run bench`: generates the org of SPEC §11 into a temporary folder and measures, each in its
// own process, the wall time and peak resident memory of the floor (read + parse the same files),
// validate, plan, plan --format json, apply --no-commit, apply with its git commit, usage and
// verify — each several times, reporting the median — then a scaling series of plan.
//
//   npm run bench                    table on stdout (a progress bar on stderr, on a terminal only)
//   npm run bench -- --json          one JSON object on stdout
//   npm run bench -- --quick         a tenth of the scale, for trying things out
//   npm run bench -- --live          refresh and live plan against the fake org (scripts/bench/live.mjs)
//
// Other options: --scale F, --runs N (default 3), --only a,b (names of results), --no-series,
// --dir DIR (generate into DIR, or reuse what an earlier run generated there; kept afterwards),
// --keep (keep the temporary folder), --no-build (do not run tsc first), --quiet (no progress bar).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync, openSync, closeSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { targets } from './targets.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const capctl = path.join(repoRoot, 'bin/capctl.js');
const floorScript = path.join(here, 'floor.mjs');
const rssPreload = path.join(here, 'rss-preload.mjs');
const timeBin = '/usr/bin/time';
const MiB = 1024 * 1024;

// The generator writes the store's JSON with the build's formatter: loaded once the build is done.
let benchActor, benchCounts, benchOrg, generateBench;

/** A mistake in the command line: said in one line, without a stack. */
class UsageError extends Error {}

function parseArgs(argv) {
  const options = { json: false, scale: 1, runs: 3, only: undefined, series: true, dir: undefined, keep: false, build: true, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--json') options.json = true;
    else if (arg === '--quick') options.scale = 0.1;
    else if (arg === '--scale') options.scale = Number(value());
    else if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--only') options.only = new Set(value().split(','));
    else if (arg === '--no-series') options.series = false;
    else if (arg === '--dir') options.dir = path.resolve(value());
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--quiet') options.quiet = true;
    else if (arg === '--no-build') options.build = false;
    else throw new UsageError(`unknown argument ${arg} (see the comment at the top of scripts/bench/run.mjs)`);
  }
  if (!(options.scale > 0)) throw new UsageError('--scale must be a positive number');
  if (!(options.runs >= 1)) throw new UsageError('--runs must be at least 1');
  return options;
}

// Progress: on a terminal, a cli-progress bar on stderr over every measured run; nothing of it in
// CI, when stderr is not a terminal, or with --quiet (the table or JSON on stdout is the result).
// Set once the arguments are read.
let showProgress = false;
let bar;

function log(message) {
  if (!showProgress) return;
  if (bar) bar.update({ step: message.slice(0, 60) });
  else process.stderr.write(`bench: ${message}\n`);
}

function startBar(total) {
  if (!showProgress) return;
  bar = new cliProgress.SingleBar(
    { format: 'bench [{bar}] {value}/{total} runs  {step}', stream: process.stderr, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { step: '' });
}

function stopBar() {
  bar?.stop();
  bar = undefined;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(value, digits = 0) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function sh(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * MiB });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`);
  return result.stdout;
}

const useTime = !process.env.BENCH_NO_GNU_TIME && existsSync(timeBin) && spawnSync(timeBin, ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0;

/**
 * Runs one command in its own process and measures it: wall time (from spawn to exit), peak RSS
 * (GNU time's %M, or the child's own resourceUsage().maxRSS written at exit by a preload), and
 * the time to the first line on stdout. Output goes to a file in `scratch` (stdout.txt).
 */
function measureOnce(argv, { cwd, scratch, env, out = 'stdout.txt' }) {
  const rssFile = path.join(scratch, 'rss.txt');
  rmSync(rssFile, { force: true });
  const [node, ...rest] = argv;
  const command = useTime ? timeBin : node;
  const args = useTime ? ['-f', '%M %U %S', '-o', rssFile, node, ...rest] : ['--import', rssPreload, ...rest];
  const outFd = openSync(path.join(scratch, out), 'w');
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let firstLineMs;
    let stderr = '';
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', CI: 'true', BENCH_RSS_FILE: rssFile, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk) => {
      if (firstLineMs === undefined && chunk.includes(10)) firstLineMs = Number(process.hrtime.bigint() - started) / 1e6;
      writeSync(outFd, chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    child.on('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      closeSync(outFd);
      // One line "maxRSS-KiB user-seconds system-seconds" (GNU time may put a status line before it).
      let rssMiB;
      let cpuMs;
      try {
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        const [rss, user, system] = lines[lines.length - 1].trim().split(/\s+/).map(Number);
        rssMiB = rss / 1024;
        cpuMs = (user + system) * 1000;
      } catch {
        rssMiB = undefined;
      }
      resolve({ code: code ?? -1, signal, wallMs, firstLineMs, rssMiB, cpuMs, stderr });
    });
  });
}

/**
 * Measures tasks in rounds: every round runs each task once (with its `prepare` before and
 * `cleanup` after, untimed), so that the load of a shared machine falls alike on a command and on
 * the floor it is compared with. A task that fails once is reported as failed and not run again.
 * Resolves to name -> { wallMs, rssMiB, firstLineMs? } (medians; the peak RSS is the largest).
 */
async function measureRounds(tasks, { runs, scratch }) {
  const samples = new Map(tasks.map((t) => [t.name, []]));
  const failed = new Map();
  startBar(runs * tasks.length);
  for (let round_ = 1; round_ <= runs; round_++) {
    for (const task of tasks) {
      if (failed.has(task.name)) continue;
      task.prepare?.();
      const sample = await measureOnce(task.argv, { cwd: task.cwd, scratch, out: `${task.name}.out` });
      task.cleanup?.();
      if (!(task.okCodes ?? [0]).includes(sample.code)) {
        const why = sample.signal ? `killed by ${sample.signal}` : `exit ${sample.code}`;
        const detail = sample.stderr.trim().split('\n').slice(-3).join(' | ');
        // A failure is not progress: it is said whatever the output is.
        process.stderr.write(`bench: ${task.name}: FAILED (${why})${detail ? `: ${detail}` : ''}\n`);
        failed.set(task.name, { failed: true, exitCode: sample.code, error: detail.slice(0, 500) });
        continue;
      }
      samples.get(task.name).push(sample);
      log(`${task.name}: run ${round_}/${runs} ${round(sample.wallMs)} ms (cpu ${round(sample.cpuMs ?? NaN)} ms), ${round(sample.rssMiB ?? NaN)} MiB`);
      bar?.increment();
    }
  }
  stopBar();
  const results = {};
  for (const task of tasks) {
    if (failed.has(task.name)) {
      results[task.name] = failed.get(task.name);
      continue;
    }
    const list = samples.get(task.name);
    const result = { wallMs: round(median(list.map((s) => s.wallMs))), rssMiB: round(Math.max(...list.map((s) => s.rssMiB ?? 0)), 1) };
    if (list.every((s) => Number.isFinite(s.cpuMs))) result.cpuMs = round(median(list.map((s) => s.cpuMs)));
    if (task.firstLine && list.every((s) => s.firstLineMs !== undefined)) result.firstLineMs = round(median(list.map((s) => s.firstLineMs)));
    results[task.name] = result;
  }
  return results;
}

function gitRepo(dir) {
  sh('git', ['init', '-q', '-b', 'main'], dir);
  for (const [key, value] of [
    ['user.name', 'capctl bench'],
    ['user.email', 'bench@bench.example'],
    ['commit.gpgsign', 'false'],
    ['core.compression', '1'],
    ['gc.auto', '0'],
  ]) {
    sh('git', ['config', key, value], dir);
  }
  sh('git', ['add', '-A'], dir);
  sh('git', ['commit', '-q', '-m', 'bench: generated org'], dir);
  return sh('git', ['rev-parse', 'HEAD'], dir).trim();
}

function generate(dir, scale, sessions) {
  const marker = path.join(dir, 'summary.json');
  if (existsSync(marker)) {
    const summary = JSON.parse(readFileSync(marker, 'utf8'));
    if (summary.scale === scale && (sessions === undefined || summary.sessions === sessions)) {
      log(`reusing ${dir}`);
      return summary;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const summary = generateBench(dir, { scale, sessions });
  writeFileSync(marker, `${JSON.stringify(summary, null, 2)}\n`);
  log(`generated ${summary.apps} apps, ${summary.users} users, ${summary.sessions} sessions, ${summary.desiredFiles} desired files in ${dir} (${Date.now() - started} ms)`);
  return summary;
}

function ratio(result, floor) {
  if (!result || result.failed || !floor || floor.failed) return undefined;
  return round(result.wallMs / floor.wallMs, 2);
}

/** Checks each target; returns [{target, value, limit, met}]. */
function checkTargets(results, series) {
  const checks = [];
  const add = (target, value, limit) => checks.push({ target, value: value ?? null, limit, met: value !== undefined && value !== null && value <= limit });
  if (results.plan) add('plan / floor', results.plan.ratioToFloor, targets.planRatio);
  if (results.planJson) add('plan --format json / floor', results.planJson.ratioToFloor, targets.planJsonRatio);
  if (results.validate) add('validate / floor of desired files', results.validate.ratioToFloor, targets.validateRatio);
  if (results.apply) add('apply --no-commit / floor', results.apply.ratioToFloor, targets.applyRatio);
  if (results.usage) add('usage first line (ms)', results.usage.failed ? undefined : results.usage.firstLineMs, targets.usageFirstLineMs);
  for (const [name, result] of Object.entries(results)) {
    if (name.startsWith('floor')) continue;
    add(`${name} peak RSS (MiB)`, result.failed ? undefined : result.rssMiB, targets.rssMiB);
  }
  for (let i = 1; i < series.length; i++) {
    const [a, b] = [series[i - 1], series[i]];
    const slope = a.wallMs && b.wallMs ? round(Math.log(b.wallMs / a.wallMs) / Math.log(b.sessions / a.sessions), 2) : undefined;
    add(`plan growth ${a.sessions}→${b.sessions} sessions (log-log slope)`, slope, targets.seriesSlope);
  }
  return checks;
}

function renderTable(report) {
  const rows = [['measure', 'wall ms', 'cpu ms', 'peak MiB', 'vs floor', 'first line ms']];
  for (const [name, r] of Object.entries(report.results)) {
    if (r.failed) rows.push([name, 'FAILED', '', `exit ${r.exitCode}`, '', '']);
    else rows.push([name, String(r.wallMs), String(r.cpuMs ?? ''), String(r.rssMiB), r.ratioToFloor === undefined ? '' : `${r.ratioToFloor}×`, r.firstLineMs === undefined ? '' : String(r.firstLineMs)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) => `| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  const out = [line(rows[0]), `|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.slice(1).map(line)];
  const s = report.scale;
  out.unshift(`capctl bench: ${s.apps} apps, ${s.users} users, ${s.sessions} sessions, ${s.declaredApps} declared apps in ${s.desiredFiles} files, ${s.revocations} revocations (scale ${s.factor}; ${s.cpus} CPUs; median of ${s.runs} runs)`, '');
  if (report.series.length) {
    out.push('', 'plan scaling series:', ...report.series.map((p) => `  ${String(p.sessions).padStart(9)} sessions  ${p.failed ? 'FAILED' : `${p.wallMs} ms`}`));
  }
  out.push('', 'targets:', ...report.targets.map((t) => `  ${t.met ? 'met    ' : 'NOT MET'}  ${t.target}: ${t.value ?? 'n/a'} (≤ ${t.limit})`));
  return `${out.join('\n')}\n`;
}

async function main() {
  // The live org's benchmark (issue 14) is its own script.
  if (process.argv.includes('--live')) return void (await import('./live.mjs'));
  const options = parseArgs(process.argv.slice(2));
  showProgress = process.stderr.isTTY === true && !process.env.CI && !options.quiet;
  const wanted = (name) => !options.only || options.only.has(name);
  if (options.build) {
    log('building (tsc -p tsconfig.build.json)');
    sh(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], repoRoot);
  }
  ({ benchActor, benchCounts, benchOrg, generateBench } = await import('./generate.mjs'));
  const base = options.dir ?? mkdtempSync(path.join(tmpdir(), 'capctl-bench-'));
  const scratch = path.join(base, 'scratch');
  mkdirSync(scratch, { recursive: true });
  try {
    const main = path.join(base, 'main');
    const summary = generate(main, options.scale);
    const desired = path.join(main, 'desired');
    const orgState = path.join(main, 'org-state');
    const pristine = path.join(base, 'pristine-org-state');
    if (!existsSync(pristine)) cpSync(orgState, pristine, { recursive: true });
    const restorePlain = () => {
      rmSync(orgState, { recursive: true, force: true });
      sh('cp', ['-a', pristine, orgState]);
    };
    const node = process.execPath;
    const orgArgs = ['--org', benchOrg.slug];

    log('warming the page cache');
    await measureOnce([node, floorScript, '--desired', desired, '--org-state', orgState], { cwd: main, scratch });

    const planArgs = ['plan', '--desired', desired, '--org-state', orgState, ...orgArgs];
    const applyArgs = ['apply', '--desired', desired, '--org-state', orgState, ...orgArgs, '--actor', benchActor, '--auto-approve', '--no-commit'];
    const tasks = [
      { name: 'floor', argv: [node, floorScript, '--desired', desired, '--org-state', orgState] },
      { name: 'floorDesired', argv: [node, floorScript, '--desired', desired] },
      { name: 'validate', argv: [node, capctl, 'validate', desired] },
      { name: 'plan', argv: [node, capctl, ...planArgs], okCodes: [0, 2] },
      { name: 'planJson', argv: [node, capctl, ...planArgs, '--format', 'json'], okCodes: [0, 2] },
      { name: 'usage', argv: [node, capctl, 'usage', '--org-state', orgState, ...orgArgs], firstLine: true },
      { name: 'apply', argv: [node, capctl, ...applyArgs], cleanup: restorePlain },
    ];
    if (wanted('applyCommit') || wanted('verify')) {
      const repo = path.join(base, 'repo');
      let baseCommit;
      if (existsSync(path.join(repo, '.git'))) {
        baseCommit = sh('git', ['rev-list', '--max-parents=0', 'HEAD'], repo).trim();
      } else {
        log('creating the git repository for apply with commit and verify');
        mkdirSync(repo, { recursive: true });
        cpSync(desired, path.join(repo, 'desired'), { recursive: true });
        sh('cp', ['-a', pristine, path.join(repo, 'org-state')]);
        baseCommit = gitRepo(repo);
      }
      const resetRepo = () => {
        sh('git', ['reset', '-q', '--hard', baseCommit], repo);
        sh('git', ['clean', '-q', '-fdx'], repo);
      };
      const repoOrgState = path.join(repo, 'org-state');
      const repoApply = [node, capctl, 'apply', '--desired', path.join(repo, 'desired'), '--org-state', repoOrgState, ...orgArgs, '--actor', benchActor, '--auto-approve'];
      // verify needs an applied, committed store: the applyCommit task leaves one; without it, apply first.
      const ensureApplied = () => {
        if (sh('git', ['rev-parse', 'HEAD'], repo).trim() !== baseCommit) return;
        resetRepo();
        spawnSync(repoApply[0], repoApply.slice(1), { cwd: repo, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1', CI: 'true' } });
      };
      tasks.push(
        { name: 'applyCommit', argv: repoApply, cwd: repo, prepare: resetRepo },
        { name: 'verify', argv: [node, capctl, 'verify', '--org-state', repoOrgState, ...orgArgs], cwd: repo, prepare: ensureApplied },
      );
    }
    const needs = { floor: ['plan', 'planJson', 'apply', 'applyCommit'], floorDesired: ['validate'] };
    const chosen = tasks.filter((t) => wanted(t.name) || (needs[t.name] ?? []).some(wanted));
    const results = await measureRounds(
      chosen.map((t) => ({ cwd: main, ...t })),
      { runs: options.runs, scratch },
    );
    for (const name of ['plan', 'planJson', 'apply', 'applyCommit']) if (results[name] && !results[name].failed) results[name].ratioToFloor = ratio(results[name], results.floor);
    if (results.validate && !results.validate.failed) results.validate.ratioToFloor = ratio(results.validate, results.floorDesired);
    const planSummary = results.planJson && !results.planJson.failed ? summarisePlan(path.join(scratch, 'planJson.out')) : undefined;

    const series = [];
    if (options.series && wanted('series')) {
      const full = benchCounts(options.scale).sessions;
      const points = [full / 100, full / 10, full].map(Math.round).map((sessions) => {
        const dir = sessions === summary.sessions ? main : path.join(base, `series-${sessions}`);
        if (dir !== main) generate(dir, options.scale, sessions);
        const args = ['plan', '--desired', path.join(dir, 'desired'), '--org-state', path.join(dir, 'org-state'), ...orgArgs];
        return { sessions, task: { name: `plan@${sessions}`, argv: [node, capctl, ...args], cwd: dir, okCodes: [0, 2] } };
      });
      // The point on `main` is the `plan` task's command on the same folder (its org-state restored
      // after each apply): when that was measured, its result is the point's, not measured again.
      const reuse = (task) => task.cwd === main && results.plan !== undefined;
      const measured = await measureRounds(points.map((p) => p.task).filter((t) => !reuse(t)), { runs: options.runs, scratch });
      for (const { sessions, task } of points) {
        const r = reuse(task) ? results.plan : measured[task.name];
        series.push(r.failed ? { sessions, wallMs: null, failed: true } : { sessions, wallMs: r.wallMs, rssMiB: r.rssMiB });
      }
    }

    const report = {
      scale: {
        factor: options.scale,
        apps: summary.apps,
        users: summary.users,
        sessions: summary.sessions,
        declaredApps: summary.declaredApps,
        desiredFiles: summary.desiredFiles,
        revocations: summary.revocations,
        declaredChanges: summary.expected.changes,
        plan: planSummary,
        runs: options.runs,
        cpus: cpus().length,
        memoryGiB: round(totalmem() / 1024 ** 3, 1),
        node: process.version,
        rss: useTime ? 'GNU time %M' : 'process.resourceUsage().maxRSS at exit',
      },
      results,
      series,
    };
    report.targets = checkTargets(results, series.filter((p) => !p.failed));
    report.allTargetsMet = report.targets.every((t) => t.met) && Object.values(results).every((r) => !r.failed);
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report));
  } finally {
    if (!options.keep && !options.dir) rmSync(base, { recursive: true, force: true });
    else log(`kept ${base}`);
  }
}

/** The action count and sessions ended of a JSON plan, without holding more than needed. */
function summarisePlan(file) {
  try {
    const plan = JSON.parse(readFileSync(file, 'utf8'));
    const kinds = {};
    for (const action of plan.actions ?? []) kinds[action.kind] = (kinds[action.kind] ?? 0) + 1;
    return { actions: plan.actions?.length ?? 0, kinds, sessionsEnded: plan.summary?.sessionsEnded, diagnostics: plan.diagnostics?.length ?? 0 };
  } catch {
    return undefined;
  }
}

main().catch((error) => {
  const text = error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`bench: ${text}\n`);
  process.exitCode = 1;
});
