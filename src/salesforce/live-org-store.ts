// The backend of a connected org (SPEC §13): its OrgReader reads the live org through the API
// (readLiveSnapshot), and everything capctl keeps of the org — the state folder org-state/<org>/
// written as observed, its ledger, its lock — is the file store's. A live read writes nothing;
// only `capctl refresh` writes the state folder (apply/refresh-live-org.ts). Changing a live org
// (carryOut) is not here yet.
//
// jsforce and the connection code are loaded on the first live read, so that commands on an
// unconnected org never load them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, SalesforceError, type Action, type LedgerRecord, type ObservedLine, type OrgSnapshot } from '../model/index.js';
import type { FileOrgStore } from '../store/file-store.js';
import { orgFileName } from '../store/file-layout.js';
import type { CarryOutContext, CarryOutResult, LockInfo, LockRequest, OrgLock, OrgStore, SnapshotReadOptions, StateFolder } from '../store/org-store.js';
import type { LimitInfo } from './client.js';
import type { SessionsCache } from './oauth-tokens.js';
import type { AppMetadataCache, LiveRead } from './read-live-snapshot.js';

/** The metadata cache of the last refresh, beside the state files (not part of the snapshot; no secret in it). */
export const appMetadataCacheFileName = '.live-metadata.json';

/** What the last refresh kept of the sessions it read (digests only: no token), beside the metadata cache. */
export const sessionsCacheFileName = '.live-sessions.json';

/** What one live read cost, for the command's API line and its JSON. */
export interface LiveReadStats {
  org: string;
  /** The connection's name and the instance it reached (never a token). */
  connection: string;
  calls: number;
  limitInfo?: LimitInfo;
  warnings: string[];
  tokensMissing: number;
}

/** How a live org is reached. */
export interface LiveOrgOptions {
  /** Per org, its connection (`env`, `jwt`, `sf:ALIAS`). */
  connections: Readonly<Record<string, string>>;
  /** `--connection`: the connection of any org not in `connections`. */
  defaultConnection?: string;
  /** The environment the connections read (SF_ACCESS_TOKEN…): the host's, never process.env implicitly. */
  env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds one API request may take (default: the client's). */
  timeoutMs?: number;
  /** Requests in flight at once (default: the client's). */
  parallelism?: number;
}

/** The org store of connected orgs: live reads, the file store for everything kept. */
export class LiveOrgStore implements OrgStore {
  /** Every live read made, in order. */
  readonly reads: LiveReadStats[] = [];

  constructor(
    readonly files: FileOrgStore,
    private readonly options: LiveOrgOptions,
  ) {}

  /** The connection of an org, or undefined when it is read from its files. */
  connectionOf(org: string): string | undefined {
    return Object.hasOwn(this.options.connections, org) ? this.options.connections[org] : this.options.defaultConnection;
  }

  /** The orgs of the state folders and the connected ones, sorted. */
  async listOrgs(): Promise<string[]> {
    const stored = await this.files.listOrgs().catch((error: unknown) => {
      if (Object.keys(this.options.connections).length === 0) throw error;
      return [];
    });
    return [...new Set([...stored, ...Object.keys(this.options.connections)])].sort();
  }

  /** A connected org: read live (writing nothing); else its files. */
  async readSnapshot(org: string, options: SnapshotReadOptions = {}): Promise<OrgSnapshot> {
    if (this.connectionOf(org) === undefined) return this.files.readSnapshot(org, options);
    return (await this.readLive(org, options)).snapshot;
  }

