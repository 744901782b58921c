// The fake org's SOQL evaluator (src/fake-org/soql.ts): a query through an index gives exactly the
// rows a scan gives, in table order: `=` / `IN` on an indexed field, and `>=` / `>` on a ranged
// dateTime field, also after a date is edited in place (as tests do to the fake's tokens), with
// rows holding no date, a date that is no dateTime, ties on the bound, and other conditions ANDed;
// after rows are removed through removeRow (which keeps the index), or behind its back.
import { describe, expect, it } from 'vitest';
import { evaluate, instantOf, parseSoql, positionOf, removeRow, SoqlError, type Row } from '../../src/fake-org/soql.js';

const fields = new Set(['Id', 'UserId', 'AppName', 'CreatedDate', 'LastUsedDate']);
const known = (f: string): boolean => fields.has(f);

function tokens(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 60; i++) {
    const created = new Date(Date.UTC(2026, 0, 1) + ((i * 37) % 50) * 3_600_000).toISOString().replace('Z', '+0000');
    rows.push({ attributes: { type: 'OauthToken' }, Id: `t${i}`, UserId: `u${i % 7}`, AppName: `app${i % 3}`, CreatedDate: created, LastUsedDate: i % 5 === 0 ? null : created });
  }
  return rows;
}

/** The query through the indexes and by a scan (no index): the same rows, in the same order. */
function both(soql: string, rows: Row[]): Row[] {
  const parsed = parseSoql(soql);
  const scanned = evaluate(parsed, rows, known);
  const looked = evaluate(parsed, rows, known, ['UserId', 'AppName'], ['CreatedDate', 'LastUsedDate']);
  expect(looked, soql).toEqual(scanned);
  return looked;
}

