// Whatever the text, parsing and validating report diagnostics with positions; they never throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocuments } from '../../src/load/parse-documents.js';
import { validateDocument } from '../../src/load/validate-document.js';

const sample = `apiVersion: capctl/v1
kind: ConnectedApp
org: acme-prod
name: Slack
installed: true
policies:
  permittedUsers: admin-approved
  permissionSets: [Slack Access, Slack Admins]
  refreshTokenPolicy: specific_lifetime:90:DAYS
---
apiVersion: capctl/v1
kind: Revocation
org: acme-prod
id: INC-2041
app: Slack
users: [jdoe@acme.example]
issuedBefore: 2026-11-20T00:00:00Z
reason: leaked
`;

const yamlish = fc.constantFrom(...' :-[]{},#&*!|>\'"\n\t?%@`abcXYZ019'.split(''), 'all', 'true', 'null', '---', 'kind', 'users', '&a', '*a', '~');

/** The sample with a few characters replaced, inserted or deleted. */
const mutated = fc
  .array(fc.tuple(fc.nat({ max: sample.length }), fc.nat({ max: 3 }), fc.string({ unit: yamlish, maxLength: 4 })), { minLength: 1, maxLength: 6 })
  .map((edits) => edits.reduce((text, [at, remove, insert]) => text.slice(0, at) + insert + text.slice(at + remove), sample));

describe('parseDocuments and validateDocument', () => {
  it('never throw, and every diagnostic has a line and a column', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ unit: yamlish, maxLength: 80 })), (text) => {
        const parsed = parseDocuments('f.yaml', text);
        const diagnostics = [...parsed.diagnostics, ...parsed.documents.flatMap((doc) => validateDocument(doc, { now: new Date('2026-11-29T00:00:00Z') }))];
        for (const d of diagnostics) {
          expect(d.file).toBe('f.yaml');
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.column).toBeGreaterThanOrEqual(1);
          expect(d.message).not.toMatch(/undefined|\[object Object\]/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
