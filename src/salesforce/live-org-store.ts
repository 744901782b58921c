// The backend of a connected org (SPEC §13): its OrgReader reads the live org through the API
// (readLiveSnapshot), and everything capctl keeps of the org — the state folder org-state/<org>/
// written as observed, its ledger, its lock — is the file store's. A live read writes nothing;
// only `capctl refresh` writes the state folder (apply/refresh-live-org.ts).
//
// Changing a live org (carryOut, under the org's lock, after a read): each action in turn, through
// its executor (live-executors.ts): an intent file announcing it is written first, then its calls,
// then it is read back and what the org shows is recorded — its state files and its ledger line as
// ONE atomic change of the file store (recordSteps) — and the intent removed. An action whose
// outcome cannot be told (a timeout) keeps its intent: settle(), or the next run's first read under
// the lock, reads the org back and records it done iff the org shows it, so that it is never done
// twice. A failed action's partial effect (some sessions ended before a limit) is recorded as an
// observed line, and the actions after it in its metadata call that the org saved (item by item)
// as done ahead of it (`aheadOf`), so that the ledger says exactly what happened and the same plan
// again goes on with the action not done.
//
// jsforce and the connection code are loaded on the first live read, so that commands on an
// unconnected org never load them.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  InputError,
  SalesforceError,
  type Action,
  type ObservedApp,
  type LedgerLine,
  type LedgerRecord,
  type ObservedChange,
  type ObservedLine,
  type ObservedSessions,
  type ObservedOrg,
  type OrgSnapshot,
  type StatePart,
} from '../model/index.js';
import { transitionOf } from '../plan/action-kinds.js';
import { canonicalJson } from '../plan/digest.js';
import type { OrgData } from '../plan/transition.js';
import { replaceFileDurably } from '../store/durable-fs.js';
import type { FileOrgStore } from '../store/file-store.js';
import { formatJson } from '../store/json-format.js';
import { isObservedLine, nextLedgerLine, nextObservedLine } from '../store/ledger-chain.js';
import type { CarryOutContext, CarryOutFailure, CarryOutResult, LockInfo, LockRequest, OrgLock, OrgStore, SnapshotReadOptions, StateFolder } from '../store/org-store.js';
import { digestOfData } from '../store/store-digest.js';
import { AppTokens } from './app-tokens.js';
import { batchesOf, estimateApplyCalls, type CallEstimate } from './call-estimate.js';
import type { LimitInfo, SfClient } from './client.js';
import type { LiveContext, ReadBack } from './live-executors.js';
import type { SessionsCache } from './oauth-tokens.js';
import type { AppMetadataCache, ComponentCache, LiveRead, PreviousRead } from './read-live-snapshot.js';

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
  /** Called as a revocation ends tokens (a progress bar on a terminal). */
  onRevokeProgress?(done: number, total: number, app: string): void;
}

/** The actions in flight on a live org (one batch: one call), as its intent file holds them (no secret). */
interface LiveIntent {
  format: 2;
  plan: string;
  actor: string;
  at: string;
  /** In plan order. */
  actions: Action[];
  /** The ledger's last seq before them. */
  afterSeq: number;
}

/** What a run of an earlier capctl left: one action. */
interface LiveIntentOfOne extends Omit<LiveIntent, 'format' | 'actions'> {
  format: 1;
  action: Action;
}

/** Who carried an action out, under which plan, when (no counter is written: the revision comes from the ledger, ledger-chain.ts storeRevision). */
interface ActionEntry extends Pick<LiveIntent, 'plan' | 'actor' | 'at'> {
  action: Action;
  /** Saved by the org in one call with this plan action (its seq), which it did not carry out: done ahead of it. */
  aheadOf?: number;
}

type ReadModules = [typeof import('./connection.js'), typeof import('./client.js'), typeof import('./read-live-snapshot.js')];
let readModules: Promise<ReadModules> | undefined;

/**
 * The modules of a live read (jsforce among them), loaded once, from the moment a store of
 * connected orgs opens: imported only when the read starts, they would wait behind the state
 * folder's file reads (queued first in node's thread pool), and the org's first calls with them.
 */
