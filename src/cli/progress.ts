// Progress on a terminal: a cli-progress bar on stderr, and nothing at all when stderr is not a
// terminal, in CI (CI set), or with --quiet.
import { createRequire } from 'node:module';
import type { Host } from './host.js';

/** A progress reporter: the library calls it through a plain callback. */
export interface Progress {
  start(total: number, label: string): void;
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, stop() {} };

/** Whether progress may be drawn for this run. */
export function progressEnabled(host: Host, quiet: boolean | undefined): boolean {
  return host.stderrIsTTY && !quiet && !host.env.CI && host.env.TERM !== 'dumb';
}

/** A progress bar on stderr when enabled, else a reporter that does nothing. */
export function createProgress(host: Host, quiet: boolean | undefined): Progress {
  if (!progressEnabled(host, quiet)) return silent;
  // Required only when a bar may be drawn, so that piped and CI runs never load it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
  return {
    start(total, label) {
      bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    update(done) {
      bar?.update(done);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
