// One document: its apiVersion and kind, then its kind's JSON Schema, then what a schema cannot check.
import type { ValidateFunction } from 'ajv';
import { Codes, type Diagnostic, type SourcePos } from '../model/index.js';
import { didYouMean } from '../plan/names.js';
import { allUsersDeclared, assignmentsNeedAdminApprovedMessage } from '../plan/rules/assignments-need-admin-approved.js';
import type { ParsedDocument } from './parse-documents.js';
import { compileSchema } from './schemas.js';
import { describeSchemaErrors, describeValue } from './schema-messages.js';

/** The format version every document declares. */
export const apiVersion = 'capctl/v1';

/** The kinds of document, and the schema definition each is checked against. */
export const kindDefinitions = {
  OrgSettings: 'OrgSettings',
  ConnectedApp: 'ConnectedApp',
  ExternalClientApp: 'ConnectedApp',
  Revocation: 'Revocation',
  RiskException: 'RiskException',
} as const;

/** A kind of desired-state document. */
export type DocumentKind = keyof typeof kindDefinitions;

const kinds = Object.keys(kindDefinitions) as DocumentKind[];

/** Whether a value is a known document kind. */
export function isDocumentKind(value: unknown): value is DocumentKind {
  return typeof value === 'string' && Object.hasOwn(kindDefinitions, value);
}

/**
 * Every problem of one document; none means the document is valid for its kind. `now` is the
 * instant that `issuedBefore` may not be after.
 */
export function validateDocument(document: ParsedDocument, options: { now: Date }): Diagnostic[] {
  const { value, positions, source } = document;
  const at = (path: string) => positions[path] ?? source;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [
      {
        severity: 'error',
        code: Codes.notAMapping,
        message: `a document must be a mapping (apiVersion, kind, org, …), not ${describeValue(value)}`,
        ...source,
      },
    ];
  }
  const doc = value as Record<string, unknown>;
  const out: Diagnostic[] = [];

  if (!('apiVersion' in doc)) {
    out.push({ severity: 'error', code: Codes.missingField, message: `missing required field "apiVersion" (always ${apiVersion})`, ...source });
  } else if (doc.apiVersion !== apiVersion) {
    out.push({
      severity: 'error',
      code: Codes.badApiVersion,
      message: `apiVersion: ${quote(doc.apiVersion)} is not supported: the only version is ${apiVersion}`,
      ...at('apiVersion'),
    });
  }

  const kind = doc.kind;
  if (!('kind' in doc)) {
    out.push({ severity: 'error', code: Codes.missingField, message: `missing required field "kind" (one of ${kinds.join(', ')})`, ...source });
    return out;
  }
  if (!isDocumentKind(kind)) {
    const hint = typeof kind === 'string' ? didYouMean(kind, kinds) : '';
    out.push({
      severity: 'error',
      code: Codes.unknownKind,
      message: `kind: ${quote(kind)} is not a known kind${hint}: use one of ${kinds.join(', ')}`,
      ...at('kind'),
    });
    return out;
  }

  const validate = validatorFor(kind);
  if (!validate(doc)) {
    // apiVersion and kind are reported above, in words of their own.
    const errors = (validate.errors ?? []).filter(
      (e) =>
        e.instancePath !== '/apiVersion' &&
        e.instancePath !== '/kind' &&
        !(e.keyword === 'required' && e.instancePath === '' && ['apiVersion', 'kind'].includes(String(e.params.missingProperty))),
    );
    out.push(...describeSchemaErrors(errors, { kind, source, positions }));
  }

  if (kind === 'Revocation' && typeof doc.issuedBefore === 'string' && !out.some((d) => d.code === Codes.badInstant)) {
    // The schema's date-time (store/instant.ts) refuses leap seconds, which a JavaScript date cannot hold: the cutoff is a number.
    const cutoff = Date.parse(doc.issuedBefore);
    if (cutoff > options.now.getTime()) {
      out.push({
        severity: 'error',
        code: Codes.issuedBeforeFuture,
        message: `issuedBefore: ${doc.issuedBefore} is in the future: a revocation ends sessions created before an instant that has passed`,
        ...at('issuedBefore'),
      });
    }
  }
  if ((kind === 'ConnectedApp' || kind === 'ExternalClientApp') && !out.some((d) => d.severity === 'error')) out.push(...checkAssignments(document));
  if (kind === 'RiskException') out.push(...checkRiskException(doc, options.now, at, source));
  return out;
}

/** R7 within one document: profiles or permission sets beside `permittedUsers: all-users` (the plan's CAP306). */
function checkAssignments(document: ParsedDocument): Diagnostic[] {
  const { name, policies } = document.value as { name: string; policies?: { permittedUsers?: string; profiles?: string[]; permissionSets?: string[] } };
  if (policies?.permittedUsers !== 'all-users') return [];
  const out: Diagnostic[] = [];
  for (const field of ['profiles', 'permissionSets'] as const) {
    if ((policies[field]?.length ?? 0) === 0) continue;
    const at = document.positions[`policies.${field}#key`] ?? document.positions[`policies.${field}`] ?? document.source;
    out.push({ severity: 'error', code: Codes.assignmentsNeedAdminApproved, message: assignmentsNeedAdminApprovedMessage(name, field, allUsersDeclared), ...at });
  }
  return out;
}

/**
 * What the schema cannot say of a RiskException: exactly one of app and user, and an expiry that
 * is at most a year after `now` (an exception is reviewed again at least once a year).
 */
function checkRiskException(doc: Record<string, unknown>, now: Date, at: (path: string) => SourcePos, source: SourcePos): Diagnostic[] {
  const out: Diagnostic[] = [];
  if ((doc.app === undefined) === (doc.user === undefined)) {
    out.push({
      severity: 'error',
      code: Codes.missingField,
      message: `a RiskException names exactly one of "app" and "user"${doc.app !== undefined ? ', not both' : ''}`,
      ...(doc.app !== undefined ? at('user') : source),
    });
  }
  if (typeof doc.expires === 'string') {
    const expires = Date.parse(`${doc.expires}T00:00:00Z`);
    const latest = new Date(now);
    latest.setUTCFullYear(latest.getUTCFullYear() + 1);
    if (Number.isFinite(expires) && expires > latest.getTime()) {
      out.push({
        severity: 'error',
        code: Codes.exceptionTooLong,
        message: `expires: ${doc.expires} is more than a year ahead (latest ${latest.toISOString().slice(0, 10)}): an exception is reviewed again at least once a year`,
        ...at('expires'),
      });
    }
  }
  return out;
}

/** A string in quotes, anything else described. */
function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
}

let validators: Map<string, ValidateFunction> | undefined;

/** The compiled validator of a kind; the schemas are read and compiled once per process. */
function validatorFor(kind: DocumentKind): ValidateFunction {
  validators ??= new Map();
  const definition = kindDefinitions[kind];
  let validate = validators.get(definition);
  if (!validate) {
    validate = compileSchema(`desired-state.schema.json#/$defs/${definition}`);
    validators.set(definition, validate);
  }
  return validate;
}
