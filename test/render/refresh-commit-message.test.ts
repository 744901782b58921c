// The refresh commit's subject names what changed outside capctl, compactly and deterministically.
import { describe, expect, it } from 'vitest';
import type { ObservedChanges } from '../../src/model/index.js';
import { observedPhrases, renderRefreshSubject } from '../../src/render/refresh-commit-message.js';
// The file store's names of the state's parts (org.json, users.json, apps/<id>.json).
import { partOfFile } from '../../src/store/file-layout.js';

const asana = { name: 'Asana', id: '0H4AsanaAAAAAAAAAA' };
const app = (i: number) => ({ name: `Vendor App Number ${i}`, id: `0H4App${String(i).padStart(12, '0')}` });

function observed(partial: Partial<ObservedChanges>): ObservedChanges {
  return { named: true, changes: [], sessions: [], ...partial };
}

describe('renderRefreshSubject', () => {
  it('names each app change and counts sessions: "Asana blocked, 3 sessions ended"', () => {
    const subject = renderRefreshSubject(
      'acme-prod',
      observed({
        changes: [{ file: `apps/${asana.id}.json`, app: asana, field: 'blocked', before: 'false', after: 'true' }],
        sessions: [{ app: asana, ended: 3, started: 0, used: 0 }],
      }),
      partOfFile,
    );
    expect(subject).toBe('capctl refresh acme-prod: Asana blocked, 3 sessions ended');
  });

  it('says what else changed: unblocked, installed, policies, org settings, users', () => {
    const phrases = observedPhrases(
      observed({
        changes: [
          { file: 'apps/a.json', app: asana, field: 'blocked', before: 'true', after: 'false' },
          { file: 'apps/b.json', app: app(2), field: '(file)', before: '(absent)', after: 'present' },
          { file: 'apps/c.json', app: app(3), field: 'installed', before: 'true', after: 'false' },
          { file: 'apps/a.json', app: asana, field: 'policies.permittedUsers', before: 'all-users', after: 'admin-approved' },
          { file: 'org.json', field: 'settings.adminApprovedAppsOnly', before: 'false', after: 'true' },
          { file: 'users.json', field: 'dana.active', before: 'true', after: 'false' },
        ],
        sessions: [{ app: asana, ended: 0, started: 1, used: 2 }],
      }),
      partOfFile,
    );
    expect(phrases).toEqual([
      'Asana unblocked',
      'Asana policies changed',
      'Vendor App Number 2 added',
      'Vendor App Number 3 uninstalled',
      'org settings changed',
      '1 user changed',
      '1 session started',
      '2 sessions used',
    ]);
  });

  it('counts instead of naming when the names do not fit in 100 characters', () => {
    const changes = [1, 2, 3, 4].map((i) => ({ file: `apps/${app(i).id}.json`, app: app(i), field: 'blocked', before: 'false', after: 'true' }));
    const subject = renderRefreshSubject('acme-prod', observed({ changes, sessions: [{ app: app(1), ended: 12, started: 0, used: 0 }] }), partOfFile);
    expect(subject).toBe('capctl refresh acme-prod: changes to 4 apps, 12 sessions ended');
    const three = renderRefreshSubject('acme-prod', observed({ changes: changes.slice(0, 2) }), partOfFile);
    expect(three).toBe('capctl refresh acme-prod: Vendor App Number 1 blocked, Vendor App Number 2 blocked');
    const more = [...changes, { file: 'users.json', field: 'dana.active', before: 'true', after: 'false' }, { file: 'org.json', field: 'settings.x', before: 'a', after: 'b' }];
    expect(renderRefreshSubject('acme-prod', observed({ changes: more }), partOfFile)).toBe('capctl refresh acme-prod: changes to 4 apps, org, users');
  });

  it('says the changes are not named when there was no earlier state to compare with, and keeps a name on one line', () => {
    expect(renderRefreshSubject('acme-prod', observed({ named: false }), partOfFile)).toBe('capctl refresh acme-prod: store changed (not named: no earlier state to compare with)');
    const odd = { name: 'Evil\nApp', id: '0H4EvilAAAAAAAAAAA' };
    const subject = renderRefreshSubject('acme-prod', observed({ changes: [{ file: 'apps/e.json', app: odd, field: 'blocked', before: 'false', after: 'true' }] }), partOfFile);
    expect(subject).toBe('capctl refresh acme-prod: Evil\\u000aApp blocked');
  });
});
