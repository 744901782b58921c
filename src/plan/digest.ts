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
