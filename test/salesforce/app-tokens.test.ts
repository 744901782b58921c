// AppTokens, the org's tokens by app as apply's executors look at them: `of` an app is exactly the
// tokens that belong to it (its id in AppMenuItem.ApplicationId, or its name in AppName), read
// rows and kept sessions alike, and `replace` changes that app's tokens and no other's.
import { describe, expect, it } from 'vitest';
import type { Session } from '../../src/model/index.js';
import { AppTokens, belongsTo } from '../../src/salesforce/app-tokens.js';
import type { SfRecord } from '../../src/salesforce/client.js';

const users: SfRecord[] = [
  { Id: '005A', Username: 'ada@acme.test' },
  { Id: '005B', Username: 'bob@acme.test' },
];
const slack = { id: '0H4SLACK', name: 'Slack' };
const zoom = { id: '0H4ZOOM', name: 'Zoom' };
const old = { id: '0H4OLD', name: 'Old Tool' }; // uninstalled: its tokens name it by AppName only

const token = (appId: string | undefined, appName: string, user: string, created: string): SfRecord => ({
  AppName: appName,
  AppMenuItem: appId === undefined ? null : { ApplicationId: appId },
  UserId: user,
  CreatedDate: created,
  LastUsedDate: created,
  UseCount: 1,
});
const session = (user: string, created: string): Session => ({ created, flow: 'unknown', lastUsed: created, useCount: 2, user });

/** The tokens of an app as a flat scan of every token finds them (what AppTokens must agree with). */
const scanned = (all: readonly SfRecord[], app: { id: string; name: string }): SfRecord[] => all.filter((t) => belongsTo(t, app));
const byKey = (rows: readonly SfRecord[]): string[] => rows.map((t) => `${String(t.AppName)}/${String(t.UserId)}/${String(t.CreatedDate)}`).sort();

describe('AppTokens', () => {
  const read = [
    token(slack.id, 'Slack', '005A', 't1'),
    token(zoom.id, 'Zoom', '005A', 't2'),
    token(undefined, 'Old Tool', '005B', 't3'),
    // Filed under Zoom's id, but named Slack: it belongs to both (belongsTo: id or name).
    token(zoom.id, 'Slack', '005B', 't4'),
  ];

  it('of: exactly the tokens a scan finds for each app, including one filed under another app', () => {
    const tokens = new AppTokens({ tokens: read, users });
    for (const app of [slack, zoom, old]) expect(byKey(tokens.of(app))).toEqual(byKey(scanned(read, app)));
    expect(byKey(tokens.of(slack))).toEqual(['Slack/005A/t1', 'Slack/005B/t4']);
    expect(tokens.of({ id: '0H4NONE', name: 'None' })).toEqual([]);
  });

  it('kept sessions become rows of their app, with the user id their username has', () => {
    const tokens = new AppTokens({
      tokens: [token(slack.id, 'Slack', '005A', 't1')],
      users,
      kept: [
        { appId: slack.id, appName: 'Slack', sessions: [session('bob@acme.test', 't5')] },
        { appId: undefined, appName: 'Old Tool', sessions: [session('ada@acme.test', 't6')] },
      ],
    });
    expect(tokens.of(slack).map((t) => [t.UserId, t.CreatedDate, t.UseCount, (t.AppMenuItem as SfRecord | null)?.ApplicationId])).toEqual([
      ['005A', 't1', 1, slack.id],
      ['005B', 't5', 2, slack.id],
    ]);
    expect(tokens.of(old).map((t) => [t.UserId, t.AppMenuItem])).toEqual([['005A', null]]);
    expect(tokens.of(zoom)).toEqual([]);
  });

  it('replace: the app has the new tokens only; the others keep theirs', () => {
    const tokens = new AppTokens({ tokens: read, users, kept: [{ appId: zoom.id, appName: 'Zoom', sessions: [session('bob@acme.test', 't7')] }] });
    const fresh = [token(slack.id, 'Slack', '005B', 't8')];
    tokens.replace(slack, fresh);
    expect(byKey(tokens.of(slack))).toEqual(['Slack/005B/t8']);
    // The token filed under Zoom but named Slack was Slack's too: it went with Slack's.
    expect(byKey(tokens.of(zoom))).toEqual(['Zoom/005A/t2', 'Zoom/005B/t7']);
    expect(byKey(tokens.of(old))).toEqual(['Old Tool/005B/t3']);
    tokens.replace(old, []);
    expect(tokens.of(old)).toEqual([]);
    expect(byKey(tokens.of(zoom))).toEqual(['Zoom/005A/t2', 'Zoom/005B/t7']);
  });
});
