// capctl.yaml: read, parsed with the position of every node, and checked against
// schemas/capctl-config.schema.json through the shared registry (schemas.ts) and the one translator
// of schema errors (schema-messages.ts), so that its problems are diagnostics with
// `file:line:column` like a desired-state file's, each with the code of a capctl.yaml problem.
import { readFileSync } from 'node:fs';
import { Codes, InputError, type Diagnostic } from '../model/index.js';
import { parseDocuments } from './parse-documents.js';
import { describeSchemaErrors } from './schema-messages.js';
import { compileSchema } from './schemas.js';

/**
 * The value of a capctl.yaml, checked against its schema (an empty file is `{}`); InputError with
 * one CAP127 diagnostic per problem otherwise.
 */
export function readConfigValue(file: string): unknown {
  const parsed = parseDocuments(file, readFileSync(file, 'utf8'));
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw configError(file, errors);
  const [document] = parsed.documents;
  if (document === undefined) return {};
  if (parsed.documents.length > 1) throw configError(file, [{ severity: 'error', code: Codes.badConfig, message: 'capctl.yaml holds one document, not several', ...parsed.documents[1]!.source }]);
  const validate = compileSchema('capctl-config.schema.json');
  if (validate(document.value)) return document.value;
  throw configError(file, describeSchemaErrors(validate.errors ?? [], { kind: 'capctl.yaml', source: document.source, positions: document.positions }));
}

function configError(file: string, diagnostics: Diagnostic[]): InputError {
  const problems = diagnostics.map((d) => ({ ...d, code: Codes.badConfig }));
  return new InputError(`${file}: ${problems.map((d) => d.message).join('; ')}`, problems);
}
