// ajv's errors → messages a person understands without reading the schema, at the node at fault:
// the one translator of schema errors, for every file capctl reads (desired documents and
// capctl.yaml with their positions; the store's files and a saved plan by JSON pointer).
import type { ErrorObject } from 'ajv';
import { Codes, type Code, type Diagnostic, type SourcePos } from '../model/index.js';
import { didYouMean } from '../plan/names.js';
import { isLeapSecond } from '../store/instant.js';

/** The document an error list belongs to: what it is, where its nodes are. */
export interface SchemaErrorContext {
  /** The document's kind (`ConnectedApp`, `Revocation`, …). */
  kind: string;
  source: SourcePos;
  positions: Record<string, SourcePos>;
}

/** One problem in words: where (a dotted path, `#key` for a field's name; and its JSON pointer), its code, what is wrong. */
export interface SchemaProblemWords {
  path: string;
  pointer: string;
  code: Code;
  message: string;
  detail?: string;
}

/** What the words need to know of the document: its kind (`ConnectedApp`, `app file`). */
interface WordsContext {
  kind: string;
}

/**
 * One diagnostic per real problem. The branch errors of a `oneOf`/`anyOf` are folded: when the value's
 * shape picks one branch, that branch's errors are described; otherwise one message says what is expected.
 */
