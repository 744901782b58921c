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

/** The digest of a plan: sha256 over the canonical JSON of everything but `digest` and `api` (what making it cost, on a live org). */
export function planDigest(plan: Omit<Plan, 'digest'> | Plan): string {
  const { digest: _digest, api: _api, ...rest } = plan as Plan;
  return digestOf(rest);
}

/** Per value of an org's data (the org, its users, one app): its part of the state digest, computed once. */
const stateParts = new WeakMap<object, string>();

/** Every object key in `value`, sorted, but `skip` (not walked either). */
function keysOf(value: unknown, keys: Set<string>, skip?: string): void {
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object') keysOf(item, keys);
  } else if (value !== null && typeof value === 'object') {
    for (const key in value) {
      if (key === skip) continue;
      keys.add(key);
      const member = (value as Record<string, unknown>)[key];
      if (member !== null && typeof member === 'object') keysOf(member, keys);
    }
  }
}

/**
 * canonicalJson of `value` without the members named `skip` at its top, by JSON.stringify with
 * the sorted keys as its replacer (which orders every object's keys so): no sorted copy is built
 * of 100,000 users.
 */
function canonicalWithout(value: object, skip?: string): string {
  if (inSortedOrder(value, skip, true)) return JSON.stringify(skip === undefined || Array.isArray(value) ? value : without(value, skip));
  const keys = new Set<string>();
  keysOf(value, keys, skip);
  return JSON.stringify(value, [...keys].sort());
}

/**
 * Whether plain JSON.stringify already gives `value` the form canonicalWithout's replacer would
 * (the store's files are written with sorted keys, so its values usually are): every object a plain
 * one whose keys come in sorted order, none named `__proto__` (which the replacer would read
 * through to the prototype), and `skip` nowhere below the top (where the replacer would keep it).
 * One walk, without collecting the keys.
 */
function inSortedOrder(value: object, skip: string | undefined, top = false): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object' && !inSortedOrder(item, skip)) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  let previous: string | undefined;
  for (const key in value) {
    if (key === '__proto__') return false;
    if (key === skip) {
      if (top) continue;
      return false;
    }
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    const member = (value as Record<string, unknown>)[key];
    if (member !== null && typeof member === 'object' && !inSortedOrder(member, skip)) return false;
  }
  return true;
}

/** A shallow copy of `value` without its member `skip`, the other keys in their order. */
function without(value: object, skip: string): object {
  const out: Record<string, unknown> = {};
  for (const key in value) if (key !== skip) out[key] = (value as Record<string, unknown>)[key];
  return out;
}

function statePart(value: object, skip?: string): string {
  let digest = stateParts.get(value);
  if (digest === undefined) {
    digest = sha256(canonicalWithout(value, skip));
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
export function stateDigestOf(data: { org: object; users: readonly object[]; apps: readonly { id: string }[] }): string {
  const apps = data.apps.map((app) => `${app.id} ${statePart(app, 'sessions')}`).sort();
  return sha256(`${statePart(data.org)}\n${statePart(data.users)}\n${apps.join('\n')}`);
}
