// The fake org's writes through the real client (jsforce): each changes the fake's records so that
// a later read shows it, each is in the fake's call log with its item count, and the fake refuses
// what Salesforce refuses (salesforce-api.md §2, §5).
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeOrg } from '../../src/fake-org/server.js';
import { SalesforceError } from '../../src/model/index.js';
import type { SfClient } from '../../src/salesforce/client.js';
import { fakeWithClient } from './helpers.js';

let fake: FakeOrg | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(clientOptions = {}): Promise<{ fake: FakeOrg; client: SfClient }> {
  const started = await fakeWithClient({}, clientOptions);
  fake = started.fake;
  return started;
}

describe('the fake org takes writes', () => {
  it('updateMetadata replaces a ConnectedApp, moves its ConnectedApplication row, and refuses a consumerSecret, a missing field and more than 10 components', async () => {
    const { fake, client } = await start();
    const [component] = await client.metadataRead('ConnectedApp', ['Slack']);
    expect(component?.label).toBe('Slack');
    const sent: Record<string, unknown> = { ...component!, oauthConfig: { ...(component!.oauthConfig as object), isAdminApproved: 'true' } };
    const results = await client.metadataSave('update', 'ConnectedApp', [sent]);
    expect(results).toEqual([{ name: 'Slack', success: true, errors: [] }]);
    const [row] = await client.query("SELECT Id, Name, OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication WHERE Name = 'Slack'");
    expect(row?.OptionsAllowAdminApprovedUsersOnly).toBe(true);
    expect(fake.requests.at(-2)).toMatchObject({ soap: { call: 'updateMetadata', type: 'ConnectedApp', fullNames: ['Slack'] }, items: 1, outcome: '1 of 1 saved' });

    const secret = { ...sent, oauthConfig: { ...(sent.oauthConfig as object), consumerSecret: 'x' } };
    const { label: _label, ...unlabelled } = sent;
    const refused = await client.metadataSave('update', 'ConnectedApp', [secret, unlabelled]);
    expect(refused.map((r) => r.success)).toEqual([false, false]);
    expect(refused[0]!.errors[0]).toMatch(/^FIELD_INTEGRITY_EXCEPTION: consumerSecret/);
    expect(refused[1]!.errors[0]).toMatch(/^REQUIRED_FIELD_MISSING: .*label/);

    await expect(client.metadataSave('update', 'ConnectedApp', Array.from({ length: 11 }, () => sent))).rejects.toThrow(/at most 10/);
    const calls = fake.requests.length;
    // Past the client's own bound, the fake refuses the call as a whole (a SOAP fault).
    const raw = await fetch(`${fake.url}/services/Soap/m/62.0`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: `<?xml version="1.0"?><se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header><SessionHeader xmlns="http://soap.sforce.com/2006/04/metadata"><sessionId>${fake.accessToken}</sessionId></SessionHeader></se:Header><se:Body><deleteMetadata xmlns="http://soap.sforce.com/2006/04/metadata"><type>BlacklistedConsumer</type>${'<fullNames>a</fullNames>'.repeat(11)}</deleteMetadata></se:Body></se:Envelope>`,
    });
    expect(raw.status).toBe(500);
    expect(await raw.text()).toContain('at most 10');
    expect(fake.requests.length).toBe(calls + 1);
  });

  it('upsertMetadata of a BlacklistedConsumer blocks the app and ends its sessions; deleteMetadata unblocks it', async () => {
    const { fake, client } = await start();
    const [app] = await client.metadataRead('ConnectedApp', ['Dropbox']);
    const consumerKey = (app!.oauthConfig as { consumerKey: string }).consumerKey;
    const before = await client.count("SELECT COUNT() FROM OauthToken WHERE AppName = 'Dropbox'");
    expect(before).toBeGreaterThan(0);
    const block = { fullName: 'capctl_Dropbox', consumerKey, consumerName: 'Dropbox', masterLabel: 'Dropbox', blockedByApiWhitelisting: false };
    expect(await client.metadataSave('upsert', 'BlacklistedConsumer', [block])).toEqual([{ name: 'capctl_Dropbox', success: true, errors: [] }]);
    expect(await client.count("SELECT COUNT() FROM OauthToken WHERE AppName = 'Dropbox'")).toBe(0);
    expect((await client.metadataList('BlacklistedConsumer')).map((f) => f.fullName)).toContain('capctl_Dropbox');
    const { consumerKey: _key, ...keyless } = block;
    expect((await client.metadataSave('upsert', 'BlacklistedConsumer', [keyless]))[0]!.errors[0]).toMatch(/REQUIRED_FIELD_MISSING: .*consumerKey/);

    expect(await client.metadataDelete('BlacklistedConsumer', ['capctl_Dropbox'])).toEqual([{ name: 'capctl_Dropbox', success: true, errors: [] }]);
    expect((await client.metadataList('BlacklistedConsumer')).map((f) => f.fullName)).not.toContain('capctl_Dropbox');
    expect((await client.metadataDelete('BlacklistedConsumer', ['capctl_Dropbox']))[0]!.success).toBe(false);
    expect(fake.requests.filter((r) => r.soap?.call === 'deleteMetadata').map((r) => r.items)).toEqual([1, 1]);
  });

  it('SetupEntityAccess: created through sObject Collections (at most 200, each its own result), deleted by id; unknown ids are refused', async () => {
    const { fake, client } = await start();
    const [app] = await client.query("SELECT Id FROM ConnectedApplication WHERE Name = 'Slack'");
    const sets = await client.query('SELECT Id, Name FROM PermissionSet WHERE IsOwnedByProfile = FALSE');
    const records = sets.slice(0, 2).map((s) => ({ ParentId: s.Id, SetupEntityId: app!.Id }));
    const created = await client.createRecords('SetupEntityAccess', [...records, { ParentId: '0PS000000000000999', SetupEntityId: app!.Id }, { SetupEntityId: app!.Id }]);
    expect(created.map((r) => r.success)).toEqual([true, true, false, false]);
    expect(created[2]!.errors[0]).toMatch(/^INVALID_CROSS_REFERENCE_KEY/);
    expect(created[3]!.errors[0]).toMatch(/^REQUIRED_FIELD_MISSING/);
    expect((await client.createRecords('SetupEntityAccess', records))[0]!.errors[0]).toMatch(/^DUPLICATE_VALUE/);
    expect((await client.createRecords('SetupEntityAccess', [{ ...records[0], SetupEntityType: 'ConnectedApplication' }]))[0]!.errors[0]).toMatch(/^INVALID_FIELD_FOR_INSERT_UPDATE/);
    const rows = await client.query(`SELECT Id, ParentId FROM SetupEntityAccess WHERE SetupEntityId = '${String(app!.Id)}'`);
    expect(rows.filter((r) => records.some((c) => c.ParentId === r.ParentId))).toHaveLength(2);
    expect(fake.requests.find((r) => r.path.endsWith('/composite/sobjects'))).toMatchObject({ method: 'POST', items: 4, outcome: 'created 2 of 4' });

    const id = String(created[0]!.name);
    expect(await client.deleteRecord('SetupEntityAccess', id)).toBe('deleted');
    expect(await client.deleteRecord('SetupEntityAccess', id)).toBe('gone');
    const over = await fetch(`${fake.url}/services/data/v62.0/composite/sobjects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allOrNone: false, records: Array.from({ length: 201 }, () => ({ attributes: { type: 'SetupEntityAccess' }, ...records[0] })) }),
    });
    expect(over.status).toBe(400);
    expect(await over.json()).toEqual([expect.objectContaining({ errorCode: 'EXCEEDED_ID_LIMIT' })]);
    const at200 = await fetch(`${fake.url}/services/data/v62.0/composite/sobjects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allOrNone: false, records: Array.from({ length: 200 }, () => ({ attributes: { type: 'SetupEntityAccess' }, ...records[1] })) }),
    });
    expect(at200.status).toBe(200);
  });

  it('revoke: the token goes; the same token again is 400 invalid_token, which the client calls gone; the log names the token, never its DeleteToken', async () => {
    const { fake, client } = await start();
    const [token] = await client.query("SELECT DeleteToken, CreatedDate FROM OauthToken WHERE AppName = 'Slack'");
    const deleteToken = String(token!.DeleteToken);
    const count = await client.count("SELECT COUNT() FROM OauthToken WHERE AppName = 'Slack'");
    expect(await client.revokeToken(deleteToken)).toBe('revoked');
    expect(await client.count("SELECT COUNT() FROM OauthToken WHERE AppName = 'Slack'")).toBe(count - 1);
    expect(await client.revokeToken(deleteToken)).toBe('gone');
    const revokes = fake.requests.filter((r) => r.path === '/services/oauth2/revoke');
    expect(revokes.map((r) => r.outcome)).toEqual([expect.stringMatching(/^revoked Slack\//), 'invalid_token']);
    expect(JSON.stringify(fake.requests)).not.toContain(deleteToken);
  });

  it('revoke and the usage resources find a token by its DeleteToken or usage id after rows were added, edited or removed since the last call', async () => {
    const { fake, client } = await start();
    const rows = fake.data.tables.OauthToken!;
    const slack = rows.filter((r) => r.AppName === 'Slack');
    expect(await client.revokeToken(String(slack[0]!.DeleteToken))).toBe('revoked');
    // Added since (a copy with a DeleteToken of its own), and edited in place (a new DeleteToken).
    rows.push({ ...slack[1]!, DeleteToken: 'added-delete-token' });
    const old = String(slack[2]!.DeleteToken);
    slack[2]!.DeleteToken = 'edited-delete-token';
    expect(await client.revokeToken('added-delete-token')).toBe('revoked');
    expect(await client.revokeToken(old)).toBe('gone');
    expect(await client.revokeToken('edited-delete-token')).toBe('revoked');

    // A token's usage id comes from its DeleteToken: edited, the old URL finds nothing, the one read again does.
    const bridge = '0xIusxAGS3E8yxS9KO';
    const mine = rows.filter((r) => (r.AppMenuItem as { ApplicationId?: string } | null)?.ApplicationId === bridge);
    const user = String(mine[0]!.UserId);
    const urls = async (): Promise<string[]> =>
      (((await client.restGet(`/apps/oauth/usage/${bridge}/${user}/tokens`)) as { tokens: { revocationUrl: string }[] }).tokens).map((t) => new URL(t.revocationUrl).pathname.replace(/^\/services\/data\/v[\d.]+/, ''));
    const [first, second] = await urls();
    expect(await client.restDelete(first!)).toBe('deleted');
    expect(await client.restDelete(first!)).toBe('gone');
    mine.find((r) => r.UserId === user && rows.includes(r))!.DeleteToken = 'edited-usage-token';
    expect(await client.restDelete(second!)).toBe('gone');
    expect(await client.restDelete((await urls())[0]!)).toBe('deleted');
  });

  it('an expired session during a write: the client cannot log in again on env, and says so', async () => {
    const { fake, client } = await start();
    fake.inject({ kind: 'expire-session', match: 'upsertMetadata' });
    await expect(client.metadataSave('upsert', 'BlacklistedConsumer', [{ fullName: 'x', consumerKey: 'k', consumerName: 'n', masterLabel: 'n' }])).rejects.toSatisfy(
      (e: unknown) => e instanceof SalesforceError && e.failure === 'session',
    );
  });

  it('faults: an item refused, and a write carried out whose answer never comes', async () => {
    const { fake, client } = await start({ timeoutMs: 300 });
    fake.inject({ kind: 'refuse-item', match: 'upsertMetadata' });
    const block = { fullName: 'capctl_x', consumerKey: 'k', consumerName: 'Dropbox', masterLabel: 'Dropbox' };
    const refused = await client.metadataSave('upsert', 'BlacklistedConsumer', [block, { ...block, fullName: 'capctl_y' }]);
    expect(refused.map((r) => r.success)).toEqual([false, true]);
    fake.inject({ kind: 'apply-then-hang', match: 'oauth2/revoke' });
    const [token] = await client.query("SELECT DeleteToken FROM OauthToken WHERE AppName = 'Slack'");
    await expect(client.revokeToken(String(token!.DeleteToken))).rejects.toSatisfy((e: unknown) => e instanceof SalesforceError && e.failure === 'timeout');
    expect(await client.revokeToken(String(token!.DeleteToken))).toBe('gone');
  });
});