function loadReadModules(): Promise<ReadModules> {
  return (readModules ??= Promise.all([import('./connection.js'), import('./client.js'), import('./read-live-snapshot.js')]));
}

/** The org store of connected orgs: live reads, the file store for everything kept. */
export class LiveOrgStore implements OrgStore {
  /** Every live read made, in order. */
  readonly reads: LiveReadStats[] = [];
  /**
   * Per org, the last live read and the client it used (carryOut works from them). `underLock`: it
   * was made while this store held the org's lock, which it still does (the apply's read to reuse);
   * `callsBefore`: the client's calls made before `stats` began counting.
   */
  private readonly live = new Map<string, { read: LiveRead; client: SfClient; stats: LiveReadStats; logins: number; underLock: boolean; callsBefore: number }>();
  /** The orgs whose lock this store holds. */
  private readonly held = new Set<string>();

  constructor(
    readonly files: FileOrgStore,
    private readonly options: LiveOrgOptions,
  ) {
    // Awaited by the first read; a failure to load is that read's.
    loadReadModules().catch(() => undefined);
  }

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

  /** How the state folders hold an org (the file store's words), for a store that holds none. */
  howToAddAnOrg(storeName: string): string {
    return this.files.howToAddAnOrg(storeName);
  }

  /** A connected org: read live (writing nothing); else its files. */
  async readSnapshot(org: string, options: SnapshotReadOptions = {}): Promise<OrgSnapshot> {
    if (this.connectionOf(org) === undefined) return this.files.readSnapshot(org, options);
    const made = options.forApply ? await this.readMadeUnderLock(org) : undefined;
    if (made) return made;
    const read = await this.readLive(org, options);
    // Under the lock, an action left in flight by a run that was killed is settled first.
    if (this.held.has(org) && (await this.hasStateFolder(org))) await this.recoverIntent(org, read);
    return read.snapshot;
  }

  /**
   * The read before an apply, when the org was read under the lock this store still holds (apply
   * without a question plans under its lock, apply-org.ts): that read, its action in flight
   * settled then, is the org as the plan saw it, and nothing of capctl's can have changed it
   * since; only the apply's facts (the connected user, the allowance) are read now, counted as
   * the apply's own calls. Once: a later read for apply reads the org again.
   */
  private async readMadeUnderLock(org: string): Promise<OrgSnapshot | undefined> {
    const live = this.live.get(org);
    if (!live?.underLock || !this.held.has(org)) return undefined;
    live.underLock = false;
    const callsBefore = live.client.stats().calls;
    const stats: LiveReadStats = { org, connection: live.client.connection, calls: 0, warnings: [], tokensMissing: 0 };
    this.reads.push(stats);
    this.live.set(org, { ...live, stats, logins: 0, callsBefore });
    try {
      live.read.snapshot.live = { ...live.read.snapshot.live!, ...(await readApplyFacts(live.client)) };
    } finally {
      const now = live.client.stats();
      stats.calls = now.calls - callsBefore;
      if (now.limitInfo) stats.limitInfo = now.limitInfo;
    }
    return live.read.snapshot;
  }

  /**
   * Reads a connected org through the API. The state folder, when there is one, gives the store
   * revision and the metadata cache (apps whose LastModifiedDate has not moved are not read again).
   */
  async readLive(org: string, options: SnapshotReadOptions & { previous?: OrgSnapshot | Promise<OrgSnapshot | undefined> } = {}): Promise<LiveRead> {
    const text = this.connectionOf(org);
    if (text === undefined) throw new InputError(`org ${org} has no connection: it is read from its files in ${this.files.root}`);
    const [{ parseConnection, openSession }, { createClient }, { readLiveSnapshot }] = await loadReadModules();
    const spec = parseConnection(text);
    // The state folder is read while the org is: the live reads that do not need it (the login,
    // the long User and PermissionSetAssignment queries) do not wait for a million sessions' files.
    const previous = (async (): Promise<PreviousRead | undefined> => {
      const snapshot = (await options.previous) ?? (await this.storedSnapshot(org));
      if (!snapshot) return undefined;
      const [{ appMetadata, components }, sessions] = await Promise.all([this.readCache(org), this.readSessionsCache(org)]);
      return { snapshot, appMetadata, components, ...(sessions ? { sessions } : {}) };
    })();
    // Awaited by the read below; a failure before it (the login) must not leave it unhandled.
    previous.catch(() => undefined);
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
        previous,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      read.snapshot.live = { instanceUrl: session.instanceUrl, ...(options.forApply ? await readApplyFacts(client) : {}) };
      Object.assign(stats, { calls: logins + read.calls, warnings: read.warnings, tokensMissing: read.tokensMissing, ...(read.limitInfo ? { limitInfo: read.limitInfo } : {}) });
      this.live.set(org, { read, client, stats, logins, underLock: this.held.has(org), callsBefore: 0 });
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
    // A connected org's live read goes first: its modules loaded, its first calls sent, rather than
    // queued behind the state folder's thousands of file reads (refresh reads both at once).
    if (this.connectionOf(org) !== undefined) await loadReadModules().catch(() => undefined);
    if (!(await this.hasStateFolder(org))) return undefined;
    return this.files.readSnapshot(org);
  }

