import type { AppDoc, OrgSettingsDoc, RevocationDoc } from './generated/schema-types.js';
import type { DesiredOrg } from './desired.js';

/**
 * The plain documents of one org's desired state, without source positions: what `import` builds
 * and `export` writes out. A loaded DesiredOrg turns into this with `declarationsOf`.
 */
export interface Declarations {
  org: string;
  settings?: OrgSettingsDoc;
  apps: AppDoc[];
  revocations: RevocationDoc[];
}

/** The plain documents of a loaded org (source positions dropped). */
export function declarationsOf(org: DesiredOrg): Declarations {
  return {
    org: org.slug,
    ...(org.settings ? { settings: org.settings.doc } : {}),
    apps: org.apps.map((app) => app.doc),
    revocations: org.revocations.map((revocation) => revocation.doc),
  };
}
