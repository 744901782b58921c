// `capctl contain` (SPEC §14), incident response in one step: block the named apps (or every app
// declared with a vendor) and end all their sessions now, and write the same change into the
// desired state, in the same git commit as the apply. The steps:
//   find the apps → write `blocked: true` and a containment Revocation into the desired state →
//   plan from it, as any plan (guards: a protected app cannot be contained without a reviewed
//   change of the guard) → refuse a plan that would do more than contain → apply it, as any apply
//   (the actor's permissions checked), committing the desired files with the store's.
// Until the apply has begun, a refusal or a dry run puts every desired file back as it was.
// When the org already matches (the apps blocked, no sessions left) the plan has no action, so
// there is no ledger line and no apply commit: the desired files are committed alone, with the
// same trailers. Leaving them uncommitted would lose the record of the decision, and writing
// nothing would leave a desired state that may still say `blocked: false`, which the next plan
// would carry out.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { applyPlan } from './apply/apply-plan.js';
import { describeUncommittedChanges } from './audit/detect-drift.js';
import { commitPaths, openGitRepo, repoPath } from './audit/git-repo.js';
import { recordPendingApplies } from './audit/record-apply.js';
import { loadDesiredState } from './load/load-desired.js';
import { CapctlError, ExitCode, InputError, Trailers, type ApplyReport, type ObservedApp, type CommitOutcome, type Plan } from './model/index.js';
import { readAndPlanOrg } from './read-and-plan-org.js';
import { containedAppYaml, containmentIdPrefix, containmentRevocation, containmentRevocationYaml, setBlockedInYaml } from './render/containment-yaml.js';
import { slugOf } from './render/desired-yaml.js';
import { removeIfPresent, replaceFileDurably, writeNewFileDurably } from './store/durable-fs.js';
import type { OrgStore } from './store/org-store.js';
import { stateFolderOf } from './store/open-store.js';
import { selectOrg } from './store/select-org.js';
import { count } from './plan/count.js';
import { actionName } from './plan/action-kinds.js';

/** What to contain, why, as whom. */
export interface ContainOptions {
  desired: string;
  store: OrgStore;
  storeName: string;
  org?: string;
  /** Apps by name or id; or, with `vendor`, every app declared with that vendor. */
  apps: readonly string[];
  vendor?: string;
  reason: string;
  actor: string;
  now(): Date;
  dryRun: boolean;
  commit: boolean;
  lockTimeoutMs: number;
  /** Called with the plan before anything is applied (also on a dry run). */
  onPlan?(plan: Plan): void;
}

/** One app contained: its Revocation and the desired files that say so. */
export interface Contained {
  app: { name: string; id: string };
  revocation: string;
  files: string[];
}

/** What contain did. */
export interface ContainResult {
  org: string;
  plan: Plan;
  contained: Contained[];
  /** Absent on a dry run. */
  report?: ApplyReport;
  /**
   * When the org already matched (the plan had no action): the commit of the desired files alone
   * (`skipped` with --no-commit). Absent when the apply changed the org: its commit holds them.
   */
  desiredCommit?: CommitOutcome;
}

interface Edit {
  file: string;
  before: string | null;
  after: string;
}

