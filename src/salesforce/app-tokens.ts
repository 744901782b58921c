// The org's tokens as apply's executors look at them (live-executors.ts): grouped by the app each
// names, so that reading one app's tokens again, or mapping one app after its action, touches that
// app's rows and not the org's million. The sessions the live read kept as the store holds them
// (LiveRecords.kept, proved unmoved) become token rows only when their app is first looked at.
import type { ObservedApp } from '../model/index.js';
import type { SfRecord } from './client.js';
import type { LiveRecords } from './map-snapshot.js';
import type { KeptSessions } from './oauth-tokens.js';

type AppRef = Pick<ObservedApp, 'id' | 'name'>;

/** Whether a token is the app's: its AppMenuItem names the app's id, or its AppName the app's name. */
export function belongsTo(token: SfRecord, app: AppRef): boolean {
  return (token.AppMenuItem as SfRecord | null | undefined)?.ApplicationId === app.id || token.AppName === app.name;
}

/** The key a token is filed under: the app id its AppMenuItem names, else its AppName. */
function keyOf(appId: unknown, appName: unknown): string {
  return typeof appId === 'string' ? `id:${appId}` : `name:${String(appName)}`;
}

/** The org's tokens by app: `of` an app gives exactly the tokens that belong to it (belongsTo). */
export class AppTokens {
  private readonly rows = new Map<string, SfRecord[]>();
  /** Kept sessions not yet made rows, filed as their rows would be. */
  private readonly pending = new Map<string, KeptSessions[]>();
  /** Per AppName, the keys that hold a row of that name (a row filed by its app id may name the app otherwise). */
  private readonly keysOfName = new Map<string, Set<string>>();
  private userIds: Map<string, string> | undefined;

  constructor(private readonly records: Pick<LiveRecords, 'tokens' | 'kept' | 'users'>) {
    for (const token of records.tokens) this.add(token);
    for (const kept of records.kept ?? []) {
      const key = keyOf(kept.appId, kept.appName);
      this.nameAt(kept.appName, key);
      const list = this.pending.get(key);
      if (list) list.push(kept);
      else this.pending.set(key, [kept]);
    }
  }

  /** Every token of the app. */
  of(app: AppRef): SfRecord[] {
    const found: SfRecord[] = [];
    for (const key of this.keysFor(app)) for (const token of this.at(key)) if (belongsTo(token, app)) found.push(token);
    return found;
  }

  /** The app's tokens are now `tokens` (as read again): the ones it had are gone. */
  replace(app: AppRef, tokens: readonly SfRecord[]): void {
    for (const key of this.keysFor(app)) {
      const left = this.at(key).filter((token) => !belongsTo(token, app));
      if (left.length === 0) this.rows.delete(key);
      else this.rows.set(key, left);
    }
    for (const token of tokens) this.add(token);
  }

  private keysFor(app: AppRef): Set<string> {
    return new Set([keyOf(app.id, undefined), keyOf(undefined, app.name), ...(this.keysOfName.get(app.name) ?? [])]);
  }

  private add(token: SfRecord): void {
    const key = keyOf((token.AppMenuItem as SfRecord | null | undefined)?.ApplicationId, token.AppName);
    this.nameAt(String(token.AppName), key);
    const list = this.rows.get(key);
    if (list) list.push(token);
    else this.rows.set(key, [token]);
  }

  private nameAt(name: string, key: string): void {
    const keys = this.keysOfName.get(name);
    if (keys) keys.add(key);
    else this.keysOfName.set(name, new Set([key]));
  }

  /** The rows filed under a key, its kept sessions made rows first. */
  private at(key: string): SfRecord[] {
    const kept = this.pending.get(key);
    if (kept) {
      this.pending.delete(key);
      this.userIds ??= new Map(this.records.users.map((u) => [String(u.Username), String(u.Id)]));
      const list = this.rows.get(key) ?? [];
      for (const { appId, appName, sessions } of kept) {
        // One AppMenuItem per app, shared by its tokens (never changed in place).
        const menuItem = appId === undefined ? null : { ApplicationId: appId };
        for (const s of sessions) list.push({ AppName: appName, AppMenuItem: menuItem, UserId: this.userIds.get(s.user)!, CreatedDate: s.created, LastUsedDate: s.lastUsed, UseCount: s.useCount });
      }
      this.rows.set(key, list);
    }
    return this.rows.get(key) ?? [];
  }
}
