// Cross-file checks: an app, an org's settings or a revocation id declared twice (SPEC §10).
import { Codes, type Code, type Diagnostic, type SourcePos } from '../model/index.js';

/** What identifies a document across files: its kind, org and name or id, and where those are. */
export interface DocumentIdentity {
  kind: string;
  org: string;
  /** App name (apps) or revocation id (revocations); absent for OrgSettings. */
  name?: string;
  /** App id, when an app declares one. */
  appId?: string;
  /** Where the document is, and where its name and id are. */
  source: SourcePos;
  namePos?: SourcePos;
  appIdPos?: SourcePos;
}

/**
 * An error at every later declaration of something already declared, naming the first place.
 * Returns the indexes (into `identities`) of the later declarations, which the model leaves out.
 */
export function checkDuplicates(identities: readonly DocumentIdentity[]): { diagnostics: Diagnostic[]; repeated: Set<number> } {
  const diagnostics: Diagnostic[] = [];
  const repeated = new Set<number>();
  const first = new Map<string, DocumentIdentity>();
  const report = (index: number, code: Code, message: string, at: SourcePos, other: SourcePos): void => {
    repeated.add(index);
    diagnostics.push({ severity: 'error', code, message: `${message}: also declared at ${place(other)}`, ...at });
  };
  identities.forEach((identity, index) => {
    const { kind, org } = identity;
    if (kind === 'OrgSettings') {
      const earlier = remember(first, `settings\0${org}`, identity);
      if (earlier) report(index, Codes.duplicateOrgSettings, `OrgSettings for org ${org} declared twice (at most one per org)`, identity.source, earlier.source);
    } else if (kind === 'Revocation' && identity.name !== undefined) {
      const earlier = remember(first, `revocation\0${org}\0${identity.name}`, identity);
      if (earlier) {
        report(index, Codes.duplicateRevocation, `revocation id "${identity.name}" of org ${org} declared twice`, identity.namePos ?? identity.source, earlier.namePos ?? earlier.source);
      }
    } else if (kind === 'ConnectedApp' || kind === 'ExternalClientApp') {
      const byName = identity.name === undefined ? undefined : remember(first, `app\0${org}\0${identity.name}`, identity);
      const byId = identity.appId === undefined ? undefined : remember(first, `app-id\0${org}\0${identity.appId}`, identity);
      if (byName) {
        report(index, Codes.duplicateApp, `app "${identity.name}" of org ${org} declared twice`, identity.namePos ?? identity.source, byName.namePos ?? byName.source);
      } else if (byId) {
        report(
          index,
          Codes.duplicateApp,
          `app id ${identity.appId} of org ${org} declared twice (as "${byId.name ?? '?'}" and "${identity.name ?? '?'}")`,
          identity.appIdPos ?? identity.source,
          byId.appIdPos ?? byId.source,
        );
      }
    }
  });
  return { diagnostics, repeated };
}

/** The identity first seen under `key`, or undefined (and `identity` remembered) when it is new. */
function remember(first: Map<string, DocumentIdentity>, key: string, identity: DocumentIdentity): DocumentIdentity | undefined {
  const earlier = first.get(key);
  if (!earlier) first.set(key, identity);
  return earlier;
}

function place(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}
