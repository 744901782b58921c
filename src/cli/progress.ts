// Progress on a terminal: a cli-progress bar on stderr, and nothing at all when stderr is not a
// terminal, in CI (CI set), or with --quiet.
import { createRequire } from 'node:module';
import type { Host } from './host.js';

/** A progress reporter: the library calls it through a plain callback. */
export interface Progress {
  start(total: number, label: string): void;
  update(done: number): void;
  /**
   * A long step's own count (a revocation's sessions): the bar shows it, under its label, until
   * `done` reaches `total`, then the count of the steps again.
   */
  part(done: number, total: number, label: string): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, part() {}, stop() {} };

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
  // The steps' own count, shown again when a part ends.
  const steps = { total: 0, done: 0, label: '' };
  let inPart = false;
  return {
    start(total, label) {
      Object.assign(steps, { total, done: 0, label });
      bar = new cliProgress.SingleBar(
        { format: `{label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { label });
    },
    update(done) {
      steps.done = done;
      if (!inPart) bar?.update(done);
    },
    part(done, total, label) {
      if (!bar) return;
      const ended = done >= total;
      const changed = inPart === ended;
      inPart = !ended;
      bar.setTotal(ended ? steps.total : total);
      bar.update(ended ? steps.done : done, { label: ended ? steps.label : label });
      // A new label is drawn at once, not at the next tick.
      if (changed) bar.render();
    },
    stop() {
      bar?.stop();
      bar = undefined;
      inPart = false;
    },
  };
}
