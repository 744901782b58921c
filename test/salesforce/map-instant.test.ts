// map-snapshot.ts instant(): a UTC dateTime is rewritten as text (the fast path a million tokens'
// dates take), and must give exactly what the Date round trip gives, whatever the value: in range,
// on a boundary (leap days, the last second of a day), rolled over by Date (31 April, 29 February
// of a common year, 24:00), or not a dateTime at all.
import { describe, expect, it } from 'vitest';
import { instant, UnmappableRecord } from '../../src/salesforce/map-snapshot.js';

/** The definition: Salesforce's `+0000` read as `+00:00`, through Date, `.000` dropped. */
function roundTrip(value: string): string {
  const date = new Date(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  if (Number.isNaN(date.getTime())) throw new UnmappableRecord('not a dateTime');
  return date.toISOString().replace('.000Z', 'Z');
}

function same(value: string): void {
  let expected: string | Error;
  try {
    expected = roundTrip(value);
  } catch (err) {
    expected = err as Error;
  }
  if (expected instanceof Error) expect(() => instant(value), value).toThrow(UnmappableRecord);
  else expect(instant(value), value).toBe(expected);
}

describe('instant', () => {
  it('gives what the Date round trip gives, on every boundary of the text path', () => {
    const cases = [
      '2026-06-03T04:57:19.000+0000',
      '2026-06-03T04:57:19.120+0000',
      '2026-06-03T04:57:19.001Z',
      '2026-06-03T04:57:19Z',
      '2026-06-03T04:57:19+00:00',
      '2026-06-03T04:57:19.999+00:00',
      '2024-02-29T12:00:00Z', // a leap day
      '2000-02-29T12:00:00Z', // leap: divisible by 400
      '2100-02-29T12:00:00Z', // not leap: divisible by 100
      '2023-02-29T12:00:00Z', // Date rolls it over to 1 March
      '2026-02-28T23:59:59.999Z',
      '2026-04-30T00:00:00Z',
      '2026-04-31T00:00:00Z', // rolled over
      '2026-12-31T23:59:59Z',
      '2026-01-31T00:00:00Z',
      '2026-01-32T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-13-10T00:00:00Z',
      '2026-01-01T24:00:00Z', // Date takes 24:00 as the next day
      '2026-01-01T23:60:00Z',
      '2026-01-01T23:59:60Z',
      '1970-01-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '0999-06-01T00:00:00Z',
      '2026-06-03T04:57:19.1234Z',
      '2026-06-03T04:57:19.12Z',
      '2026-06-03T06:57:19.000+0200', // another zone: through Date
      '2026-06-03T04:57:19.000-0000',
      '2026-06-03 04:57:19Z',
      '2026-06-03T04:57:19',
      'not a date',
      '',
    ];
    for (const value of cases) same(value);
  });

  it("Salesforce's own form (`.sss+0000`, read digit by digit): the same, on every boundary and with a character that is no digit", () => {
    const seconds = ['2024-02-29T12:00:00', '2000-02-29T12:00:00', '2100-02-29T12:00:00', '2023-02-29T12:00:00', '2026-04-31T00:00:00', '2026-12-31T23:59:59', '2026-01-32T00:00:00', '2026-01-00T00:00:00', '2026-00-10T00:00:00', '2026-13-10T00:00:00', '2026-01-01T24:00:00', '2026-01-01T23:60:00', '2026-01-01T23:59:60', '1970-01-01T00:00:00', '1969-12-31T23:59:59', '0999-06-01T00:00:00'];
    for (const at of seconds) for (const ms of ['.000', '.001', '.120', '.999']) same(`${at}${ms}+0000`);
    for (const junk of ['2026-06-0xT04:57:19.000+0000', '2026-06-03T04:57:19.0a0+0000', '2026-06-03T04:5 :19.000+0000', '2026+06-03T04:57:19.000+0000', '2026-06-03T04:57:19,000+0000', '2026-06-03T04:57:19.000+0100', '-026-06-03T04:57:19.000+0000']) same(junk);
  });

  it('gives what the Date round trip gives for every day of four years, at ms and second precision', () => {
    const from = Date.UTC(2023, 0, 1);
    for (let day = 0; day < 4 * 366; day++) {
      const at = new Date(from + day * 86_400_000 + (day % 86_400) * 1000 + (day % 3 === 0 ? 0 : day % 1000));
      const iso = at.toISOString();
      same(iso);
      same(iso.replace('Z', '+0000'));
      same(iso.replace(/\.\d{3}Z$/, 'Z'));
    }
  });

  it('refuses what is not text', () => {
    for (const value of [null, undefined, 12, {}]) expect(() => instant(value)).toThrow(UnmappableRecord);
  });
});
