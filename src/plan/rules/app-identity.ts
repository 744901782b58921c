// R8 and identity checks: a declared app must be one the org lists, with the same id and kind.
import { Codes, type AppDoc, type ObservedApp, type Declared, type Diagnostic } from '../../model/index.js';
import { diagnostic, fieldAt } from '../diagnostic.js';
import { didYouMean } from '../names.js';
import type { PlanContext } from '../plan-context.js';

/** The org's app a declaration names, and what is wrong with the match. */
export function matchDeclaredApp(decl: Declared<AppDoc>, ctx: PlanContext): { app?: ObservedApp; diagnostics: Diagnostic[] } {
  const { doc } = decl;
  const org = ctx.observed.slug;
  const app = ctx.appsByName.get(doc.name);
  if (!app) {
    const byId = doc.id ? ctx.observed.apps.find((a) => idMatches(doc.id!, a.id)) : undefined;
    const hint = byId ? ` (${org} lists id ${byId.id} as "${byId.name}": use that name)` : didYouMean(doc.name, ctx.appsByName);
    return {
      diagnostics: [
        diagnostic(
          'error',
          Codes.appNotInOrg,
          `${doc.kind} "${doc.name}" is declared, but ${org} does not list an app by that name${hint}. capctl never creates apps: ` +
            `new connected apps can no longer be created (Spring '26), and an external client app must be created in the org first; ` +
            `then declare it by the name the org lists.`,
          fieldAt(decl, 'name'),
        ),
      ],
    };
  }
  const diagnostics: Diagnostic[] = [];
  if (doc.id !== undefined && !idMatches(doc.id, app.id)) {
    diagnostics.push(
      diagnostic(
        'error',
        Codes.appIdMismatch,
        `"${doc.name}" is declared with id ${doc.id}, but ${org} lists it with id ${app.id}: correct the id (or leave it out; it is optional).`,
        fieldAt(decl, 'id'),
      ),
    );
  }
  if (doc.kind !== app.type) {
    diagnostics.push(
      diagnostic(
        'error',
        Codes.appKindMismatch,
        `"${doc.name}" is declared as kind ${doc.kind}, but ${org} lists it as ${article(app.type)} ${app.type}: set kind: ${app.type}.`,
        fieldAt(decl, 'kind'),
      ),
    );
  }
  return { app, diagnostics };
}

/** A 15-character id is the case-sensitive prefix of the 18-character one. */
function idMatches(declared: string, actual: string): boolean {
  return declared.length === 15 ? actual.startsWith(declared) : declared === actual;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}
