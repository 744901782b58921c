import type { Diagnostic } from './generated/schema-types.js';

/** Process exit codes, for every command (SPEC §7). */
export const ExitCode = {
  ok: 0,
  error: 1,
  changes: 2,
  refused: 3,
  /** apply stopped before a manual step (SPEC §13). */
  manualStep: 4,
} as const;

/** Something that stops a command: carries the exit code and a message for people. */
export class CapctlError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input (desired state, store, flags): exit 1, nothing written. */
export class InputError extends CapctlError {
  constructor(message: string, diagnostics: Diagnostic[] = []) {
    super(message, ExitCode.error, diagnostics);
  }
}

/** A malformed or inconsistent org store: exit 1, naming the file and the problem. */
export class StoreError extends InputError {}

/** The command may not go ahead (permissions, stale or altered plan, held lock): exit 3. */
export class RefusedError extends CapctlError {
  constructor(message: string, diagnostics: Diagnostic[] = []) {
    super(message, ExitCode.refused, diagnostics);
  }
}

/** The org's lock is held by someone else. */
export class LockHeldError extends RefusedError {}

/** What went wrong talking to a Salesforce org (SPEC §13): each stops the command with exit 1. */
export type SalesforceFailure = 'limit' | 'session' | 'login' | 'malformed' | 'timeout' | 'setup' | 'api';

/**
 * A live org could not be read or logged in to: names the connection, never a token. The CLI
 * prints the message without a stack.
 */
export class SalesforceError extends CapctlError {
  constructor(
    message: string,
    readonly failure: SalesforceFailure,
    readonly connection: string,
  ) {
    super(message, ExitCode.error);
  }
}