describe('the fake SOQL evaluator: an index answers what a scan does', () => {
  it('>= and > on a dateTime, on the bound and either side of it, with nulls', () => {
    const rows = tokens();
    for (const hour of [-1, 0, 1, 12, 13, 24, 49, 50]) {
      const bound = new Date(Date.UTC(2026, 0, 1) + hour * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      for (const op of ['>=', '>']) {
        for (const field of ['CreatedDate', 'LastUsedDate']) {
          const got = both(`SELECT Id, CreatedDate FROM OauthToken WHERE ${field} ${op} ${bound}`, rows);
          const expected = rows.filter((r) => typeof r[field] === 'string' && (op === '>=' ? Date.parse(String(r[field]).replace('+0000', 'Z')) >= Date.parse(bound) : Date.parse(String(r[field]).replace('+0000', 'Z')) > Date.parse(bound)));
          expect(got.map((r) => r.Id)).toEqual(expected.map((r) => r.Id));
        }
      }
    }
  });

  it('follows a date edited in place, and a row added', () => {
    const rows = tokens();
    const soql = 'SELECT Id FROM OauthToken WHERE LastUsedDate >= 2026-01-02T00:00:00Z';
    const before = both(soql, rows).map((r) => r.Id);
    rows[0]!.LastUsedDate = '2026-03-01T00:00:00.000+0000'; // was null
    rows[1]!.LastUsedDate = '2025-01-01T00:00:00.000+0000'; // moved back
    const after = both(soql, rows).map((r) => r.Id);
    expect(after).toContain('t0');
    expect(after).not.toContain('t1');
    expect(after).not.toEqual(before);
    rows.push({ attributes: { type: 'OauthToken' }, Id: 'late', UserId: 'u1', AppName: 'app1', CreatedDate: '2026-05-01T00:00:00.000+0000', LastUsedDate: '2026-05-01T00:00:00.000+0000' });
    expect(both(soql, rows).map((r) => r.Id)).toContain('late');
  });

  it('a date that is no dateTime is refused as a scan refuses it', () => {
    const rows = tokens();
    rows[3]!.CreatedDate = 'yesterday';
    const parsed = parseSoql('SELECT Id FROM OauthToken WHERE CreatedDate >= 2026-01-01T00:00:00Z');
    expect(() => evaluate(parsed, rows, known)).toThrow(SoqlError);
    expect(() => evaluate(parsed, rows, known, [], ['CreatedDate'])).toThrow(SoqlError);
  });

  it('= and IN on an indexed field, with a date condition ANDed', () => {
    const rows = tokens();
    both("SELECT Id FROM OauthToken WHERE UserId IN ('u1', 'u3', 'nobody')", rows);
    both("SELECT Id FROM OauthToken WHERE AppName = 'app2' AND CreatedDate > 2026-01-01T10:00:00Z", rows);
    both("SELECT Id FROM OauthToken WHERE CreatedDate > 2026-01-01T10:00:00Z AND AppName = 'app2'", rows);
    both('SELECT COUNT() FROM OauthToken WHERE LastUsedDate > 2026-01-01T10:00:00Z', rows);
  });

  it('IN matches as a list of values would: null matches a field that is null or absent', () => {
    const rows = tokens();
    delete rows[4]!.UserId;
    rows[9]!.UserId = null;
    const got = both("SELECT Id FROM OauthToken WHERE UserId IN (null, 'u2')", rows).map((r) => r.Id);
    expect(got).toEqual(rows.filter((r) => r.UserId === undefined || r.UserId === null || r.UserId === 'u2').map((r) => r.Id));
    expect(got).toContain('t4');
    expect(got).toContain('t9');
  });

  it('of several indexed conditions, any may be looked up: the rows are those a scan gives', () => {
    const rows = tokens();
    for (const soql of [
      "SELECT Id FROM OauthToken WHERE AppName = 'app1' AND UserId IN ('u1', 'u4')",
      "SELECT Id FROM OauthToken WHERE UserId IN ('u1', 'u4', 'u5', 'u6', 'u0') AND AppName = 'app2'",
      "SELECT Id FROM OauthToken WHERE AppName IN ('app0', 'app1') AND UserId = 'u3' AND CreatedDate < 2026-01-02T00:00:00Z",
    ]) {
      expect(both(soql, rows).length, soql).toBeGreaterThan(0);
    }
  });

  it('removeRow: the last row takes the removed one\'s place; the index, kept, answers what a scan does, and finds every row where it is', () => {
    const rows = tokens();
    const soql = "SELECT Id FROM OauthToken WHERE AppName = 'app1' AND UserId IN ('u1', 'u2', 'u3')";
    both(soql, rows);
    const removed: Row[] = [];
    for (const at of [5, 0, 57, 20, 55]) {
      const last = rows.at(-1)!;
      const row = rows[at]!;
      expect(removeRow(rows, at)).toBe(row);
      removed.push(row);
      if (row !== last) expect(rows[at]).toBe(last);
      both(soql, rows);
      both("SELECT COUNT() FROM OauthToken WHERE UserId = 'u1'", rows);
    }
    expect(rows).toHaveLength(55);
    for (const [at, row] of rows.entries()) expect(positionOf(rows, row)).toBe(at);
    for (const row of removed) expect(positionOf(rows, row)).toBe(-1);
    // Changed behind the index's back: a row removed and one added (the length the same), then rows swapped.
    rows.splice(3, 1);
    rows.push({ ...rows[0]!, Id: 'added', UserId: 'u2', AppName: 'app1' });
    const [a, b] = [rows[1]!, rows[2]!];
    [rows[1], rows[2]] = [b, a];
    expect(positionOf(rows, a)).toBe(2);
    expect(both(soql, rows).map((r) => r.Id)).toContain('added');
    for (const [at, row] of rows.entries()) expect(positionOf(rows, row)).toBe(at);
  });

  it('IN on a field no index holds: each value tried, nulls and numbers among the row values', () => {
    const rows = tokens();
    rows[4]!.AppName = null;
    rows[5]!.AppName = 7;
    const ids = (soql: string): unknown[] => evaluate(parseSoql(soql), rows, known).map((r) => r.Id);
    expect(ids("SELECT Id FROM OauthToken WHERE AppName IN ('app1', 'nothing')")).toEqual(rows.filter((r) => r.AppName === 'app1').map((r) => r.Id));
    expect(ids("SELECT Id FROM OauthToken WHERE AppName IN ('7')")).toEqual([]);
    expect(ids('SELECT Id FROM OauthToken WHERE AppName IN (NULL, 7)')).toEqual(['t4', 't5']);
  });
});

describe("the fake's dateTimes: Salesforce's UTC form read by its fields, the rest by Date.parse", () => {
  it('gives the instant Date.parse gives, on the edges of months, years and leap days', () => {
    const texts = ['2026-06-03T04:57:19.000+0000', '1970-01-01T00:00:00.000+0000', '2024-02-29T23:59:59.999+0000', '2000-02-29T12:00:00.500+0000', '2026-12-31T23:59:59.999+0000', '2026-01-31T00:00:00.001+0000'];
    for (const text of texts) expect(instantOf(text), text).toBe(Date.parse(text.replace('+0000', 'Z')));
  });

  it('a part out of range is no instant of that form: it is read as Date.parse reads it', () => {
    for (const text of ['2026-02-29T00:00:00.000+0000', '1900-02-29T00:00:00.000+0000', '2026-04-31T00:00:00.000+0000', '2026-06-03T24:00:00.000+0000', '2026-06-03T04:60:00.000+0000', '2026-13-01T00:00:00.000+0000', '2026-00-10T00:00:00.000+0000']) {
      const parsed = Date.parse(text.replace(/\+0000$/, '+00:00'));
      if (Number.isNaN(parsed)) expect(() => instantOf(text), text).toThrow(SoqlError);
      else expect(instantOf(text), text).toBe(parsed);
    }
  });

  it('other forms (SOQL literals, offsets) go through Date.parse', () => {
    expect(instantOf('2026-06-03T04:57:19Z')).toBe(Date.UTC(2026, 5, 3, 4, 57, 19));
    expect(instantOf('2026-06-03T06:57:19.000+0200')).toBe(Date.UTC(2026, 5, 3, 4, 57, 19));
    expect(() => instantOf('yesterday')).toThrow(SoqlError);
  });
});
