// R7's words, in one place: profiles and permission sets only pre-authorize users of an app whose
// permittedUsers is admin-approved. The loader reports it when one document declares both
// (validate needs no org for that); the planner when the org's own permittedUsers is all-users.

/** The message of CAP306 for `field` of app `name`; `why` says where all-users comes from. */
export function assignmentsNeedAdminApprovedMessage(name: string, field: 'profiles' | 'permissionSets', why: string): string {
  return (
    `"${name}" declares ${field}, but ${why}: ${field === 'profiles' ? 'profiles' : 'permission sets'} only pre-authorize users ` +
    `of an app whose permittedUsers is admin-approved. Set policies.permittedUsers: admin-approved, or remove ${field}.`
  );
}

/** `why` when the document itself declares `permittedUsers: all-users`. */
export const allUsersDeclared = 'permittedUsers: all-users is declared';
