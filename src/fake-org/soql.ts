// A small SOQL parser and evaluator for the fake org: exactly the shapes capctl's queries use, and
// a MALFORMED_QUERY for anything else (the fake must never agree with a query Salesforce would
// refuse). Grammar:
//   SELECT field, … | SELECT COUNT()  FROM Object  [WHERE cond [AND cond]…]  [ORDER BY field [ASC|DESC]]
//   cond := field = literal | field != literal | field IN (literal, …) | field >=, >, <= or < dateTime
//   literal := 'text' | TRUE | FALSE | NULL | number;  dateTime := 2026-06-01T00:00:00Z (unquoted, as SOQL writes it)
// A field may be a relationship path (Profile.Name). Nothing else: no OR, no LIMIT, no subqueries.
import { byCodePoint } from '../plan/names.js';

/** A parsed query. */
export interface Soql {
  fields: string[] | 'count';
  from: string;
  where: Condition[];
  orderBy?: { field: string; descending: boolean };
}

/** One condition of a WHERE clause (all are ANDed). */
export interface Condition {
  field: string;
  op: '=' | '!=' | 'in' | '>=' | '>' | '<=' | '<';
  values: Literal[];
}

/** A SOQL literal's value; a dateTime literal as its instant. */
export type Literal = string | number | boolean | null | DateTimeLiteral;

/** An unquoted SOQL dateTime literal, compared as an instant with the field's value. */
export interface DateTimeLiteral {
  dateTime: number;
}

/** A query the fake does not understand: answered 400 MALFORMED_QUERY. */
export class SoqlError extends Error {}

const tokenPattern = /\s*(?:('(?:[^'\\]|\\.)*')|([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2}))|(!=|>=|<=|[(),=><])|([A-Za-z_][A-Za-z0-9_.]*(?:\(\))?)|(-?[0-9]+(?:\.[0-9]+)?))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  tokenPattern.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    tokenPattern.lastIndex = at;
    const match = tokenPattern.exec(text);
    if (!match) throw new SoqlError(`unexpected text at ${at}: ${text.slice(at, at + 20)}`);
    tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5]!);
    at = tokenPattern.lastIndex;
  }
  return tokens;
}

/** Parses one query of the grammar above; throws SoqlError otherwise. */
export function parseSoql(text: string): Soql {
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new SoqlError('unexpected end of query');
    return t;
  };
  const keyword = (word: string): boolean => {
    if (peek()?.toUpperCase() === word) {
      i++;
      return true;
    }
    return false;
  };
  const expect = (word: string): void => {
    if (!keyword(word)) throw new SoqlError(`expected ${word} at "${peek() ?? 'end'}"`);
  };
  const identifier = (): string => {
    const t = next();
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(t) || reserved.has(t.toUpperCase())) throw new SoqlError(`expected a field name at "${t}"`);
    return t;
  };

  expect('SELECT');
  let fields: string[] | 'count';
  if (peek()?.toUpperCase() === 'COUNT()') {
    i++;
    fields = 'count';
  } else {
    fields = [identifier()];
    while (peek() === ',') {
      i++;
      fields.push(identifier());
    }
  }
  expect('FROM');
  const from = identifier();
  if (from.includes('.')) throw new SoqlError(`expected an object name at "${from}"`);
  const where: Condition[] = [];
  if (keyword('WHERE')) {
    do where.push(condition()); while (keyword('AND'));
  }
  let orderBy: Soql['orderBy'];
  if (keyword('ORDER')) {
    expect('BY');
    const field = identifier();
    const descending = keyword('DESC');
    if (!descending) keyword('ASC');
    orderBy = { field, descending };
  }
  if (i < tokens.length) throw new SoqlError(`unexpected "${peek()}"`);
  return { fields, from, where, ...(orderBy ? { orderBy } : {}) };

  function condition(): Condition {
    const field = identifier();
    const op = next();
    if (op === '=' || op === '!=') return { field, op, values: [literal(next())] };
    if (op === '>=' || op === '>' || op === '<=' || op === '<') {
      const value = literal(next());
      if (typeof value !== 'object' || value === null) throw new SoqlError(`${op} takes a dateTime here`);
      return { field, op, values: [value] };
    }
    if (op.toUpperCase() !== 'IN') throw new SoqlError(`unsupported operator "${op}"`);
    if (next() !== '(') throw new SoqlError('expected ( after IN');
    const values = [literal(next())];
    while (peek() === ',') {
      i++;
      values.push(literal(next()));
    }
    if (next() !== ')') throw new SoqlError('expected ) after the IN list');
    return { field, op: 'in', values };
  }
}

