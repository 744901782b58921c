// The audit trail in git: the trailers of an apply commit, and what `history`, `verify` and
// `drift` report. The trailer keys are written by the apply and read back by every audit command.
import type { ActionKind, ActionResult, ObservedChanges } from './generated/schema-types.js';

/** The trailer keys of an apply commit (`git interpret-trailers --parse` reads them). */
export const Trailers = {
  org: 'Capctl-Org',
  actor: 'Capctl-Actor',
  plan: 'Capctl-Plan',
  desiredCommit: 'Capctl-Desired-Commit',
  revocation: 'Capctl-Revocation',
  /** One per app `capctl contain` blocked: `<revocation id> <app> (<id>): <reason>`. */
  contain: 'Capctl-Contain',
  /** The ledger lines the commit records: `first-last` seq. */
  ledgerSeq: 'Capctl-Ledger-Seq',
  /** The hash of the last ledger line the commit records: pins the ledger as of the commit. */
  ledgerHead: 'Capctl-Ledger-Head',
  /** A refresh commit: the hash of the observed ledger line it records. */
  refresh: 'Capctl-Refresh',
} as const;

/**
 * One action of an apply, as the trail shows it: from its ledger line, or (when the ledger no longer
 * has it) from the line of the commit body, which gives only the text and the counts.
 */
export interface TrailAction {
  /** The ledger line's seq. */
  seq: number;
  kind?: ActionKind;
  app?: { name: string; id: string };
  revocation?: string;
  status?: ActionResult['status'];
  sessionsEnded: number;
  usersAffected: number;
  /** The action in the past tense. */
  text: string;
}

/** One entry of `capctl history`: an apply, a refresh (changes made outside capctl, recorded), or a change of the desired state's files. */
export interface HistoryEntry {
  type: 'apply' | 'refresh' | 'desired-change';
  commit: string;
  /** Author time, ISO 8601. */
  date: string;
  author: string;
  subject: string;
  org?: string;
  actor?: string;
  plan?: string;
  desiredCommit?: string;
  revocations: string[];
  /** Apply by `capctl contain`: its Capctl-Contain trailers (revocation id, app, reason). */
  contained?: string[];
  /** Apply: its actions (from the ledger lines of its plan, else from the commit body). */
  actions: TrailAction[];
  sessionsEnded: number;
  /** Desired-state change: the files it changed, relative to the desired folder. */
  files: string[];
  /** Refresh: what changed outside capctl (from its observed ledger line, else from the commit body), one line per change. */
  observed?: string[];
}

/** The first thing `verify` found broken, or nothing. */
export interface VerifyReport {
  org: string;
  ledgerLines: number;
  applyCommits: number;
  /** Refresh commits checked (each against its observed ledger line). */
  refreshCommits: number;
  ok: boolean;
  /** What broke first: a ledger line or an apply commit. */
  failure?: { kind: 'ledger-line'; line: number; seq: number; reason: string } | { kind: 'commit'; commit: string; subject: string; reason: string };
  /** Remarks that are not failures (no git repository, applies recorded without a commit). */
  notes: string[];
}

/**
 * A part of an org's observed state, said neutrally: the org's own record, its users, or one app
 * (by id). A state folder (store/org-store.ts StateFolder) names the entry that holds each part.
 */
export type StatePart = { kind: 'org' } | { kind: 'users' } | { kind: 'app'; appId: string };

/** Which part of the state an entry of a state folder holds (a StateFolder's `describe`); undefined for an entry that is none. */
export type DescribeEntry = (entry: string) => StatePart | undefined;

/** One difference between the store now and the store as the last apply left it. */
export interface DriftChange {
  /** Store file, relative to the org folder. */
  file: string;
  /** The app it concerns, for apps/<id>.json. */
  app?: { name: string; id: string };
  /** Dotted field path (`blocked`, `policies.permittedUsers`, `settings.oauthFlows.blockUserAgent`). */
  field: string;
  before: string;
  after: string;
}

/** What `drift` found. */
export interface DriftReport {
  org: string;
  drifted: boolean;
  /** The store digest the last apply left, and the store's digest now. */
  expectedDigest?: string;
  actualDigest: string;
  /** The last ledger line (seq; `kind: refresh` for an observed line) and the commit the comparison was made against. */
  lastApply?: { seq: number; at: string; actor: string; plan?: string; kind?: 'refresh'; commit?: string };
  changes: DriftChange[];
  notes: string[];
}

/** What changed outside capctl since the ledger's last line: what an observed ledger line records. */
export interface Observation {
  observed: ObservedChanges;
  /** The parts of the state that changed, when known: a refresh commit holds the entries that hold them. */
  parts?: StatePart[];
  /** Remarks for the user (why the changes could not be named). */
  notes: string[];
}
