// A Host that keeps what a command writes, for running the CLI in-process with a fixed clock.
import type { Host } from '../../src/cli/host.js';

/** A Host whose output is collected in `stdout` / `stderr`. */
export interface MemoryHost extends Host {
  stdout: string;
  stderr: string;
}

/** A non-terminal host at `cwd` with the given environment and clock. */
export function memoryHost(options: { cwd: string; env?: Record<string, string>; now: Date; color?: boolean }): MemoryHost {
  const host: MemoryHost = {
    stdout: '',
    stderr: '',
    out: (text) => {
      host.stdout += text;
    },
    err: (text) => {
      host.stderr += text;
    },
    drain: async () => {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
    stdinIsTTY: false,
    color: options.color ?? false,
    env: options.env ?? {},
    cwd: options.cwd,
    now: () => options.now,
    exitCode: 0,
  };
  return host;
}
