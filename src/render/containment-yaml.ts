// The desired-state side of `capctl contain` (SPEC §14), as text: `blocked: true` set in the
// document that declares an app, changing only those bytes (the yaml Document API finds the node;
// every comment and every other byte of the file stays as it was), a new declaration for an app no
// file declares, and the Revocation that records the containment. Pure.
import { isMap, isScalar, parseAllDocuments, type Pair } from 'yaml';
import type { ObservedApp, RevocationDoc } from '../model/index.js';
import { renderYamlDocument } from './desired-yaml.js';

export { containmentIdPrefix } from '../plan/risk/rule.js';

/**
 * `text` with `blocked: true` in the document declaring `name` (replacing the value of its
 * `blocked`, or adding the line after its `name`); undefined when no document of the text declares it.
 */
export function setBlockedInYaml(text: string, name: string): string | undefined {
  for (const doc of parseAllDocuments(text)) {
    const map = doc.contents;
    if (!isMap(map)) continue;
    const value = (key: string) => (map.items as Pair[]).find((p) => isScalar(p.key) && p.key.value === key);
    const namePair = value('name');
    const kind = value('kind');
    if (!namePair || !isScalar(namePair.value) || namePair.value.value !== name) continue;
    if (!kind || !isScalar(kind.value) || (kind.value.value !== 'ConnectedApp' && kind.value.value !== 'ExternalClientApp')) continue;
    const blocked = value('blocked');
    if (blocked && isScalar(blocked.value) && blocked.value.range) {
      const [start, end] = blocked.value.range;
      return `${text.slice(0, start)}true${text.slice(end)}`;
    }
    const key = namePair.key as { range?: [number, number, number] };
    const valueRange = namePair.value.range;
    if (!key.range || !valueRange) return undefined;
    const lineStart = text.lastIndexOf('\n', key.range[0] - 1) + 1;
    const indent = text.slice(lineStart, key.range[0]);
    const eol = text.indexOf('\n', valueRange[1]);
    const at = eol < 0 ? text.length : eol + 1;
    const newline = eol < 0 ? '\n' : '';
    return `${text.slice(0, at)}${newline}${indent}blocked: true\n${text.slice(at)}`;
  }
  return undefined;
}

/** The declaration of an app no file declares, blocked, with a comment saying why it was written. */
export function containedAppYaml(org: string, app: Pick<ObservedApp, 'name' | 'id' | 'type'>, note: string): string {
  return renderYamlDocument({ apiVersion: 'capctl/v1', kind: app.type, org, name: app.name, id: app.id, blocked: true }, note);
}

/** The Revocation that records a containment: all users' sessions created before now. */
export function containmentRevocation(org: string, id: string, app: string, issuedBefore: string, reason: string): RevocationDoc {
  return { apiVersion: 'capctl/v1', kind: 'Revocation', org, id, app, users: 'all', issuedBefore, reason: `Containment: ${reason}` };
}

/** The Revocation as a file, with a header saying what to do before letting the app back in. */
export function containmentRevocationYaml(doc: RevocationDoc, actor: string): string {
  return renderYamlDocument(
    { apiVersion: doc.apiVersion, kind: doc.kind, org: doc.org, id: doc.id, app: doc.app, users: doc.users, issuedBefore: doc.issuedBefore, reason: doc.reason },
    `Written by capctl contain (actor ${actor}) in the same commit as the apply that blocked "${doc.app}".\n` +
      'Keep it as the record of the containment; unblocking the app later warns the reviewer (risk rule CAPR008).',
  );
}
