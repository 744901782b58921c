// Convergence through each backend, the real file store and the in-memory one (fast-check): for
// generated orgs and declarations that plan without errors, applying the plan and planning again gives no actions, and a second apply
// (of a new plan, or of the same plan again) changes nothing.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { storeRevision, verifyChain } from '../../src/store/ledger-chain.js';
import { StoreError, type DesiredOrg, type LedgerRecord, type OrgSnapshot, type Plan } from '../../src/model/index.js';
import { createPlan } from '../../src/plan/create-plan.js';
import type { OrgStore } from '../../src/store/org-store.js';
import { formatJson } from '../../src/store/json-format.js';
import { backends, type OpenBackend } from '../helpers/backends.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';
import { orgAndCoherentDeclarationArb } from '../plan/arbitraries.js';
import { allPermissions } from '../plan/builders.js';

const ACTOR = 'capctl-admin@acme.example';
const now = new Date('2026-12-01T00:00:00Z');
let root: string;
let run = 0;

beforeAll(async () => {
  root = await makeTempDir('capctl-converge-');
});
afterAll(() => removeDir(root));

/** Writes a generated org as a store folder, with an actor who holds every permission. */
async function writeStore(org: OrgSnapshot): Promise<string> {
  const orgState = path.join(root, `run-${(run += 1)}`);
  const dir = path.join(orgState, org.slug);
  await mkdir(path.join(dir, 'apps'), { recursive: true });
  const users = [...org.users, { username: ACTOR, profile: 'System Administrator', permissionSets: [], permissions: allPermissions, active: true }];
  await writeFile(path.join(dir, 'org.json'), formatJson(org.org));
  await writeFile(path.join(dir, 'users.json'), formatJson(users));
  for (const app of org.apps) await writeFile(path.join(dir, 'apps', `${app.id}.json`), formatJson(app));
  return orgState;
}

/** A plan of `observed`, at the revision its ledger gives (as readAndPlanOrg makes it). */
function planOf(desired: DesiredOrg, observed: OrgSnapshot, ledger: readonly LedgerRecord[] = []): Plan {
  const basis = { desiredDigest: `sha256:${'d'.repeat(64)}`, desiredCommit: null, storeRevision: storeRevision(observed.org.revision, ledger) };
  return createPlan({ desired, observed, now, actor: ACTOR, basis });
}

function apply(store: OrgStore, plan: Plan) {
  return applyPlan({ store, plan, actor: ACTOR, now: () => now, lockTimeoutMs: 0, command: 'convergence test' });
}

describe.each(backends)('convergence through the $name', (backend) => {
  it('apply then plan gives no actions; a second apply changes nothing', async () => {
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(orgAndCoherentDeclarationArb, async ({ org, desired }) => {
        const orgState = await writeStore(org);
        try {
          let b: OpenBackend;
          let observed: OrgSnapshot;
          try {
            b = await backend.open(orgState);
            observed = await b.store.readSnapshot(org.slug);
          } catch (error) {
            // A generated org the store rejects (e.g. six sessions of one user for one app, R11).
            if (error instanceof StoreError) return fc.pre(false);
            throw error;
          }
          const plan = planOf(desired, observed);
          fc.pre(!plan.diagnostics.some((d) => d.severity === 'error'));
          const report = await apply(b.reopen(), plan);
          expect(report.status).toBe(plan.actions.length === 0 ? 'no-changes' : 'applied');
          if (plan.actions.length > 0) applied += 1;

          const store = b.reopen();
          const after = await store.readSnapshot(org.slug);
          const ledger = await store.readLedger(org.slug);
          expect(verifyChain(ledger)).toBeUndefined();
          expect(ledger).toHaveLength(plan.actions.length);
          // The org record keeps its base; the ledger raises the store's revision once per apply.
          expect(after.org.revision).toBe(org.org.revision);
          expect(storeRevision(after.org.revision, ledger)).toBe(org.org.revision + (plan.actions.length > 0 ? 1 : 0));

          const again = planOf(desired, after, ledger);
          expect(again.actions.map((a) => `${a.kind} ${a.app?.name ?? ''}`)).toEqual([]);

          const before = await b.state();
          expect((await apply(b.reopen(), again)).status).toBe('no-changes');
          if (plan.actions.length > 0) expect((await apply(b.reopen(), plan)).status).toBe('already-applied');
          expect(await b.state()).toEqual(before);
        } finally {
          await rm(orgState, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
    // The property must have been exercised by plans that change something.
    expect(applied).toBeGreaterThan(10);
  });
});
