// Naming what drifted in one store file, field by field.
import { describe, expect, it } from 'vitest';
import { diffStoreFile } from '../../src/audit/detect-drift.js';
import { partOfFile } from '../../src/store/file-layout.js';

const app = { id: '0H4Hp000000TN2xKAG', name: 'Dropbox', type: 'ConnectedApp', installed: true, blocked: false, sessions: [{ user: 'a' }, { user: 'b' }], policies: { permittedUsers: 'all-users', profiles: [] } };

describe('diffStoreFile', () => {
  it('names the app and each changed field; sessions by count', () => {
    const after = { ...app, blocked: true, sessions: [], policies: { permittedUsers: 'admin-approved', profiles: ['Sales User'] } };
    expect(diffStoreFile('apps/0H4Hp000000TN2xKAG.json', app, after, partOfFile('apps/0H4Hp000000TN2xKAG.json'))).toEqual([
      { file: 'apps/0H4Hp000000TN2xKAG.json', app: { name: 'Dropbox', id: app.id }, field: 'blocked', before: 'false', after: 'true' },
      { file: 'apps/0H4Hp000000TN2xKAG.json', app: { name: 'Dropbox', id: app.id }, field: 'policies.permittedUsers', before: 'all-users', after: 'admin-approved' },
      { file: 'apps/0H4Hp000000TN2xKAG.json', app: { name: 'Dropbox', id: app.id }, field: 'policies.profiles', before: '[]', after: '[Sales User]' },
      { file: 'apps/0H4Hp000000TN2xKAG.json', app: { name: 'Dropbox', id: app.id }, field: 'sessions', before: '2 sessions', after: '0 sessions' },
    ]);
  });

  it('names users by username', () => {
    const before = [{ username: 'a', active: true }, { username: 'b', active: true }];
    const after = [{ username: 'a', active: false }, { username: 'c', active: true }];
    expect(diffStoreFile('users.json', before, after, { kind: 'users' }).map((c) => `${c.field}: ${c.before} → ${c.after}`)).toEqual([
      'a.active: true → false',
      'b: user → (no such user)',
      'c: (no such user) → user',
    ]);
  });

  it('says when a file appeared or went', () => {
    expect(diffStoreFile('apps/X.json', undefined, app, { kind: 'app', appId: 'X' })).toEqual([{ file: 'apps/X.json', app: { name: 'Dropbox', id: app.id }, field: '(file)', before: '(absent)', after: 'present' }]);
  });
});
