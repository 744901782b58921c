// What a declared app should become: declared fields over the observed ones (a field left out
// is not managed), with install defaults under the policies of an app the plan installs.
import type { AppDoc, ObservedApp, Declared, ObservedPolicies } from '../model/index.js';
import { installDefaults } from './transition.js';

/** A declared app matched to the org's app, and the state the plan aims for. */
export interface AppTarget {
  decl: Declared<AppDoc>;
  /** The app as the org has it now. */
  app: ObservedApp;
  installed: boolean;
  blocked: boolean;
  /** The policies the app ends with, when it ends installed. */
  policies?: ObservedPolicies;
}

/** The target state of a declared app. */
export function appTarget(decl: Declared<AppDoc>, app: ObservedApp): AppTarget {
  const doc = decl.doc;
  const installed = doc.installed ?? app.installed;
  const target: AppTarget = { decl, app, installed, blocked: doc.blocked ?? app.blocked };
  if (installed) {
    const base = app.installed && app.policies ? app.policies : installDefaults();
    const declared = doc.policies ?? {};
    target.policies = {
      permittedUsers: declared.permittedUsers ?? base.permittedUsers,
      profiles: [...(declared.profiles ?? base.profiles)],
      permissionSets: [...(declared.permissionSets ?? base.permissionSets)],
      ipRelaxation: declared.ipRelaxation ?? base.ipRelaxation,
      refreshTokenPolicy: declared.refreshTokenPolicy ?? base.refreshTokenPolicy,
    };
  }
  return target;
}