const reserved = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'IN', 'ORDER', 'BY', 'ASC', 'DESC', 'LIMIT', 'TRUE', 'FALSE', 'NULL', 'NOT', 'GROUP']);

function literal(token: string): Literal {
  if (token.startsWith("'")) return token.slice(1, -1).replace(/\\(.)/g, '$1');
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}T/.test(token)) return { dateTime: instantOf(token) };
  const upper = token.toUpperCase();
  if (upper === 'TRUE') return true;
  if (upper === 'FALSE') return false;
  if (upper === 'NULL') return null;
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(token)) return Number(token);
  throw new SoqlError(`expected a value at "${token}"`);
}

/** A row of a fake table: fields, and relationship fields as nested rows (or null). */
export type Row = Record<string, unknown>;

const pathSteps = new Map<string, string[]>();

/** A field path's steps (`Profile.Name` → Profile, Name), split once per path. */
function stepsOf(path: string): readonly string[] {
  let steps = pathSteps.get(path);
  if (steps === undefined) pathSteps.set(path, (steps = path.split('.')));
  return steps;
}

/** The value of a field path on a row; undefined when a step is not a field of the row. */
export function fieldValue(row: Row, path: string): unknown {
  let value: unknown = row;
  for (const step of stepsOf(path)) {
    if (value === null) return null;
    if (typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, step)) return undefined;
    value = (value as Row)[step];
  }
  return value;
}

/**
 * The rows of a table that a parsed query selects, ordered, each with only the selected fields.
 * `indexed`: fields of this table looked up through an index rather than a scan (an `=` or `IN`
 * on one of them costs what it returns; of several, the one answering the fewest rows): the
 * index is built on first use and again whenever the table is replaced or changes length other
 * than by removeRow (which keeps it), so an indexed field must not be edited in place.
 * `ranged`: dateTime fields a `>=` / `>` finds rows by through a sorted index (a "since" query
 * costs what it returns, not a parse of every row's date); these may be edited in place: each use
 * first checks that every row still holds the text it was indexed with, and builds it again if not.
 */
export function evaluate(query: Soql, rows: readonly Row[], knownField: (path: string) => boolean, indexed: readonly string[] = [], ranged: readonly string[] = []): Row[] {
  const paths = [...(query.fields === 'count' ? [] : query.fields), ...query.where.map((c) => c.field), ...(query.orderBy ? [query.orderBy.field] : [])];
  for (const path of paths) if (!knownField(path)) throw new SoqlError(`No such column '${path}' on entity '${query.from}'`);
  const lookups = query.where.filter((c) => (c.op === '=' || c.op === 'in') && indexed.includes(c.field));
  const range = lookups.length > 0 ? undefined : query.where.find((c) => (c.op === '>=' || c.op === '>') && ranged.includes(c.field));
  const candidates = lookups.length > 0 ? lookUp(rows, lookups) : range ? rangeOf(rows, range) : rows;
  let selected = candidates.filter((row) => query.where.every((c) => matches(fieldValue(row, c.field), c)));
  if (query.orderBy) {
    const { field, descending } = query.orderBy;
    selected = [...selected].sort((a, b) => {
      const x = String(fieldValue(a, field) ?? '');
      const y = String(fieldValue(b, field) ?? '');
      return byCodePoint(x, y) * (descending ? -1 : 1);
    });
  }
  if (query.fields === 'count') return selected;
  const fields = query.fields;
  return selected.map((row) => project(row, fields));
}

/** A table's indexes: where each row is, and per indexed field the rows holding each value. */
interface TableIndex {
  /** The table's length they describe: another length means the table changed behind them. */
  length: number;
  positions: Map<Row, number>;
  byField: Map<string, Map<unknown, Set<Row>>>;
}

const indexes = new WeakMap<readonly Row[], TableIndex>();

/**
 * Builds a table's indexes now rather than on their first use (evaluate's `indexed` and `ranged`):
 * as a server has its indexes before it is asked, so that the first query of a field costs what it
 * returns, as the later ones do.
 */
export function buildIndexes(rows: readonly Row[], indexed: readonly string[] = [], ranged: readonly string[] = []): void {
  for (const field of indexed) byValueOf(rows, tableIndex(rows), field);
  for (const field of ranged) rangeIndex(rows, field);
}

