// The closed family of errors that stop a command: every member is a CapctlError with its exit
// code (the CLI catches them in one place), and a wrapped error travels as `cause`.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortedError, AuditError, CapctlError, ExitCode, InputError, LockHeldError, RefusedError, SalesforceError, StalePlanError, StoreError, TransitionError } from '../../src/model/index.js';
import { readPlanFile } from '../../src/apply/read-plan-file.js';
import { makeTempDir, removeDir } from '../helpers/cli.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map(removeDir));
});

describe('the error family', () => {
  it('gives every member its exit code and its own name', () => {
    const members: [CapctlError, number][] = [
      [new InputError('x'), ExitCode.error],
      [new StoreError('x'), ExitCode.error],
      [new RefusedError('x'), ExitCode.refused],
      [new LockHeldError('x'), ExitCode.refused],
      [new StalePlanError(['a']), ExitCode.refused],
      [new TransitionError('x'), ExitCode.error],
      [new AbortedError('x'), ExitCode.error],
      [new AuditError('x'), ExitCode.error],
      [new SalesforceError('x', 'api', 'env'), ExitCode.error],
    ];
    for (const [error, code] of members) {
      expect(error).toBeInstanceOf(CapctlError);
      expect(error.exitCode).toBe(code);
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it('keeps the stale plan message, listing what changed', () => {
    expect(new StalePlanError(['org.json changed', 'Slack blocked']).message).toBe('the store changed since the plan was made: make a new plan.\n  - org.json changed\n  - Slack blocked');
  });

  it('carries the error it wraps as its cause, with the same words as before', async () => {
    const dir = await makeTempDir('capctl-errors-');
    temps.push(dir);
    const file = path.join(dir, 'plan.json');
    await writeFile(file, '{ not json');
    const error = await readPlanFile(file).then(
      () => undefined,
      (e: unknown) => e as InputError,
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error!.cause).toBeInstanceOf(SyntaxError);
    expect(error!.message).toContain(`${file} is not a plan file (not JSON: ${(error!.cause as Error).message})`);
    const wrapped = new AuditError('git failed', { cause: error });
    expect(wrapped.cause).toBe(error);
  });
});
