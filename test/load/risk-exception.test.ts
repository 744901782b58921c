// RiskException documents (SPEC §14): app or user (not both), reason, owner, and an expiry at most
// a year after now; vendor and criticality on apps; levels in OrgSettings.rules.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/load/load-desired.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';

const now = new Date('2026-11-29T12:00:00Z');
const temps: string[] = [];

async function load(text: string) {
  const dir = await makeTempDir('capctl-exception-');
  temps.push(dir);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'x.yaml'), text);
  return loadDesiredState(dir, { now });
}

afterEach(async () => {
  await Promise.all(temps.splice(0).map(removeDir));
});

const head = 'apiVersion: capctl/v1\nkind: RiskException\norg: acme-prod\nrule: CAPR005\n';
const tail = 'reason: the integration user needs it until the ETL moves to a connected app\nowner: data-platform@acme.example\n';

describe('RiskException', () => {
  it('loads, for a user or an app, with an expiry up to a year ahead (the same day next year)', async () => {
    const loaded = await load(`${head}user: svc-etl@acme.example\n${tail}expires: 2027-11-29\n`);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.desired.orgs['acme-prod']!.exceptions!.map((e) => e.doc)).toEqual([
      expect.objectContaining({ rule: 'CAPR005', user: 'svc-etl@acme.example', expires: '2027-11-29' }),
    ]);
    expect((await load(`${head}app: Zapier\n${tail}expires: 2026-01-01\n`)).diagnostics).toEqual([]);
  });

  it('refuses an expiry more than a year ahead, one day past the limit', async () => {
    const loaded = await load(`${head}user: svc-etl@acme.example\n${tail}expires: 2027-11-30\n`);
    expect(loaded.diagnostics.map((d) => [d.severity, d.code, d.line, d.column])).toEqual([['error', 'CAP126', 8, 10]]);
    expect(loaded.diagnostics[0]!.message).toBe(
      'expires: 2027-11-30 is more than a year ahead (latest 2027-11-29): an exception is reviewed again at least once a year',
    );
    expect(loaded.desired.orgs['acme-prod']).toBeUndefined();
  });

  it('refuses an exception without expiry, or one that is not a date', async () => {
    const missing = await load(`${head}user: svc-etl@acme.example\n${tail}`);
    expect(missing.diagnostics.map((d) => [d.code, d.message])).toEqual([['CAP106', expect.stringContaining('"expires"')]]);
    const word = await load(`${head}user: svc-etl@acme.example\n${tail}expires: never\n`);
    expect(word.diagnostics.map((d) => d.severity)).toEqual(['error']);
  });

  it('names exactly one of app and user', async () => {
    const both = await load(`${head}app: Zapier\nuser: svc-etl@acme.example\n${tail}expires: 2027-01-01\n`);
    expect(both.diagnostics.map((d) => [d.code, d.line, d.message])).toEqual([['CAP106', 6, 'a RiskException names exactly one of "app" and "user", not both']]);
    const neither = await load(`${head}${tail}expires: 2027-01-01\n`);
    expect(neither.diagnostics.map((d) => [d.code, d.message])).toEqual([['CAP106', 'a RiskException names exactly one of "app" and "user"']]);
  });

  it('apps take vendor and criticality (low, medium, high); OrgSettings.rules takes levels of known rules', async () => {
    const app = 'apiVersion: capctl/v1\nkind: ConnectedApp\norg: acme-prod\nname: Drift\nowner: sales-ops@acme.example\nvendor: Salesloft\n';
    expect((await load(`${app}criticality: high\n`)).diagnostics).toEqual([]);
    expect((await load(`${app}criticality: critical\n`)).diagnostics.map((d) => d.code)).toEqual(['CAP105']);
    const settings = 'apiVersion: capctl/v1\nkind: OrgSettings\norg: acme-prod\nrules:\n';
    expect((await load(`${settings}  CAPR003: deny\n  CAPR007: off\n`)).diagnostics).toEqual([]);
    expect((await load(`${settings}  CAPR003: error\n`)).diagnostics.map((d) => d.code)).toEqual(['CAP105']);
    expect((await load(`${settings}  CAPR099: warn\n`)).diagnostics.map((d) => d.code)).toEqual(['CAP103']);
  });
});