  /**
   * Reads a connected org through the API. The state folder, when there is one, gives the store
   * revision and the metadata cache (apps whose LastModifiedDate has not moved are not read again).
   */
  async readLive(org: string, options: SnapshotReadOptions & { previous?: OrgSnapshot } = {}): Promise<LiveRead> {
    const text = this.connectionOf(org);
    if (text === undefined) throw new InputError(`org ${org} has no connection: it is read from its files in ${this.files.root}`);
    const [{ parseConnection, openSession }, { createClient }, { readLiveSnapshot }] = await Promise.all([
      import('./connection.js'),
      import('./client.js'),
      import('./read-live-snapshot.js'),
    ]);
    const spec = parseConnection(text);
    const previousSnapshot = options.previous ?? (await this.storedSnapshot(org));
    const appMetadata = previousSnapshot ? await this.readCache(org) : {};
    const sessions = previousSnapshot ? await this.readSessionsCache(org) : undefined;
    let logins = 0;
    let session;
    try {
      session = await openSession(spec, {
        env: this.options.env,
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        onLoginCall: () => (logins += 1),
      });
    } catch (error) {
      // A refused login still made its call.
      if (error instanceof SalesforceError) this.reads.push({ org, connection: error.connection, calls: logins, warnings: [], tokensMissing: 0 });
      throw error;
    }
    const client = createClient(session, {
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
      ...(this.options.parallelism !== undefined ? { parallelism: this.options.parallelism } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const stats: LiveReadStats = { org, connection: client.connection, calls: logins, warnings: [], tokensMissing: 0 };
    this.reads.push(stats);
    try {
      const read = await readLiveSnapshot(client, org, {
        ...(previousSnapshot ? { previous: { snapshot: previousSnapshot, appMetadata, ...(sessions ? { sessions } : {}) } } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      Object.assign(stats, { calls: logins + read.calls, warnings: read.warnings, tokensMissing: read.tokensMissing, ...(read.limitInfo ? { limitInfo: read.limitInfo } : {}) });
      options.onOrg?.(read.snapshot.org, read.snapshot.apps.length);
      options.onProgress?.(read.snapshot.apps.length, read.snapshot.apps.length);
      return read;
    } finally {
      // Counted even when the read failed: the calls were made.
      const now = client.stats();
      stats.calls = Math.max(stats.calls, logins + now.calls);
      if (now.limitInfo) stats.limitInfo = now.limitInfo;
    }
  }

  /** The org as its state folder holds it, or undefined when it has none yet (never refreshed). */
  async storedSnapshot(org: string): Promise<OrgSnapshot | undefined> {
    if (!(await this.hasStateFolder(org))) return undefined;
    return this.files.readSnapshot(org);
  }

  /** Whether the org's state folder holds an org.json (a refresh wrote it). */
  async hasStateFolder(org: string): Promise<boolean> {
    try {
      await readFile(path.join(this.files.root, org, orgFileName));
      return true;
    } catch {
      return false;
    }
  }

  /** The metadata cache the last refresh left; an unreadable one is no cache (every app is read). */
  async readCache(org: string): Promise<AppMetadataCache> {
    try {
      const value: unknown = JSON.parse(await readFile(path.join(this.files.root, org, appMetadataCacheFileName), 'utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as AppMetadataCache) : {};
    } catch {
      return {};
    }
  }

  /** The sessions cache the last refresh left; an unreadable one is none (every token is read). */
  async readSessionsCache(org: string): Promise<SessionsCache | undefined> {
    try {
      const value = JSON.parse(await readFile(path.join(this.files.root, org, sessionsCacheFileName), 'utf8')) as Partial<SessionsCache> | null;
      return typeof value?.digest === 'string' && typeof value.users === 'string' ? { digest: value.digest, users: value.users } : undefined;
    } catch {
      return undefined;
    }
  }

  readLedger(org: string): Promise<LedgerRecord[]> {
    return this.files.readLedger(org);
  }

  recordObserved(org: string, build: (storeDigest: string) => ObservedLine): Promise<ObservedLine> {
    return this.files.recordObserved(org, build);
  }

  carryOut(org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult> {
    if (this.connectionOf(org) === undefined) return this.files.carryOut(org, actions, context);
    return Promise.reject(notYet(org));
  }

  settle(org: string): Promise<void> {
    return this.files.settle(org);
  }

  lock(org: string, options: LockRequest): Promise<OrgLock> {
    return this.files.lock(org, options);
  }

  lockHolder(org: string): Promise<LockInfo | undefined> {
    return this.files.lockHolder(org);
  }

  unlock(org: string, lockId: string, options?: { force?: boolean }): Promise<void> {
    return this.files.unlock(org, lockId, options);
  }

  stateFolder(org: string): StateFolder {
    return this.files.stateFolder(org);
  }
}

function notYet(org: string): InputError {
  return new InputError(`org ${org} is a live org: changing it (apply, contain) is not available yet in this capctl; its reads (plan, usage, drift, import, refresh) are`);
}