/** Contains the apps; throws InputError (nothing written) when it cannot, RefusedError when apply refuses. */
export async function containApps(options: ContainOptions): Promise<ContainResult> {
  // One line, no control characters: it goes into a commit trailer and a YAML scalar.
  // eslint-disable-next-line no-control-regex
  const reason = options.reason.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
  if (reason === '') throw new InputError('contain needs --reason TEXT: why the apps are contained (the incident), for the record');
  const org = await selectOrg(options.store, options.org, options.storeName);
  const now = options.now();
  const [snapshot, loaded] = await Promise.all([options.store.readSnapshot(org), loadDesiredState(options.desired, { now })]);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new InputError(`the desired state in ${options.desired} has ${count(errors.length, 'error')}: nothing was contained`, loaded.diagnostics);
  const desired = Object.hasOwn(loaded.desired.orgs, org) ? loaded.desired.orgs[org] : undefined;

  const apps = options.vendor !== undefined ? appsOfVendor(options.vendor, desired?.apps.map((d) => d.doc) ?? [], snapshot.apps, org) : options.apps.map((name) => appNamed(name, snapshot.apps, org));
  if (apps.length === 0) throw new InputError('contain needs the apps: name them (capctl contain APP...), or --vendor V');

  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  const issuedBefore = `${now.toISOString().slice(0, 19)}Z`;
  const takenIds = new Set(desired?.revocations.map((r) => r.doc.id));
  const edits = new Map<string, Edit>();
  const contained: Contained[] = [];
  for (const app of uniqueById(apps)) {
    const files: string[] = [];
    const decl = desired?.apps.find((d) => d.doc.name === app.name);
    if (decl?.doc.blocked !== true) {
      const file = decl ? decl.source.file : freePath(path.join(options.desired, 'apps'), slugOf(app.name), edits);
      const before = edits.get(file)?.after ?? (decl ? await readFile(file, 'utf8') : null);
      const after =
        before === null ? containedAppYaml(org, app, `Declared by capctl contain on ${issuedBefore} (actor ${options.actor}): ${reason}`) : setBlockedInYaml(before, app.name);
      if (after === undefined) throw new InputError(`${file} declares "${app.name}", but capctl cannot find it there to set blocked: true: edit it by hand`);
      edits.set(file, { file, before: edits.get(file)?.before ?? before, after });
      files.push(file);
    }
    let id = `${containmentIdPrefix}${day}-${slugOf(app.name)}`.slice(0, 60);
    for (let n = 2; takenIds.has(id); n++) id = `${containmentIdPrefix}${day}-${slugOf(app.name)}`.slice(0, 57) + `-${n}`;
    takenIds.add(id);
    const revocation = containmentRevocation(org, id, app.name, issuedBefore, reason);
    const file = freePath(path.join(options.desired, 'revocations'), id.toLowerCase(), edits);
    edits.set(file, { file, before: null, after: containmentRevocationYaml(revocation, options.actor) });
    files.push(file);
    contained.push({ app: { name: app.name, id: app.id }, revocation: id, files });
  }

  await writeEdits([...edits.values()]);
  let applying = false;
  try {
    const { plan } = await readAndPlanOrg({ desired: options.desired, store: options.store, storeName: options.storeName, org, actor: options.actor, now });
    options.onPlan?.(plan);
    if (plan.diagnostics.some((d) => d.severity === 'error')) {
      throw new CapctlError('the containment plan has errors, so nothing was contained: the desired state is as it was', ExitCode.error);
    }
    const ids = new Set(contained.map((c) => c.app.id));
    const other = plan.actions.filter((a) => !a.app || !ids.has(a.app.id) || (a.kind !== 'block' && a.kind !== 'revoke'));
    if (other.length > 0) {
      throw new InputError(
        `the desired state holds changes not yet applied (${other.map(actionName).join(', ')}): ` +
          'contain applies only the containment. Apply or revert them first; nothing was contained',
      );
    }
    if (options.dryRun) return { org, plan, contained };
    applying = true;
    const folder = stateFolderOf(options.store, org);
    const subject = `capctl contain ${org}: ${contained.map((c) => c.app.name).join(', ')} (${contained.map((c) => c.revocation).join(', ')})`;
    const also = {
      paths: [...edits.keys()],
      subject: subject.slice(0, 200),
      // Not Capctl-Revocation: that trailer names revocations a ledger line of the plan carried out
      // (verify checks it), and a containment's revocation is covered by its block.
      trailers: contained.map((c) => `${Trailers.contain}: ${c.revocation} ${c.app.name} (${c.app.id}): ${reason}`),
    };
    const report = await applyPlan({
      store: options.store,
      plan,
      actor: options.actor,
      now: options.now,
      lockTimeoutMs: options.lockTimeoutMs,
      command: 'capctl contain',
      audit: {
        ...(options.commit ? { recordPending: (ledger, upToSeq, current) => recordPendingApplies(org, folder, ledger, upToSeq, { ...current, also }) } : {}),
        describeChanges: (s) => describeUncommittedChanges(folder, s),
      },
    });
    if (report.status === 'no-changes') {
      const message =
        `${`${subject}: already contained, nothing applied`.slice(0, 200)}\n\n` +
        `${org} already matched the containment (the apps blocked, no session left), so nothing was\n` +
        'applied and the ledger has no line for it. This commit records the decision in the desired state.\n\n' +
        `${Trailers.org}: ${org}\n${Trailers.actor}: ${options.actor}\n${also.trailers.map((t) => `${t}\n`).join('')}`;
      const desiredCommit: CommitOutcome = options.commit ? await commitDesiredFiles(options.desired, also.paths, message, options.actor) : { status: 'skipped' };
      return { org, plan, contained, report, desiredCommit };
    }
    return { org, plan, contained, report };
  } catch (error) {
    // A refusal (permissions, lock, stale store) changed nothing: the desired state goes back too.
    if (!applying || (error instanceof CapctlError && error.exitCode === ExitCode.refused)) await undoEdits([...edits.values()]);
    throw error;
  } finally {
    if (options.dryRun) await undoEdits([...edits.values()]);
  }
}

