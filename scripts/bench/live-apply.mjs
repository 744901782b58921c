// The apply phase of `npm run bench -- --live` (issue 15): the ~500-action bench plan applied to the
// SPEC §11 org served by the fake org (20 ms per answer), after live.mjs's refresh and plan, and the
// same plan applied in file mode for the time it takes without an org to talk to.
//
// The plan is made on the desired folder live.mjs plans (the apps a live org lists); its steps
// without an API (the plan's manual steps: uninstalls, and blocks of external client apps, whose
// consumer key no API shows; they would stop the apply with exit 4) are left out by a variant of it
// that keeps those apps as the org has them (`manualStepsLeftOut` names them).
// Reported: the apply's wall time, its API calls in all and by kind of call (from the fake's own
// record of the requests), the actions by kind, the calls the estimate gives
// (salesforce/call-estimate.ts: exactly what the executors send, batched as the store batches
// them, read-backs included), and the preflight's read.
// Targets: the actions' calls (the apply's, less its preflight read) ≤ the estimate; wall ≤ 1.5 ×
// (calls × latency ÷ parallelism) + the file-mode apply time.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What kind of call one recorded request of the fake is: `updateMetadata ConnectedApp`, `revoke`, `query OauthToken`… */
function callKind(request) {
  if (request.soap) return `${request.soap.call} ${request.soap.type ?? ''}`.trim();
  if (request.grant) return 'login';
  if (request.path.endsWith('/services/oauth2/revoke')) return 'revoke';
  if (request.path.endsWith('/services/oauth2/userinfo')) return 'userinfo';
  if (request.soql) return `query ${/\bFROM\s+(\w+)/i.exec(request.soql)?.[1] ?? '?'}`;
  if (request.pageOf) return `query ${request.pageOf} (next page)`;
  return `${request.method} ${request.path.replace(/^\/services\/data\/v[\d.]+/, '').replace(/\/[0-9A-Za-z]{15,18}(?=\/|$)/g, '/{id}')}`;
}

/**
 * How many requests the fake had in flight as each of these arrived (itself included: its own
 * record, `inFlight`): the mean, and how many arrived at each count. 8 throughout is the client's
 * parallelism used in full; less says the apply left slots idle.
 */
export function inFlightOf(requests) {
  const at = {};
  let sum = 0;
  for (const r of requests) {
    at[r.inFlight] = (at[r.inFlight] ?? 0) + 1;
    sum += r.inFlight;
  }
  return { mean: requests.length === 0 ? 0 : Math.round((sum / requests.length) * 100) / 100, arrivedAt: at };
}

/**
 * A copy of the desired folder in which each app of a step without an API keeps the org's state:
 * an install or uninstall its file's `installed:` flipped back, a block its `blocked:`, so that
 * the plan has no such step.
 */
function withoutManualSteps(from, byHand) {
  const to = `${from}-no-manual`;
  cpSync(from, to, { recursive: true });
  const fieldOf = new Map(byHand.map((a) => [a.app.name, a.kind === 'block' ? 'blocked' : 'installed']));
  for (const file of readdirSync(path.join(to, 'apps'))) {
    const at = path.join(to, 'apps', file);
    const text = readFileSync(at, 'utf8');
    const field = fieldOf.get(/^name: (.*)$/m.exec(text)?.[1]);
    if (field !== undefined) writeFileSync(at, text.replace(new RegExp(`^${field}: (true|false)$`, 'm'), (_, v) => `${field}: ${v === 'true' ? 'false' : 'true'}`));
  }
  return to;
}