  /**
   * A live read as `refresh` records it: the snapshot, and the caches kept beside the state files
   * (`.live-metadata.json`, `.live-sessions.json`; no secret, no token), written after them and
   * committed with them (the state folder's `filesOf`). `stored` is what the state folder holds
   * (or its read under way), for the reads the caches spare.
   */
  async readLiveState(org: string, stored: OrgSnapshot | Promise<OrgSnapshot | undefined> | undefined): Promise<{ snapshot: OrgSnapshot; kept: { write(): Promise<void> } }> {
    const read = await this.readLive(org, stored ? { previous: stored } : {});
    const dir = this.files.stateFolder(org).dir;
    const write = async (): Promise<void> => {
      const [, , { metadataCacheFile }] = await loadReadModules();
      await replaceFileDurably(path.join(dir, appMetadataCacheFileName), formatJson(metadataCacheFile(read.appMetadata, read.components)));
      // No sessions cache (some tokens could not be read) is an empty one: the next read reads every token.
      await replaceFileDurably(path.join(dir, sessionsCacheFileName), formatJson(read.sessions ?? {}));
    };
    return { snapshot: read.snapshot, kept: { write } };
  }

  /** Creates the state folder of an org never refreshed. */
  async createStateFolder(org: string): Promise<void> {
    await mkdir(this.files.stateFolder(org).dir, { recursive: true });
  }