/** Commits exactly the desired files contain wrote, when the desired folder is in a git work tree; a git failure is an outcome, not a throw. */
async function commitDesiredFiles(desired: string, files: readonly string[], message: string, actor: string): Promise<CommitOutcome> {
  try {
    const repo = await openGitRepo(desired);
    if (!repo) return { status: 'not-in-a-repository' };
    const paths = await Promise.all([...files].sort().map((f) => repoPath(repo, f)));
    const commit = await commitPaths(repo, paths, message, { name: 'capctl', email: actor });
    return commit ? { status: 'committed', commit, subject: message.split('\n')[0]!, files: paths } : { status: 'nothing-to-commit' };
  } catch (error) {
    return { status: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

function appNamed(name: string, apps: readonly ObservedApp[], org: string): ObservedApp {
  const app = apps.find((a) => a.name === name) ?? apps.find((a) => a.id === name);
  if (!app) throw new InputError(`${org} lists no app named "${name}": nothing was contained`);
  return app;
}

function appsOfVendor(vendor: string, declared: readonly { name: string; vendor?: string }[], apps: readonly ObservedApp[], org: string): ObservedApp[] {
  const wanted = vendor.trim().toLowerCase();
  const names = declared.filter((d) => d.vendor?.trim().toLowerCase() === wanted).map((d) => d.name);
  const found = apps.filter((a) => names.includes(a.name));
  if (found.length === 0) throw new InputError(`no app of ${org} is declared with vendor: ${vendor} (and listed by the org): nothing was contained`);
  return found;
}

function uniqueById(apps: readonly ObservedApp[]): ObservedApp[] {
  return [...new Map(apps.map((a) => [a.id, a])).values()];
}

/** `dir/slug.yaml`, or `dir/slug-2.yaml`… when a file (or an edit) is there already. */
function freePath(dir: string, slug: string, edits: ReadonlyMap<string, Edit>): string {
  for (let n = 1; ; n++) {
    const file = path.join(dir, `${slug}${n === 1 ? '' : `-${n}`}.yaml`);
    if (!edits.has(file) && !existsSync(file)) return file;
  }
}

async function writeEdits(edits: readonly Edit[]): Promise<void> {
  const done: Edit[] = [];
  try {
    for (const edit of edits) {
      await mkdir(path.dirname(edit.file), { recursive: true });
      if (edit.before === null) await writeNewFileDurably(edit.file, edit.after);
      else await replaceFileDurably(edit.file, edit.after);
      done.push(edit);
    }
  } catch (error) {
    await undoEdits(done);
    throw error;
  }
}

async function undoEdits(edits: readonly Edit[]): Promise<void> {
  for (const edit of edits) {
    if (edit.before === null) await removeIfPresent(edit.file);
    else await replaceFileDurably(edit.file, edit.before);
  }
}