/** The table's index, made again when the table changed other than through removeRow. */
function tableIndex(rows: readonly Row[]): TableIndex {
  let index = indexes.get(rows);
  if (!index || index.length !== rows.length) {
    const positions = new Map<Row, number>();
    rows.forEach((row, at) => positions.set(row, at));
    indexes.set(rows, (index = { length: rows.length, positions, byField: new Map() }));
  }
  return index;
}

function byValueOf(rows: readonly Row[], index: TableIndex, field: string): Map<unknown, Set<Row>> {
  let byValue = index.byField.get(field);
  if (!byValue) {
    byValue = new Map();
    for (const row of rows) {
      const value = fieldValue(row, field);
      const set = byValue.get(value);
      if (set) set.add(row);
      else byValue.set(value, new Set([row]));
    }
    index.byField.set(field, byValue);
  }
  return byValue;
}

/** The rows whose field is one of the condition's values, for the condition answering the fewest; in table order. */
function lookUp(rows: readonly Row[], conditions: readonly Condition[]): Row[] {
  const index = tableIndex(rows);
  let best: Set<Row>[] | undefined;
  let size = Infinity;
  for (const c of conditions) {
    const byValue = byValueOf(rows, index, c.field);
    // A null value matches a field that is null or absent (as matches() does).
    const sets = [...new Set(c.values)].flatMap((value) => [byValue.get(value), value === null ? byValue.get(undefined) : undefined].filter((set) => set !== undefined));
    const n = sets.reduce((sum, set) => sum + set.size, 0);
    if (n < size) [best, size] = [sets, n];
  }
  const found = new Set<Row>();
  for (const set of best ?? []) for (const row of set) found.add(row);
  return [...found].map((row) => [index.positions.get(row)!, row] as const).sort((x, y) => x[0] - y[0]).map(([, row]) => row);
}

/**
 * The rows whose field (a path: `AppMenuItem.ApplicationId`) is the value, in table order, through
 * the table's index (kept by removeRow), as a query's `=` finds them: for the fake's own writes and
 * usage resources, which must not scan a million tokens per call.
 */
export function rowsWhere(rows: readonly Row[], field: string, value: Literal): Row[] {
  return lookUp(rows, [{ field, op: '=', values: [value] }]);
}

/**
 * Where a row is in its table (-1: not in it): through the table's index, kept by removeRow, so a
 * revocation of thousands of tokens does not scan a million rows per call.
 */
export function positionOf(rows: readonly Row[], row: Row): number {
  const at = tableIndex(rows).positions.get(row);
  if (at !== undefined && rows[at] === row) return at;
  // Moved behind the index (a test editing the table): found by a scan, the index made again.
  indexes.delete(rows);
  return rows.indexOf(row);
}

/**
 * Removes the row at `at` from its table in constant time, keeping the table's index: the last
 * row takes its place (a table has no order a query without ORDER BY may rely on; Salesforce
 * promises none). Returns the row removed.
 */
export function removeRow(rows: Row[], at: number): Row {
  const index = indexes.get(rows);
  const kept = index !== undefined && index.length === rows.length;
  const removed = rows[at]!;
  const last = rows.pop()!;
  if (at < rows.length) rows[at] = last;
  if (!kept) return removed;
  index.length = rows.length;
  index.positions.delete(removed);
  if (last !== removed) index.positions.set(last, at);
  for (const [field, byValue] of index.byField) byValue.get(fieldValue(removed, field))?.delete(removed);
  return removed;
}

interface RangeIndex {
  /** Each row's text of the field when indexed (undefined: not a string). */
  texts: unknown[];
  /** The positions of the rows holding a dateTime, by instant; `instants` in the same order. */
  positions: number[];
  instants: number[];
  /** The positions of the rows holding a text that is no dateTime: always candidates, so the filter throws on them as a scan would. */
  malformed: number[];
}

const rangeIndexes = new WeakMap<readonly Row[], Map<string, RangeIndex>>();

/** The rows whose dateTime field is at or after (`>=`) or after (`>`) the bound, in table order. */
function rangeOf(rows: readonly Row[], c: Condition): Row[] {
  const index = rangeIndex(rows, c.field);
  const bound = (c.values[0] as DateTimeLiteral).dateTime;
  // The first instant at or past the bound (>=) or past it (>).
  let lo = 0;
  let hi = index.instants.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = index.instants[mid]!;
    if (c.op === '>=' ? at < bound : at <= bound) lo = mid + 1;
    else hi = mid;
  }
  return [...index.positions.slice(lo), ...index.malformed]
    .sort((a, b) => a - b)
    .map((at) => rows[at]!);
}

