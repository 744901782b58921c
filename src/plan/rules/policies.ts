// R5 and R7: policies only for installed apps; profiles and permission sets only with
// admin-approved permitted users, and only names the org has.
import { Codes, type Diagnostic } from '../../model/index.js';
import { diagnostic, fieldAt, keyAt } from '../diagnostic.js';
import { didYouMean } from '../names.js';
import { allUsersDeclared, assignmentsNeedAdminApprovedMessage } from './assignments-need-admin-approved.js';
import type { PlanContext } from '../plan-context.js';
import type { AppTarget } from '../targets.js';

/** Problems with an app's declared policies. */
export function checkPolicies(target: AppTarget, ctx: PlanContext): Diagnostic[] {
  const { decl, app } = target;
  const { doc } = decl;
  const declared = doc.policies;
  if (!declared) return [];
  const diagnostics: Diagnostic[] = [];
  const org = ctx.observed.slug;

  if (!target.installed) {
    const why =
      doc.installed === false
        ? 'it is declared installed: false'
        : `${org} has not installed it and the declaration does not install it`;
    diagnostics.push(
      diagnostic(
        'error',
        Codes.policiesOnUninstalledApp,
        `"${doc.name}" declares policies, but ${why}: only an installed app has policies the org controls. ` +
          `Declare installed: true to install it with these policies, or remove policies.`,
        keyAt(decl, 'policies'),
      ),
    );
  }

  const permittedUsers = target.policies?.permittedUsers ?? declared.permittedUsers ?? 'all-users';
  for (const field of ['profiles', 'permissionSets'] as const) {
    const names = declared[field];
    if (!names) continue;
    if (names.length > 0 && permittedUsers === 'all-users') {
      // Declared in the same document, the loader reports it first (validate needs no org for it).
      const source =
        declared.permittedUsers === 'all-users'
          ? allUsersDeclared
          : `permittedUsers is all-users in ${org}${target.installed && !app.installed ? ' once installed' : ''} and is not declared`;
      diagnostics.push(
        diagnostic('error', Codes.assignmentsNeedAdminApproved, assignmentsNeedAdminApprovedMessage(doc.name, field, source), keyAt(decl, `policies.${field}`)),
      );
    }
    const known = field === 'profiles' ? ctx.profiles : ctx.permissionSets;
    const label = field === 'profiles' ? 'profile' : 'permission set';
    names.forEach((name, i) => {
      if (known.has(name)) return;
      diagnostics.push(
        diagnostic(
          'error',
          field === 'profiles' ? Codes.unknownProfile : Codes.unknownPermissionSet,
          `"${doc.name}" assigns the ${label} "${name}", which ${org} does not have${didYouMean(name, known)}: ` +
            `use the name of an existing ${label}, or create it in the org first.`,
          fieldAt(decl, `policies.${field}.${i}`),
        ),
      );
    });
  }
  return diagnostics;
}
