import type { AppDoc, OrgSettingsDoc, RevocationDoc, RiskExceptionDoc } from './generated/schema-types.js';

/** A place in a desired-state file: 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/**
 * One validated desired-state document and where it came from. `positions` maps a dotted field
 * path (`policies.profiles.1`, `blocked`) to the position of its value; the key of a field is at
 * `<path>#key`; the document itself is `source`.
 */
export interface Declared<T> {
  doc: T;
  source: SourcePos;
  positions: Record<string, SourcePos>;
}

/** Everything one org's desired state declares. */
export interface DesiredOrg {
  slug: string;
  settings?: Declared<OrgSettingsDoc>;
  apps: Declared<AppDoc>[];
  revocations: Declared<RevocationDoc>[];
  /** Reviewed exceptions to risk rules (SPEC §14); absent when none is declared. */
  exceptions?: Declared<RiskExceptionDoc>[];
}

/** The whole desired state of a folder: each org's declarations, and a digest of the files read. */
export interface DesiredState {
  /** The folder the files were read from, as given; positions name a file as this folder joined with its relative path. */
  root: string;
  orgs: Record<string, DesiredOrg>;
  /** sha256 over the relative path and bytes of every file read, in path order. */
  digest: string;
  /** Files read, relative to root, sorted. */
  files: string[];
}
