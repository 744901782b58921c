// A fast, exact check of RFC 3339 date-times (JSON Schema's `date-time`), for the store's
// instants. The store may hold a million sessions with two instants each; ajv-formats' full
// `date-time` check costs about 1 µs per string (≈2 s there), its `fast` mode accepts dates such as
// 2026-02-31. One anchored regular expression plus a days-in-month check only for days 29-31 is
// exact and about as fast as `fast` mode.
//
// A leap second (`23:59:60`), which RFC 3339 allows, is refused: no date Salesforce gives has one,
// and JavaScript's Date (and so every comparison of instants in capctl) cannot represent it:
// `Date.parse` gives NaN, so a cutoff, a stale-access rule or a sort would silently go wrong.

const instantPattern =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const daysInMonth = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const digitsAt = (s: string, at: number): number => (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;

/** Whether a string is an RFC 3339 date-time with a real calendar date (`2026-11-20T00:00:00Z`) and no leap second. */
export function isInstant(s: string): boolean {
  if (!instantPattern.test(s)) return false;
  const day = digitsAt(s, 8);
  if (day <= 28) return true;
  const month = digitsAt(s, 5);
  if (day > daysInMonth[month]!) return false;
  if (month !== 2) return true;
  const year = Number(s.slice(0, 4));
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Whether a value is a date-time but for its leap second (`2026-12-31T23:59:60Z`): for the message that says why it is refused. */
export function isLeapSecond(value: unknown): boolean {
  return typeof value === 'string' && /^[^T]*T\d\d:\d\d:60/i.test(value) && isInstant(value.replace(/:60(?=[.Zz+-]|$)/, ':59'));
}
