// The apply commit message: short subject, one body line per action, parseable trailers.
import { describe, expect, it } from 'vitest';
import { renderApplyCommitMessage, renderApplySubject } from '../../src/render/apply-commit-message.js';
import { action, fakeDigest, ledgerOf, result } from '../helpers/actions.js';

const plan = fakeDigest('c');
const inc = (id: string) => ({ revocation: { id, users: 'all' as const, issuedBefore: '2026-11-20T00:00:00Z', reason: 'r' } });

describe('apply commit message', () => {
  const lines = ledgerOf(plan, [
    [action(1, 'install', 'Slack'), result('installed')],
    [action(2, 'revoke', 'Slack', inc('INC-2041')), result('revoked', 12, 8)],
    [action(3, 'block', 'Dropbox'), result('blocked', 25, 18)],
  ]);

  it('names the apps and the revocations in the subject', () => {
    expect(renderApplySubject('acme-prod', lines)).toBe('capctl apply acme-prod: install Slack, revoke 12 sessions (INC-2041), block Dropbox');
  });

  it('summarises when many apps change', () => {
    const many = ledgerOf(
      plan,
      Array.from({ length: 40 }, (_, i) => [action(i + 1, 'block', `Some Quite Long App Name ${i}`), result('blocked', 1, 1)] as const).map(([a, r]) => [a, r]),
    );
    const subject = renderApplySubject('acme-prod', many);
    expect(subject).toBe('capctl apply acme-prod: block 40 apps');
  });

  it('lists every action in the past tense, then the trailers', () => {
    const message = renderApplyCommitMessage({ org: 'acme-prod', actor: 'ci-bot@acme.example', planDigest: plan, desiredCommit: null, lines, revisionBefore: 7, revisionAfter: 8 });
    expect(message).toContain('1. installed Slack');
    expect(message).toContain('2. revoked 12 sessions of 8 users of Slack (INC-2041)');
    expect(message).toContain('3. blocked Dropbox: ended 25 sessions of 18 users');
    expect(message).toContain('store revision 7 → 8');
    const trailerBlock = message.trimEnd().split('\n\n').at(-1)!;
    expect(trailerBlock.split('\n')).toEqual([
      'Capctl-Org: acme-prod',
      'Capctl-Actor: ci-bot@acme.example',
      `Capctl-Plan: ${plan}`,
      'Capctl-Desired-Commit: none',
      'Capctl-Revocation: INC-2041',
      'Capctl-Ledger-Seq: 1-3',
      `Capctl-Ledger-Head: ${lines[2]!.hash}`,
    ]);
  });
});

describe('revocations carried out in passing (R9)', () => {
  it('get a Capctl-Revocation trailer from the block that covered them, once each, in plan order', () => {
    const lines = ledgerOf(plan, [
      [action(1, 'revoke', 'Slack', { ...inc('INC-2041'), covers: ['INC-2042'] }), result('revoked', 3, 2)],
      [action(2, 'block', 'Dropbox', { covers: ['INC-2060', 'INC-2041'] }), result('blocked', 25, 18)],
    ]);
    const message = renderApplyCommitMessage({ org: 'acme-prod', actor: 'ci-bot@acme.example', planDigest: plan, desiredCommit: null, lines });
    expect(message.split('\n').filter((l) => l.startsWith('Capctl-Revocation:'))).toEqual([
      'Capctl-Revocation: INC-2041',
      'Capctl-Revocation: INC-2042',
      'Capctl-Revocation: INC-2060',
    ]);
  });
});
