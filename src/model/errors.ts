import type { Diagnostic } from './generated/schema-types.js';

/** Process exit codes, for every command (SPEC §7). */
export const ExitCode = {
  ok: 0,
  error: 1,
  changes: 2,
  refused: 3,
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
