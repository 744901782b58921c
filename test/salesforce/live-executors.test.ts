// The live executors' refusals that no plan reaches through the CLI yet: install and uninstall have
// no API (a manual step), and a block needs a consumer key that no API shows for an uninstalled app.
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/model/index.js';
import { ActionRefused, liveExecutors, type LiveContext } from '../../src/salesforce/live-executors.js';
import { AppTokens } from '../../src/salesforce/app-tokens.js';
import type { SfClient } from '../../src/salesforce/client.js';
import { bundledSnapshot } from './helpers.js';

/** A client that fails the test if any call is made: these refusals come before any. */
const noCalls = new Proxy({}, { get: () => () => Promise.reject(new Error('no call may be made')) }) as SfClient;

async function context(): Promise<LiveContext> {
  const snapshot = await bundledSnapshot();
  const records = { connectedAppMetadata: new Map(), blocks: [], users: [], permissionSets: [] } as unknown as LiveContext['records'];
  return { client: noCalls, slug: 'acme-prod', data: snapshot, records, tokens: new AppTokens({ tokens: [], users: [] }), appMetadata: {} };
}

function action(kind: Action['kind'], app: { id: string; name: string }): Action {
  return { seq: 1, kind, app, reason: 'test', requires: { allOf: [] }, effects: { sessionsEnded: 0, usersAffected: 0 } } as unknown as Action;
}

describe('live executors refuse what has no API', () => {
  it('install and uninstall: a manual step, refused (not retryable) before any call', async () => {
    const ctx = await context();
    const app = ctx.data.apps.find((a) => !a.installed)!;
    for (const kind of ['install', 'uninstall'] as const) {
      const refused = liveExecutors[kind].carryOut(ctx, action(kind, app));
      await expect(refused).rejects.toBeInstanceOf(ActionRefused);
      await expect(refused).rejects.toThrow(/has no API: it is a manual step/);
    }
  });

  it('block of an app whose consumer key no API shows: refused, saying where to do it', async () => {
    const ctx = await context();
    const app = ctx.data.apps.find((a) => !a.installed && !a.blocked)!;
    await expect(liveExecutors.block.carryOut(ctx, action('block', app))).rejects.toThrow(/no API shows its consumer key.*OAuth Usage page/);
  });
});