export function describeSchemaErrors(errors: readonly ErrorObject[], context: SchemaErrorContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const words of describeAll(errors, context)) {
    const diagnostic: Diagnostic = { severity: 'error', code: words.code, message: words.message, ...positionAt(context, words.path), ...(words.detail ? { detail: words.detail } : {}) };
    const key = `${diagnostic.line}:${diagnostic.column}:${diagnostic.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(diagnostic);
    }
  }
  return out;
}

/** The same words for a document known by JSON pointers (a store file, a plan): one per real problem, in ajv's order. */
export function describeSchemaProblems(errors: readonly ErrorObject[], kind: string): SchemaProblemWords[] {
  const seen = new Set<string>();
  return describeAll(errors, { kind }).filter((words) => {
    const key = `${words.pointer} ${words.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describeAll(errors: readonly ErrorObject[], context: WordsContext): SchemaProblemWords[] {
  const groups = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const refMembers = membersByRef(errors, groups);
  const inGroup = (e: ErrorObject, group: ErrorObject): boolean =>
    e !== group && ((e.schemaPath.startsWith(`${group.schemaPath}/`) && isUnder(e.instancePath, group.instancePath)) || refMembers.get(group)?.has(e) === true);
  const out: SchemaProblemWords[] = [];
  for (const error of errors) {
    if (groups.some((group) => inGroup(error, group))) continue;
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') {
      out.push(...describeGroup(error, errors.filter((e) => inGroup(e, error)), context));
    } else {
      out.push(describeOne(error, context));
    }
  }
  return out;
}

/**
 * The errors of a oneOf/anyOf's branches that a `$ref` took elsewhere (their schemaPath is the
 * definition's, not the group's): ajv lists a group's branch errors right before the group, so they
 * are the run just before it of errors under its node, less those of the group's own schema's other
 * keywords.
 */
function membersByRef(errors: readonly ErrorObject[], groups: readonly ErrorObject[]): Map<ErrorObject, Set<ErrorObject>> {
  const out = new Map<ErrorObject, Set<ErrorObject>>();
  for (const group of groups) {
    const own = `${group.schemaPath.slice(0, group.schemaPath.lastIndexOf('/'))}/`;
    const members = new Set<ErrorObject>();
    for (let i = errors.indexOf(group) - 1; i >= 0 && isUnder(errors[i]!.instancePath, group.instancePath); i--) {
      if (!errors[i]!.schemaPath.startsWith(own)) members.add(errors[i]!);
    }
    out.set(group, members);
  }
  return out;
}

/** Which branch of a group an error is of: its index under the group, or the definition a `$ref` took it to. */
function branchOf(member: ErrorObject, group: ErrorObject): string {
  if (member.schemaPath.startsWith(`${group.schemaPath}/`)) return member.schemaPath.slice(group.schemaPath.length + 1).split('/')[0] ?? '';
  return member.schemaPath.split('/').slice(0, 3).join('/');
}

/** A oneOf/anyOf: the errors of the one branch whose shape fits the value, or a single summary. */
function describeGroup(group: ErrorObject, members: ErrorObject[], context: WordsContext): SchemaProblemWords[] {
  const branches = new Map<string, ErrorObject[]>();
  for (const member of members) {
    const branch = branchOf(member, group);
    branches.set(branch, [...(branches.get(branch) ?? []), member]);
  }
  const shapeMismatch = (e: ErrorObject): boolean => e.instancePath === group.instancePath && ['type', 'const', 'enum'].includes(e.keyword);
  const fitting = [...branches.values()].filter((branchErrors) => !branchErrors.some(shapeMismatch));
  if (fitting.length === 1) return describeAll(fitting[0]!, context);
  const path = pointerToPath(group.instancePath);
  const description = (group.parentSchema as { description?: string } | undefined)?.description;
  const expected = description ? description.replace(/`/g, '').replace(/\.$/, '') : 'a value of another shape';
  return [words(group.instancePath, path, Codes.wrongType, `${label(path)}: expected ${expected}, got ${describeValue(group.data)}`)];
}

function describeOne(error: ErrorObject, context: WordsContext): SchemaProblemWords {
  const path = pointerToPath(error.instancePath);
  const diagnostic = (_context: WordsContext, at: string, code: Code, message: string): SchemaProblemWords => words(pointerOf(error, at, path), at, code, message);
  const params = error.params as Record<string, unknown>;
  const data = error.data;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = didYouMean(field, known);
      const where = path ? ` in ${path}` : '';
      const fieldPath = joinPath(path, field);
      return {
        ...diagnostic(context, `${fieldPath}#key`, Codes.unknownField, `unknown field "${field}"${where}${hint}`),
        ...(hint ? {} : { detail: `allowed fields${path ? ` in ${path}` : ` of ${article(context.kind)}`}: ${known.join(', ')}` }),
      };
    }
    case 'required': {
      const field = String(params.missingProperty);
      const required = Array.isArray(error.schema) ? (error.schema as string[]) : [];
      const needs = path ? ` in ${path}` : ` (${article(context.kind)} needs ${required.join(', ')})`;
      return diagnostic(context, path, Codes.missingField, `missing required field "${field}"${needs}`);
    }
    case 'type':
      return diagnostic(context, path, Codes.wrongType, `${label(path)}: expected ${describeType(String(params.type))}, got ${describeValue(data)}`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const hint = typeof data === 'string' ? didYouMean(data, allowed) : '';
      return diagnostic(context, path, Codes.badEnum, `${label(path)}: ${show(data)} is not one of ${allowed.join(', ')}${hint}`);
    }
    case 'const':
      return diagnostic(context, path, Codes.badValue, `${label(path)}: must be ${show(params.allowedValue)}, not ${show(data)}`);
    case 'pattern':
    case 'maxLength':
      return describePattern(error, path, context);
    case 'minLength':
      return diagnostic(context, path, Codes.badValue, `${label(path)}: must not be empty`);
    case 'format':
      if (params.format === 'date-time') {
        return diagnostic(
          context,
          path,
          Codes.badInstant,
          `${label(path)}: ${show(data)} is not a valid instant: ${isLeapSecond(data) ? 'a leap second (:60) cannot be used, capctl dates have none; ' : ''}write RFC 3339 with a time zone, e.g. 2026-11-20T00:00:00Z`,
        );
      }
      return diagnostic(context, path, Codes.badValue, `${label(path)}: ${show(data)} is not a valid ${String(params.format)}`);
    case 'uniqueItems': {
      const later = Math.max(Number(params.i), Number(params.j));
      const item = Array.isArray(data) ? data[later] : undefined;
      return diagnostic(context, joinPath(path, String(later)), Codes.badValue, `${label(path)}: ${show(item)} is listed twice`);
    }
    case 'minItems':
      return diagnostic(
        context,
        path,
        Codes.badValue,
        params.limit === 1 ? `${label(path)}: the list is empty: give at least one item` : `${label(path)}: give at least ${String(params.limit)} items`,
      );
    case 'minimum':
      return diagnostic(context, path, Codes.badValue, `${label(path)}: must be at least ${String(params.limit)}, not ${show(data)}`);
    default:
      return diagnostic(context, path, Codes.badValue, `${label(path)}: ${error.message ?? 'is not valid'}`);
  }
}

