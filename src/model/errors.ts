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

// The closed family of errors that stop a command (STYLE: caught in one place, cli/program.ts).
// Each carries its exit code, a message for people and, where it comes from another error, that
// error as its `cause` (ES2022) rather than only its words pasted into the message.

/** Something that stops a command: carries the exit code and a message for people. */
export class CapctlError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly diagnostics: Diagnostic[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input (desired state, store, flags): exit 1, nothing written. */
export class InputError extends CapctlError {
  constructor(message: string, diagnostics: Diagnostic[] = [], options?: ErrorOptions) {
    super(message, ExitCode.error, diagnostics, options);
  }
}

/** A malformed or inconsistent org store: exit 1, naming the file and the problem. */
export class StoreError extends InputError {}

/** The command may not go ahead (permissions, stale or altered plan, held lock): exit 3. */
export class RefusedError extends CapctlError {
  constructor(message: string, diagnostics: Diagnostic[] = [], options?: ErrorOptions) {
    super(message, ExitCode.refused, diagnostics, options);
  }
}

/** The org's lock is held by someone else. */
export class LockHeldError extends RefusedError {}

/** The store is no longer where the plan was made (exit 3); `changes` says what changed since. */
export class StalePlanError extends RefusedError {
  constructor(readonly changes: string[]) {
    super(`the store changed since the plan was made: make a new plan.\n${changes.map((l) => `  - ${l}`).join('\n')}`);
  }
}

/** An action that cannot be carried out on the data given (a plan made for another state: a bug or a stale plan): exit 1. */
export class TransitionError extends CapctlError {
  constructor(message: string) {
    super(message, ExitCode.error);
  }
}

/** The person asked said no (anything but "yes" at the prompt): exit 1, nothing changed. */
export class AbortedError extends CapctlError {
  constructor(message: string) {
    super(message, ExitCode.error);
  }
}

/** The audit trail in git could not be read or written where a command needs it: exit 1. */
export class AuditError extends CapctlError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.error, [], options);
  }
}

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
    options?: ErrorOptions,
  ) {
    super(message, ExitCode.error, [], options);
  }
}
