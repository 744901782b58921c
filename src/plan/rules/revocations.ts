// R9: a revocation ends the matching sessions created before its cutoff and nothing else. It must
// name an app the org lists and users the org has; a block or uninstall of the same app in the
// same plan covers it; and a revoked user can authorize again unless the app keeps them out.
import { Codes, type ObservedApp, type Declared, type Diagnostic, type RevocationDoc } from '../../model/index.js';
import { diagnostic, fieldAt } from '../diagnostic.js';
import { didYouMean } from '../names.js';
import type { PlanContext } from '../plan-context.js';
import { count, plural } from '../count.js';

/** The org's app a revocation names, and what is wrong with its references. */
export function checkRevocation(decl: Declared<RevocationDoc>, ctx: PlanContext): { app?: ObservedApp; diagnostics: Diagnostic[] } {
  const { doc } = decl;
  const org = ctx.observed.slug;
  const diagnostics: Diagnostic[] = [];
  const app = ctx.appsByName.get(doc.app);
  if (!app) {
    diagnostics.push(
      diagnostic(
        'error',
        Codes.revocationUnknownApp,
        `Revocation ${doc.id} names the app "${doc.app}", which ${org} does not list${didYouMean(doc.app, ctx.appsByName)}: ` +
          `name the app as the org lists it.`,
        fieldAt(decl, 'app'),
      ),
    );
  }
  if (doc.users !== 'all') {
    doc.users.forEach((user, i) => {
      if (ctx.usersByName.has(user)) return;
      diagnostics.push(
        diagnostic(
          'error',
          Codes.revocationUnknownUser,
          `Revocation ${doc.id} names the user "${user}", who is not a user of ${org}${didYouMean(user, ctx.usersByName)}: ` +
            `use the username exactly as the org has it, or users: all.`,
          fieldAt(decl, `users.${i}`),
        ),
      );
    });
  }
  return { app, diagnostics };
}

/** A revocation that a block or uninstall of the same app in this plan makes unnecessary. */
export function noteRevocationCovered(decl: Declared<RevocationDoc>, by: 'block' | 'uninstall'): Diagnostic {
  const { doc } = decl;
  const verb = by === 'block' ? 'blocks' : 'uninstalls';
  return diagnostic(
    'info',
    Codes.revocationCovered,
    `Revocation ${doc.id} needs no action of its own: this plan ${verb} "${doc.app}", which ends all of its sessions.`,
    decl.source,
  );
}

/** A revocation whose sessions an earlier revocation of this plan already ends. */
export function noteRevocationCoveredByRevocation(decl: Declared<RevocationDoc>, earlier: readonly string[]): Diagnostic {
  const { doc } = decl;
  return diagnostic(
    'info',
    Codes.revocationCovered,
    `Revocation ${doc.id} needs no action of its own: ${plural(earlier.length, 'revocation')} ${earlier.join(', ')} ` +
      `in this plan already ${plural(earlier.length, 'ends', 'end')} every session of "${doc.app}" it matches.`,
    decl.source,
  );
}

/**
 * R9: revoking ends sessions, it does not keep anyone out. A warning when revoked users may still
 * use the app once the plan is applied; a note when the plan also keeps them out.
 */
export function noteReauthorization(decl: Declared<RevocationDoc>, stillAllowed: number, accessAfter: string): Diagnostic {
  const { doc } = decl;
  if (stillAllowed > 0) {
    const who =
      doc.users === 'all'
        ? count(stillAllowed, 'user')
        : doc.users.length === 1
          ? 'the revoked user'
          : `${stillAllowed} of the ${doc.users.length} revoked users`;
    return diagnostic(
      'warning',
      Codes.revokedCanReauthorize,
      `Revocation ${doc.id} ends sessions but keeps no one out: ${who} may authorize "${doc.app}" again ` +
        `(${accessAfter}). To keep them out, block the app or narrow its permitted users.`,
      decl.source,
    );
  }
  const who = doc.users === 'all' ? 'no user' : doc.users.length === 1 ? 'the revoked user' : 'none of the revoked users';
  return diagnostic(
    'info',
    Codes.revokedCanReauthorize,
    `Revocation ${doc.id}: after this plan ${who} can authorize "${doc.app}" again (${accessAfter}); ` +
      `a later change that widens its access would let them back in.`,
    decl.source,
  );
}