function describePattern(error: ErrorObject, path: string, context: WordsContext): SchemaProblemWords {
  const data = error.data;
  const diagnostic = (_context: WordsContext, at: string, code: Code, message: string): SchemaProblemWords => words(error.instancePath, at, code, message);
  if (error.schemaPath.includes('/OrgSlug/')) {
    const problem = error.keyword === 'maxLength' ? 'is longer than 63 characters' : 'is not a valid org slug';
    return diagnostic(
      context,
      path,
      Codes.badOrgSlug,
      `${label(path)}: ${show(data)} ${problem}: use lower-case letters, digits and dashes, starting with a letter or digit (e.g. acme-prod)`,
    );
  }
  if (error.keyword === 'maxLength') {
    return diagnostic(context, path, Codes.badValue, `${label(path)}: longer than ${String((error.params as { limit: number }).limit)} characters`);
  }
  if (error.schemaPath.includes('/RefreshTokenPolicy/')) {
    return diagnostic(
      context,
      path,
      Codes.badValue,
      `${label(path)}: ${show(data)} is not a valid refresh token policy: write infinite, zero, specific_lifetime:N:UNIT or specific_inactivity:N:UNIT (N from 1 to 9999, UNIT HOURS, DAYS or MONTHS; e.g. specific_lifetime:90:DAYS)`,
    );
  }
  if (context.kind === 'capctl.yaml' && /^orgs\.[^.]+\.connection$/.test(path)) {
    return diagnostic(context, path, Codes.badValue, `${label(path)}: ${show(data)} is not a connection: use env, jwt or sf:ALIAS`);
  }
  if (path === 'id' && context.kind === 'Revocation') {
    return diagnostic(context, path, Codes.badValue, `id: ${show(data)} is not a valid revocation id: use letters, digits, dots, dashes and underscores, starting with a letter or digit (e.g. INC-2041)`);
  }
  if (path === 'id') {
    return diagnostic(context, path, Codes.badValue, `id: ${show(data)} is not a Salesforce id: 15 or 18 letters and digits`);
  }
  return diagnostic(context, path, Codes.badValue, `${label(path)}: ${show(data)} does not have the expected form`);
}

function words(pointer: string, path: string, code: Code, message: string): SchemaProblemWords {
  return { path, pointer, code, message };
}

/** The JSON pointer of what a message names: the error's node, or the field or item below it that `at` names. */
function pointerOf(error: ErrorObject, at: string, path: string): string {
  if (at === path) return error.instancePath;
  const below = at.slice(path === '' ? 0 : path.length + 1).replace(/#key$/, '');
  return `${error.instancePath}/${below.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** Where a path is; a path without a recorded position falls back to its nearest ancestor. */
function positionAt(context: SchemaErrorContext, path: string): SourcePos {
  let current = path;
  while (current !== '') {
    const pos = context.positions[current];
    if (pos) return pos;
    const cut = current.replace(/#key$/, '').lastIndexOf('.');
    current = cut < 0 ? '' : current.slice(0, cut);
  }
  return context.source;
}

/** `/policies/profiles/1` → `policies.profiles.1` */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function isUnder(pointer: string, ancestor: string): boolean {
  return pointer === ancestor || pointer.startsWith(`${ancestor}/`);
}

function joinPath(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

function label(path: string): string {
  return path === '' ? 'the document' : path;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

function describeType(type: string): string {
  const names: Record<string, string> = {
    boolean: 'true or false',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    array: 'a list',
    object: 'a mapping',
    null: 'nothing',
  };
  return type
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

/** A value as a message names it: `the string "yes"`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${show(value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping';
  return String(value);
}