  /** Whether the org's state folder holds the org's record (a refresh wrote it). */
  async hasStateFolder(org: string): Promise<boolean> {
    const folder = this.files.stateFolder(org);
    try {
      await readFile(path.join(folder.dir, folder.entryOf({ kind: 'org' })));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The metadata cache the last refresh left: the connected apps' and the components'. An
   * unreadable one is no cache (every app and component is read); one of before the components
   * were kept gives none of them (parseMetadataCache).
   */
  async readCache(org: string): Promise<{ appMetadata: AppMetadataCache; components: ComponentCache }> {
    const [, , { parseMetadataCache }] = await loadReadModules();
    try {
      return parseMetadataCache(JSON.parse(await readFile(path.join(this.files.root, org, appMetadataCacheFileName), 'utf8')));
    } catch {
      return { appMetadata: {}, components: {} };
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

  /** A connected org: its state folder made to hold the org as last read, with the observed line (one change). */
  recordObserved(org: string, build: (storeDigest: string) => ObservedLine): Promise<ObservedLine> {
    const live = this.live.get(org);
    if (this.connectionOf(org) === undefined || !live) return this.files.recordObserved(org, build);
    return this.files.writeObserved(org, live.read.snapshot, build);
  }

  async carryOut(org: string, actions: readonly Action[], context: CarryOutContext): Promise<CarryOutResult> {
    if (this.connectionOf(org) === undefined) return this.files.carryOut(org, actions, context);
    const live = this.live.get(org) ?? (await this.readLive(org), this.live.get(org)!);
    const applied: LedgerLine[] = [];
    try {
      if ((await this.files.currentDigest(org)) !== live.read.snapshot.digest) {
        return {
          applied,
          failure: { index: 0, error: new InputError(`the state folder of ${org} does not hold the org as it was just read: run \`capctl refresh\` first; nothing was changed`), outcome: 'failed', retryable: false },
        };
      }
      const { liveBatching, liveExecutors } = await import('./live-executors.js');
      // The read-backs look at the org's tokens as rows, by app: the kept sessions too (AppTokens).
      const { tokens: _tokens, kept: _kept, ...records } = live.read.records;
      const exec: LiveContext = {
        client: live.client,
        slug: org,
        data: live.read.snapshot,
        records,
        tokens: new AppTokens(live.read.records),
        appMetadata: live.read.appMetadata,
        ...(this.options.onRevokeProgress ? { onRevokeProgress: this.options.onRevokeProgress } : {}),
      };
      const batched = batchesOf(actions, (action) => liveBatching[action.kind]?.callOf(exec, action));
      let index = 0;
      for (const batch of batched) {
        const first = index;
        index += batch.length;
        const last = await this.files.lastLedgerLine(org);
        const common = { plan: context.planDigest, actor: context.actor, at: context.at.toISOString() };
        // The intent names every action of the batch before its call, so that a kill mid-call is settled for each.
        await this.files.writeIntent(org, { format: 2, ...common, actions: batch, afterSeq: last?.seq ?? 0 } satisfies LiveIntent);
        const batching = batch.length > 1 || liveBatching[batch[0]!.kind]?.callOf(exec, batch[0]!) ? liveBatching[batch[0]!.kind] : undefined;
        const executor = liveExecutors[batch[0]!.kind];
        // Per action: the org's refusal of its item (undefined: saved or not told apart).
        let refusals: (Error | undefined)[] = [];
        let failure: CarryOutFailure | undefined;
        try {
          if (batching) refusals = await batching.carryOut(exec, batch);
          else await executor.carryOut(exec, batch[0]!);
        } catch (error) {
          failure = failureOf(error, first);
          if (failure.outcome === 'unknown') return { applied, failure }; // the intent stays: settle() reads it back
        }
        let shown: ReadBack[];
        try {
          shown = batching ? await batching.readBack(exec, batch) : [await executor.readBack(exec, batch[0]!)];
        } catch (error) {
          // What the calls did cannot be told: the intent stays for settle() or the next run.
          return { applied, failure: failure ?? { ...failureOf(error, first), outcome: 'unknown' } };
        }
        // In plan order: each action the org shows done is recorded done; the first that is not stops the apply.
        const took = (outcome: { data: OrgData; line?: LedgerRecord }): void => {
          exec.data = outcome.data;
          const read = this.live.get(org)!.read;
          read.snapshot = { ...read.snapshot, ...outcome.data, digest: outcome.line?.result.storeDigest ?? read.snapshot.digest };
        };
        for (const [i, action] of batch.entries()) {
          const outcome = await this.recordOutcome(org, { ...common, action }, exec.data, shown[i]!);
          took(outcome);
          if (outcome.line && !isObservedLine(outcome.line)) {
            applied.push(outcome.line);
            continue; // done, even if a call failed on the way (the org shows it)
          }
          // The rest of its call, which the org saved item by item: each action done is recorded done ahead of it.
          const rest = await this.recordRestOfCall(org, common, action, batch.slice(i + 1), shown.slice(i + 1), exec.data, took);
          applied.push(...rest.done);
          await this.files.writeIntent(org, null);
          const why = refusals[i]?.message ?? (i === 0 ? failure?.error.message : undefined) ?? `the calls for it succeeded, but the org does not show it done`;
          const saved =
            rest.done.length === 0
              ? ''
              : `; the org saved ${rest.done.length === 1 ? 'action' : 'actions'} ${rest.done.map((l) => l.action.seq).join(', ')} of the same call (the Metadata API saves each item of a call on its own: jsforce sends no AllOrNoneHeader), recorded done ahead of it`;
          const own = outcome.line ? '; what it changed before it stopped is recorded as an observed ledger line' : '';
          // Something of its call moved without being done: the plan relied on it (SPEC §7).
          const next = rest.observed
            ? '; what the rest of its call changed without doing it is recorded as an observed ledger line: plan again to go on'
            : rest.done.length > 0
              ? `: the same apply again goes on with action ${action.seq}`
              : '';
          return { applied, failure: { ...(failure ?? { outcome: 'failed', retryable: false }), index: first + i, error: new Error(`${why}${own}${saved}${next}`) } };
        }
        await this.files.writeIntent(org, null);
      }
      return { applied };
    } finally {
      live.stats.calls = live.logins + live.client.stats().calls - live.callsBefore;
      const usage = live.client.stats().limitInfo;
      if (usage) live.stats.limitInfo = usage;
    }
  }

  /** A connected org: the calls carrying out the runs takes (call-estimate.ts); undefined for an org read from its files. */
  estimateCalls(org: string, runs: readonly (readonly Action[])[]): CallEstimate {
    if (this.connectionOf(org) === undefined) return { calls: 0, byKind: {} };
    return estimateApplyCalls(runs, this.live.get(org)?.read.snapshot.apps);
  }

  /** After an unknown outcome: a connected org is read again, and the action in flight recorded done iff the org shows it. */
  async settle(org: string): Promise<void> {
    if (this.connectionOf(org) === undefined) return this.files.settle(org);
    await this.files.settle(org);
    const read = await this.readLive(org);
    await this.recoverIntent(org, read);
  }

  /**
   * The action an interrupted run left in flight (its intent file), against the org as just read:
   * recorded done when the org shows it (and the ledger does not have it yet), its partial effect
   * recorded as an observed line otherwise; then the intent goes. `read`'s snapshot is brought to
   * the state folder's revision and digest.
   */
  private async recoverIntent(org: string, read: LiveRead): Promise<void> {
    const intent = (await this.files.readIntent(org)) as LiveIntent | LiveIntentOfOne | undefined;
    if (intent === undefined) return;
    const actions = intent.format === 1 ? [intent.action] : intent.format === 2 && Array.isArray(intent.actions) ? intent.actions : undefined;
    if (!actions || actions.length === 0 || typeof intent.plan !== 'string' || actions.some((a) => typeof a?.kind !== 'string') || typeof intent.afterSeq !== 'number') {
      throw new InputError(`the intent file of ${org}'s state folder is not one capctl wrote; remove it after checking the org`);
    }
    const ledger = await this.files.readLedger(org);
    let before: OrgData = await this.files.readSnapshot(org);
    // In plan order: each action the org shows done is recorded (once); at the first it does not, what moved is an observed line.
    const recorded = (action: Action): boolean =>
      ledger.some((l) => l.seq > intent.afterSeq && !isObservedLine(l) && l.plan === intent.plan && canonicalJson(l.action) === canonicalJson(action));
    const common = { plan: intent.plan, actor: intent.actor, at: intent.at };
    for (const [i, action] of actions.entries()) {
      if (recorded(action)) continue;
      const outcome = await this.recordOutcome(org, { ...common, action }, before, touched(action, read.snapshot));
      before = outcome.data;
      if (outcome.line && !isObservedLine(outcome.line)) continue;
      // Not done: the rest of its call as the org saved it, item by item (once: one recorded ahead of it already is not again).
      const rest = actions.slice(i + 1).filter((a) => !recorded(a));
      await this.recordRestOfCall(org, common, action, rest, rest.map((a) => touched(a, read.snapshot)), before, () => undefined);
      break;
    }
    await this.files.writeIntent(org, null);
    const revision = (await this.files.readSnapshot(org)).org.revision;
    const data = { org: { ...read.snapshot.org, revision }, users: read.snapshot.users, apps: read.snapshot.apps };
    // The live facts (connected user, allowance) stay: the preflight needs them.
    read.snapshot = { ...read.snapshot, ...data, digest: digestOfData(data) };
  }

  /**
   * After `missed`, the first action of a call the org did not carry out: the actions after it in
   * that call (`rest`, as `shown`), which the org saved item by item (no AllOrNoneHeader), each
   * recorded as what it is — done: this plan's line of the action, marked `aheadOf` the missed one
   * (the same apply again carries that one out next and never this one again); moved but not
   * done: an observed line; untouched: nothing. `took` follows each recorded outcome.
   */
  private async recordRestOfCall(
    org: string,
    common: Omit<ActionEntry, 'action'>,
    missed: Action,
    rest: readonly Action[],
    shown: readonly ReadBack[],
    before: OrgData,
    took: (outcome: { data: OrgData; line?: LedgerRecord }) => void,
  ): Promise<{ done: LedgerLine[]; observed: boolean }> {
    const done: LedgerLine[] = [];
    let observed = false;
    let data = before;
    for (const [i, action] of rest.entries()) {
      const outcome = await this.recordOutcome(org, { ...common, action, aheadOf: missed.seq }, data, shown[i]!);
      took(outcome);
      data = outcome.data;
      if (outcome.line && !isObservedLine(outcome.line)) done.push(outcome.line);
      else if (outcome.line) observed = true;
    }
    return { done, observed };
  }

  /**
   * Records what an action left, from the parts of the org it touches as the org shows them: done
   * (the transition has nothing left to do on them) → its files and ledger line (marked `aheadOf`
   * when the entry is); else, when they moved, an observed line; else nothing. Returns the org data after.
   */
  private async recordOutcome(org: string, entry: ActionEntry, before: OrgData, own: ReadBack): Promise<{ data: OrgData; line?: LedgerRecord }> {
    const beforeApps = new Map(before.apps.map((a) => [a.id, a]));
    const moved = (shown: ReadBack) => ({
      apps: shown.apps.filter((a) => formatJson(a) !== formatJson(beforeApps.get(a.id) ?? null)),
      org: shown.org && formatJson(shown.org) !== formatJson(before.org) ? shown.org : undefined,
    });
    const withMoves = (shown: ReadBack): { data: OrgData; changedApps: ObservedApp[]; shownOrg?: ObservedOrg } => {
      const { apps: changedApps, org: shownOrg } = moved(shown);
      return {
        data: {
          org: shownOrg ?? before.org,
          users: before.users,
          apps: changedApps.length === 0 ? before.apps : before.apps.map((a) => changedApps.find((c) => c.id === a.id) ?? a),
        },
        changedApps,
        ...(shownOrg ? { shownOrg } : {}),
      };
    };
    const { data, changedApps, shownOrg } = withMoves(own);
    let done: boolean;
    try {
      // Assignments in any order: the org lists them in its own.
      const sorted = (app: ObservedApp): ObservedApp => (app.policies ? { ...app, policies: { ...app.policies, profiles: [...app.policies.profiles].sort(), permissionSets: [...app.policies.permissionSets].sort() } } : app);
      done = transitionOf({ ...data, apps: data.apps.map((a) => (changedApps.includes(a) ? sorted(a) : a)) }, entry.action).result.status === 'skipped';
    } catch {
      done = false;
    }
    if (done) {
      const { result } = transitionOf(before, entry.action);
      const parts = partsMoved(shownOrg, changedApps);
      const [line] = await this.files.recordSteps(org, [
        {
          ...(shownOrg ? { org: shownOrg } : {}),
          apps: changedApps,
          line: (previous, storeDigest) =>
            nextLedgerLine(previous, { at: entry.at, actor: entry.actor, plan: entry.plan, action: entry.action, result: { ...result, parts, storeDigest, ...(entry.aheadOf !== undefined ? { aheadOf: entry.aheadOf } : {}) } }),
        },
      ]);
      return { data, line: line! };
    }
    // Not done: what it moved, if anything, is an observed line.
    if (!shownOrg && changedApps.length === 0) return { data };
    const [line] = await this.files.recordSteps(org, [
      {
        ...(shownOrg ? { org: shownOrg } : {}),
        apps: changedApps,
        line: (previous, storeDigest) =>
          nextObservedLine(previous, {
            at: entry.at,
            actor: entry.actor,
            observed: { named: true, ...(previous ? { previousDigest: previous.result.storeDigest } : {}), ...describeMoves(this.files.stateFolder(org), before, shownOrg, changedApps) },
            storeDigest,
            parts: partsMoved(shownOrg, changedApps),
          }),
      },
    ]);
    return { data, line: line! };
  }

  async lock(org: string, options: LockRequest): Promise<OrgLock> {
    const lock = await this.files.lock(org, options);
    this.held.add(org);
    return {
      info: lock.info,
      release: async () => {
        this.held.delete(org);
        await lock.release();
      },
    };
  }

  lockHolder(org: string): Promise<LockInfo | undefined> {
    return this.files.lockHolder(org);
  }

  unlock(org: string, lockId: string, options?: { force?: boolean }): Promise<void> {
    return this.files.unlock(org, lockId, options);
  }

  /**
   * The org's state folder (the file store's). A connected org's refresh keeps its caches beside
   * the state files: the commit of an observed line holds those there are with the state files.
   */
  stateFolder(org: string): StateFolder {
    const folder = this.files.stateFolder(org);
    if (this.connectionOf(org) === undefined) return folder;
    const caches = [appMetadataCacheFileName, sessionsCacheFileName];
    return {
      ...folder,
      filesOf: (lines) => {
        const files = folder.filesOf(lines);
        if (!lines.some(isObservedLine)) return files;
        return [...files, ...caches.filter((cache) => !files.includes(cache) && existsSync(path.join(folder.dir, cache)))];
      },
    };
  }
}

/** The parts of the state an action's read-back moved: the org's record when it shows a new one, and each app that moved. */
function partsMoved(org: ObservedOrg | undefined, apps: readonly ObservedApp[]): StatePart[] {
  return [...(org ? [{ kind: 'org' as const }] : []), ...apps.map((a) => ({ kind: 'app' as const, appId: a.id }))];
}

/** What an apply needs beside the snapshot: the connected user and the daily allowance left (two calls). */
async function readApplyFacts(client: SfClient): Promise<{ connectedUser: string; apiRequestsRemaining?: number }> {
  const [user, limits] = await Promise.all([client.userInfo(), client.limits()]);
  const remaining = limits.DailyApiRequests?.Remaining;
  return { connectedUser: user.username, ...(typeof remaining === 'number' && Number.isFinite(remaining) ? { apiRequestsRemaining: remaining } : {}) };
}

/** How an action's error ends the run: the org refused it (trying again cannot help), a limit or session (it can), or a timeout (unknown). */
function failureOf(error: unknown, index: number): CarryOutFailure {
  const err = error instanceof Error ? error : new Error(String(error));
  if (error instanceof SalesforceError) {
    if (error.failure === 'timeout' || error.failure === 'malformed') return { index, error: err, outcome: 'unknown' };
    return { index, error: err, outcome: 'failed', retryable: error.failure === 'limit' || error.failure === 'session' || error.failure === 'login' };
  }
  return { index, error: err, outcome: 'failed', retryable: false };
}

/** The parts of the org an action touches, as a snapshot shows them: its app, or the org settings. */
function touched(action: Action, snapshot: OrgData): ReadBack {
  if (!action.app) return { org: snapshot.org, apps: [] };
  const app = snapshot.apps.find((a) => a.id === action.app!.id);
  return { apps: app ? [app] : [] };
}

/** What moved between the state before and what the org shows, as an observed line names it (each change at its entry of the state folder). */
function describeMoves(state: StateFolder, before: OrgData, org: ObservedOrg | undefined, apps: readonly ObservedApp[]): { changes: ObservedChange[]; sessions: ObservedSessions[] } {
  const changes: ObservedChange[] = [];
  const sessions: ObservedSessions[] = [];
  if (org) changes.push({ file: state.entryOf({ kind: 'org' }), field: 'settings', before: JSON.stringify(before.org.settings), after: JSON.stringify(org.settings) });
  for (const app of apps) {
    const was = before.apps.find((a) => a.id === app.id);
    const ref = { name: app.name, id: app.id };
    for (const field of ['installed', 'blocked', 'policies'] as const) {
      if (formatJson(was?.[field] ?? null) !== formatJson(app[field] ?? null)) {
        changes.push({ file: state.entryOf({ kind: 'app', appId: app.id }), app: ref, field, before: JSON.stringify(was?.[field] ?? null), after: JSON.stringify(app[field] ?? null) });
      }
    }
    const key = (s: ObservedApp['sessions'][number]): string => `${s.user}@${s.created}`;
    const old = new Set((was?.sessions ?? []).map(key));
    const now = new Set(app.sessions.map(key));
    const ended = [...old].filter((k) => !now.has(k)).length;
    const started = [...now].filter((k) => !old.has(k)).length;
    if (ended > 0 || started > 0) sessions.push({ app: ref, ended, started, used: 0 });
  }
  return { changes, sessions };
}
