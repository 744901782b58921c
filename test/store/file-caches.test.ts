// What the file store remembers of an org, and the one place it is forgotten: each event drops
// exactly what it makes stale, and nothing else.
import { describe, expect, it } from 'vitest';
import type { LedgerRecord, OrgSnapshot } from '../../src/model/index.js';
import { FileStoreCaches, type OrgMemory, type StaleEvent } from '../../src/store/file-caches.js';
import { digesterOf, type HashCache } from '../../src/store/file-hashes.js';

const ORG = 'acme-prod';

function everything(): Required<OrgMemory> {
  const snapshot = { slug: ORG } as OrgSnapshot;
  const hashes: HashCache = new Map([['org.json', { hash: 'sha256:0', size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1 }]]);
  return { hashes, working: snapshot, lastLine: { seq: 1 } as LedgerRecord, lastRead: snapshot, readAt: { token: 't', ledgerBytes: 10 }, appIndex: new Map([['a', 0]]) };
}

function kept(event: StaleEvent): string[] {
  const caches = new FileStoreCaches();
  caches.remember(ORG, everything());
  caches.forget(ORG, event);
  return Object.keys(caches.of(ORG)).sort();
}

describe('FileStoreCaches', () => {
  it('each event forgets what it makes stale, and keeps the rest', () => {
    expect(kept('lock-taken')).toEqual(['appIndex', 'hashes', 'lastRead']);
    expect(kept('run-failed')).toEqual(['appIndex', 'hashes', 'lastRead']);
    expect(kept('recovered')).toEqual(['appIndex', 'hashes', 'lastRead']);
    expect(kept('files-recovered')).toEqual(['appIndex', 'lastRead']);
    expect(kept('commit-started')).toEqual(['appIndex', 'hashes']);
    expect(kept('files-moving')).toEqual(['appIndex', 'lastLine', 'lastRead', 'readAt', 'working']);
    expect(kept('digests-unfollowed')).toEqual(['appIndex', 'hashes', 'lastLine', 'lastRead', 'readAt', 'working']);
  });

  it('an empty ledger (null) is remembered as known, not as missing', () => {
    const caches = new FileStoreCaches();
    caches.remember(ORG, { lastLine: null });
    expect(caches.of(ORG).lastLine).toBeNull();
    expect(caches.of('other').lastLine).toBeUndefined();
  });

  it('digests-unfollowed drops the digester kept beside the hashes, which is then built again', () => {
    const caches = new FileStoreCaches();
    const { hashes } = everything();
    caches.remember(ORG, { hashes });
    const digester = digesterOf(hashes);
    caches.forget(ORG, 'lock-taken');
    expect(digesterOf(hashes)).toBe(digester);
    caches.forget(ORG, 'digests-unfollowed');
    expect(digesterOf(hashes)).not.toBe(digester);
    expect(caches.of(ORG).hashes).toBe(hashes);
  });
});
