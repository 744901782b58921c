// The action-kind registry against the schema it serves, reasons as data against their words, and
// ledger lines of either plan format against the store's schema.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Action, Reason } from '../../src/model/index.js';
import { actionKinds, allActionKinds } from '../../src/plan/action-kinds.js';
import { renderReason } from '../../src/render/reason-text.js';
import { checkAgainstSchema } from '../../src/store/schema-validators.js';
import { action, ledgerOf, result } from '../helpers/actions.js';
import { repoRoot } from '../helpers/cli.js';

const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas/plan.schema.json'), 'utf8')) as {
  $defs: Record<string, { enum?: string[]; required?: string[]; oneOf?: { $ref: string }[]; properties?: Record<string, { enum?: string[]; const?: string }> }>;
};

/** Every reason code the schema allows. */
function schemaReasonCodes(): string[] {
  return schema.$defs.Reason!.oneOf!.flatMap(({ $ref }) => {
    const code = schema.$defs[$ref.replace('#/$defs/', '')]!.properties!.code!;
    return code.enum ?? [code.const!];
  });
}

/** A reason of each code, with params a plan could hold. */
const samples: Reason[] = [
  { code: 'allowlisting-on', params: {} },
  { code: 'allowlisting-off', params: {} },
  { code: 'oauth-flows-differ', params: { fields: ['blockUserAgent'] } },
  { code: 'declared-installed', params: { deniedAttempts: 1, packaged: false } },
  { code: 'declared-unblocked', params: {} },
  { code: 'declared-blocked', params: {} },
  { code: 'declared-uninstalled', params: {} },
  { code: 'unmanaged-block', params: {} },
  { code: 'revocation', params: {} },
  { code: 'policies-differ', params: { from: 'install', fields: ['ipRelaxation'] } },
  { code: 'assignments-differ', params: { from: 'org', changes: [{ field: 'profiles', added: ['Sales User'], removed: [] }] } },
];

describe('the action-kind registry', () => {
  it('has one row per kind of the schema, in the enum order that the summary keys follow', () => {
    expect(allActionKinds).toEqual(schema.$defs.ActionKind!.enum);
    expect(schema.$defs.Summary!.required).toEqual([...allActionKinds, 'sessionsEnded']);
  });

  it('gives every app kind a transition on one app, and org settings one on the org', () => {
    for (const kind of allActionKinds) expect(actionKinds[kind].transition.scope, kind).toBe(kind === 'set-org-settings' ? 'org' : 'app');
  });
});

describe('reasons as data', () => {
  it('renders every code the schema allows, and each sample is valid against the schema', () => {
    expect(samples.map((r) => r.code).sort()).toEqual(schemaReasonCodes().sort());
    const revocation = { id: 'INC-1', users: 'all' as const, issuedBefore: '2026-11-20T00:00:00Z', reason: 'leak' };
    const texts = samples.map((reason) =>
      renderReason(action(1, 'install', 'Slack', { reason, revocation, before: { ipRelaxation: 'ENFORCE', oauthFlows: { blockUserAgent: false } }, after: { ipRelaxation: 'BYPASS', oauthFlows: { blockUserAgent: true } } }), 'acme-prod'),
    );
    expect(new Set(texts).size).toBe(samples.length);
    expect(texts[2]).toBe('OrgSettings declares OAuth flow settings that differ from acme-prod: blockUserAgent false → true.');
    expect(texts[3]).toContain('(it denied 1 attempt to use it)');
    expect(texts[8]).toBe('Revocation INC-1 ("leak") ends the sessions of all users on "Slack" created before 2026-11-20T00:00:00Z.');
    expect(texts[9]).toBe('"Slack" declares policies that differ from what installing gives: ipRelaxation ENFORCE → BYPASS.');
    expect(texts[10]).toBe('"Slack" declares the profiles and permission sets to pre-authorize, which differ from what acme-prod has: profiles: adds Sales User.');
    const lines = ledgerOf(`sha256:${'a'.repeat(64)}`, samples.map((reason, i) => [action(i + 1, 'install', 'Slack', { reason }), result('installed')]));
    for (const line of lines) expect(checkAgainstSchema('LedgerLine', line), JSON.stringify(line.action.reason)).toEqual([]);
  });

  it('a reason with a code the schema does not know is not a valid action', () => {
    const bad = action(1, 'install', 'Slack', { reason: { code: 'because', params: {} } as unknown as Reason });
    expect(checkAgainstSchema('LedgerLine', ledgerOf(`sha256:${'a'.repeat(64)}`, [[bad, result('installed')]])[0]).length).toBeGreaterThan(0);
  });

  it('ledger lines of either plan format are valid: format 1 recorded reasons as words', () => {
    const plan = `sha256:${'a'.repeat(64)}`;
    const words: Action = action(1, 'block', 'Dropbox', { reason: '"Dropbox" is declared blocked: true.' });
    const data: Action = action(2, 'block', 'Box', { reason: { code: 'declared-blocked', params: {} } });
    const lines = ledgerOf(plan, [
      [words, result('blocked')],
      [data, result('blocked')],
    ]);
    for (const line of lines) expect(checkAgainstSchema('LedgerLine', line)).toEqual([]);
    expect(renderReason(words, 'acme-prod')).toBe('"Dropbox" is declared blocked: true.');
  });
});