/** A field's sorted index: built when first asked for, and again when a row no longer holds the text it was indexed with. */
function rangeIndex(rows: readonly Row[], field: string): RangeIndex {
  let byField = rangeIndexes.get(rows);
  if (!byField) rangeIndexes.set(rows, (byField = new Map()));
  let index = byField.get(field);
  if (!index || !stillHolds(rows, field, index.texts)) byField.set(field, (index = buildRange(rows, field)));
  return index;
}

function stillHolds(rows: readonly Row[], field: string, texts: readonly unknown[]): boolean {
  if (texts.length !== rows.length) return false;
  for (let at = 0; at < rows.length; at++) if (fieldValue(rows[at]!, field) !== texts[at]) return false;
  return true;
}

/** Parses every row's date once; a value that is no string matches no bound (as in matches()). */
function buildRange(rows: readonly Row[], field: string): RangeIndex {
  const texts: unknown[] = [];
  const entries: [number, number][] = [];
  const malformed: number[] = [];
  rows.forEach((row, at) => {
    const value = fieldValue(row, field);
    texts.push(value);
    if (typeof value !== 'string') return;
    const ms = instantMsOf(value);
    if (Number.isNaN(ms)) malformed.push(at);
    else entries.push([ms, at]);
  });
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { texts, positions: entries.map((e) => e[1]), instants: entries.map((e) => e[0]), malformed };
}

/** A dateTime as Salesforce writes it (`2026-06-03T04:57:19.000+0000`) or as SOQL does, in ms. */
export function instantOf(text: string): number {
  const ms = instantMsOf(text);
  if (Number.isNaN(ms)) throw new SoqlError(`not a dateTime: ${text}`);
  return ms;
}

/** Salesforce's own form of a dateTime, in UTC: `2026-06-03T04:57:19.000+0000`. */
const salesforceUtc = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})\+0000$/;

/**
 * A dateTime's instant in ms, NaN when it is none. Salesforce's own UTC form (what every row of the
 * fake holds) is read by its fields, every one in range; anything else goes through Date.parse.
 */
function instantMsOf(text: string): number {
  const m = salesforceUtc.exec(text);
  if (m !== null) {
    const [year, month, day, hour, minute, second, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
    // Date.UTC would carry an out-of-range part over (Feb 30 → Mar 2): those go to Date.parse.
    const monthDays = month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    if (monthDays !== undefined && day >= 1 && day <= monthDays && hour < 24 && minute < 60 && second < 60) return Date.UTC(year, month - 1, day, hour, minute, second, ms);
  }
  return Date.parse(text.replace(/([+-][0-9]{2})([0-9]{2})$/, '$1:$2'));
}

const inSets = new WeakMap<Condition, Set<Literal>>();

function matches(value: unknown, c: Condition): boolean {
  if (c.op === '>=' || c.op === '>' || c.op === '<=' || c.op === '<') {
    if (typeof value !== 'string') return false;
    const at = instantOf(value);
    const bound = (c.values[0] as DateTimeLiteral).dateTime;
    return c.op === '>=' ? at >= bound : c.op === '>' ? at > bound : c.op === '<=' ? at <= bound : at < bound;
  }
  const equal = (v: Literal): boolean => (v === null ? value === null || value === undefined : value === v);
  if (c.op === '=') return equal(c.values[0]!);
  if (c.op === '!=') return !equal(c.values[0]!);
  // IN: a set of its values (a list of 200 ids, matched against every candidate row).
  let listed = inSets.get(c);
  if (!listed) inSets.set(c, (listed = new Set(c.values)));
  return listed.has(value as Literal) || (value === undefined && listed.has(null));
}

function project(row: Row, fields: readonly string[]): Row {
  const out: Row = {};
  for (const path of fields) {
    const steps = path.split('.');
    let target = out;
    let source: unknown = row;
    for (let s = 0; s < steps.length - 1; s++) {
      source = source === null ? null : (source as Row)[steps[s]!];
      if (source === null || source === undefined) {
        target[steps[s]!] = null;
        target = undefined as unknown as Row;
        break;
      }
      const existing = target[steps[s]!];
      target = (existing as Row | undefined) ?? (target[steps[s]!] = { attributes: (source as Row).attributes });
    }
    if (target !== undefined) target[steps[steps.length - 1]!] = fieldValue(row, path) ?? null;
  }
  return { attributes: row.attributes, ...out };
}
