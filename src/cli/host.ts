// The process edge: where output goes, whether it is a terminal, colour, the environment.
// Commands write through a Host so that tests and the library never touch process directly.

/** What a command may use of the process it runs in. */
export interface Host {
  out(text: string): void;
  err(text: string): void;
  /** Resolves once everything written to stdout has been flushed (for streaming output). */
  drain(): Promise<void>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  /** Colour on stdout: only on a terminal, never with NO_COLOR. */
  color: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now(): Date;
  /** The exit code the command chose (0 unless it sets one). */
  exitCode: number;
}

/** The host of the real process. */
export function processHost(): Host {
  const env = process.env;
  // A reader that stops early (`capctl usage | head`) closes the pipe: stop quietly, as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  const stdoutIsTTY = process.stdout.isTTY === true;
  return {
    out: (text) => {
      process.stdout.write(text);
    },
    err: (text) => {
      process.stderr.write(text);
    },
    drain: () =>
      process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', () => resolve())) : Promise.resolve(),
    stdoutIsTTY,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    color: stdoutIsTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    env,
    cwd: process.cwd(),
    now: () => new Date(),
    exitCode: 0,
  };
}
