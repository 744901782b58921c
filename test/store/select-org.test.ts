// Which org a command works on, and what a store that holds none tells the user: the file store
// shows how org-state/ holds an org (its layout, known in the file backend only, asked through the
// port); a store without a layout to show says only that it holds none.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/model/index.js';
import { readAndPlanOrg } from '../../src/read-and-plan-org.js';
import { FileOrgStore } from '../../src/store/file-store.js';
import { MemoryOrgStore } from '../../src/store/memory-store.js';
import { selectOrg } from '../../src/store/select-org.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('capctl-select-org-');
});
afterEach(() => removeDir(dir));

describe('selectOrg', () => {
  it('a file store that holds no org shows the layout an org folder has', async () => {
    const root = path.join(dir, 'org-state');
    await mkdir(root);
    const store = new FileOrgStore(root);
    await expect(selectOrg(store, undefined, 'org-state')).rejects.toThrow(StoreError);
    const layout = /^no org in org-state: each org is a folder org-state\/<org>\/ with org\.json, users\.json and apps\/$/;
    await expect(selectOrg(store, undefined, 'org-state')).rejects.toThrow(layout);
    // Planning chooses its org the same way.
    await expect(readAndPlanOrg({ desired: 'examples/acme', store, storeName: 'org-state', now: new Date('2026-11-28T12:00:00Z') })).rejects.toThrow(layout);
  });

  it('a store with no layout to show says only that it holds no org', async () => {
    await expect(selectOrg(new MemoryOrgStore(new Map()), undefined, 'the store')).rejects.toThrow(/^no org in the store$/);
  });

  it('the only org, or the one named; a name it does not hold is refused with the closest one', async () => {
    const root = path.join(dir, 'org-state');
    await mkdir(path.join(root, 'acme-prod'), { recursive: true });
    const store = new FileOrgStore(root);
    expect(await selectOrg(store, undefined, 'org-state')).toBe('acme-prod');
    expect(await selectOrg(store, 'acme-prod', 'org-state')).toBe('acme-prod');
    await expect(selectOrg(store, 'acme-prd', 'org-state')).rejects.toThrow('no org "acme-prd" in org-state (the store has: acme-prod): did you mean "acme-prod"?');
  });
});