/** The recorded requests counted by kind of call, kinds in order. */
export function countBy(requests) {
  const counts = {};
  for (const r of requests) counts[callKind(r)] = (counts[callKind(r)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Applies the bench plan live and in file mode; returns the results and the check rows for live.mjs.
 * `measure` runs one capctl process (live.mjs's); `repo` holds the connected org's state folder
 * (refreshed by live.mjs), `generated` the bench's desired state and file store.
 */
export async function benchLiveApply({ measure, capctl, repo, env, fake, generated, desired: listed, slug, actor, latencyMs, parallelism, wallFactor, repoRoot, log }) {
  const [{ estimateApplyCalls }, { plannedRuns }, { FileOrgStore }] = await Promise.all([
    import(path.join(repoRoot, 'dist/salesforce/call-estimate.js')),
    import(path.join(repoRoot, 'dist/apply/apply-plan.js')),
    import(path.join(repoRoot, 'dist/store/file-store.js')),
  ]);
  // The manual steps (installs, uninstalls, blocks of external client apps: no API) would stop the
  // live apply with exit 4 before the end: the bench applies a variant of the desired state that
  // leaves those apps as the org has them.
  // The plans are read from their files (`--out`): the bench keeps at most 1 MB of a command's
  // output, and the full-scale plan is larger.
  const planOf = async (from, file) => {
    const out = path.join(path.dirname(generated), file);
    const result = await measure([capctl, 'plan', '--org', slug, '--desired', from, '--out', out], { cwd: repo, env });
    if (result.code !== 0) throw new Error(`plan of ${from} exited ${result.code}: ${result.stderr.slice(-2000)}`);
    return JSON.parse(readFileSync(out, 'utf8'));
  };
  const first = await planOf(listed, 'plan-listed.json');
  const manual = first.actions.filter((a) => a.manual);
  const stored = await new FileOrgStore(path.join(repo, 'org-state')).readSnapshot(slug);
  const desired = manual.length === 0 ? listed : withoutManualSteps(listed, manual);

  // File mode: the same plan against a copy of the generated store.
  const scratch = mkdtempSync(path.join(path.dirname(generated), 'file-apply-'));
  let fileApply;
  try {
    cpSync(path.join(generated, 'org-state'), path.join(scratch, 'org-state'), { recursive: true });
    log('file-mode apply');
    fileApply = await measure([capctl, 'apply', '--desired', desired, '--org-state', path.join(scratch, 'org-state'), '--org', slug, '--actor', actor, '--auto-approve', '--no-commit', '--format', 'json'], { cwd: scratch, env: {} });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  // The plan the live apply will carry out, and the calls its batching needs.
  const plan = await planOf(desired, 'plan-applied.json');
  const estimate = estimateApplyCalls(plannedRuns({ remaining: plan.actions, doneByHand: [] }, true), stored.apps);
  const actionsByKind = {};
  for (const a of plan.actions) actionsByKind[a.kind] = (actionsByKind[a.kind] ?? 0) + 1;

  log(`live apply of ${plan.actions.length} actions`);
  const from = (await fake.requestsSince(0)).length;
  const applied = await measure([capctl, 'apply', '--org', slug, '--desired', desired, '--auto-approve', '--no-commit', '--format', 'json'], { cwd: repo, env });
  const requests = await fake.requestsSince(from);
  // The preflight's read: everything up to its last call, userinfo and /limits (the apply's facts).
  const preflight = 1 + Math.max(...['/limits', '/services/oauth2/userinfo'].map((p) => requests.findLastIndex((r) => r.path.endsWith(p))));
  const actionCalls = requests.length - preflight;
  if (applied.code !== 0) log(`live apply exited ${applied.code}: ${applied.stderr.slice(-2000)}`);

  const rows = [];
  const check = (what, value, limit) => rows.push({ what, value, limit, met: value !== undefined && value <= limit });
  check('applyLive: exit code', applied.code, 0);
  check('applyLive: action calls (less the preflight read) / the batching plus read-backs', actionCalls, estimate.calls);
  const budgetMs = (requests.length * latencyMs) / parallelism * wallFactor + fileApply.wallMs;
  check('applyLive: wall ms', Math.round(applied.wallMs), Math.round(budgetMs));
  return {
    result: {
      actions: plan.actions.length,
      actionsByKind,
      manualStepsLeftOut: manual.map((a) => `${a.kind} ${a.app.name}`),
      code: applied.code,
      wallMs: Math.round(applied.wallMs),
      fileApplyMs: Math.round(fileApply.wallMs),
      calls: requests.length,
      preflightCalls: preflight,
      actionCalls,
      estimate,
      callsByKind: countBy(requests.slice(preflight)),
      inFlight: inFlightOf(requests.slice(preflight)),
    },
    rows,
  };
}
