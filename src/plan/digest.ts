// Canonical JSON and digests: the same value always gives the same bytes and the same digest.
import { createHash } from 'node:crypto';
import type { Plan } from '../model/index.js';

/** JSON with object keys sorted at every level and no white space; `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = sortKeys(member);
  }
  return out;
}

/** `sha256:<hex>` of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** `sha256:<hex>` of a value's canonical JSON. */
export function digestOf(value: unknown): string {
  return sha256(canonicalJson(value));
}

/** The digest of a plan: sha256 over the canonical JSON of everything but `digest`. */
export function planDigest(plan: Omit<Plan, 'digest'> | Plan): string {
  const { digest: _digest, ...rest } = plan as Plan;
  return digestOf(rest);
}

/** Per value of an org's data (the org, its users, one app): its part of the state digest, computed once. */
const stateParts = new WeakMap<object, string>();

function statePart(value: object, of: () => unknown): string {
  let digest = stateParts.get(value);
  if (digest === undefined) {
    digest = digestOf(of());
    stateParts.set(value, digest);
  }
  return digest;
}

/**
 * The digest of what a plan relies on in an org (SPEC §7): the org, its users and every app with
 * everything but its sessions, which come and go on a live org without making a plan stale. Over
 * the data's canonical form, whatever backend read it; each value is digested once (values are
 * never changed in place: transitions copy what they change).
 */
export function stateDigestOf(data: { org: object; users: readonly object[]; apps: readonly { id: string; sessions: unknown }[] }): string {
  const apps = data.apps.map((app) => `${app.id} ${statePart(app, () => ({ ...app, sessions: undefined }))}`).sort();
  return sha256(`${statePart(data.org, () => data.org)}\n${statePart(data.users, () => data.users)}\n${apps.join('\n')}`);
}
