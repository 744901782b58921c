// loadDesiredState on another thread, for a command that also reads the org store: planning a
// large org parses thousands of YAML files and a store of a million sessions, a few seconds each,
// and on two cores they take the time of the longer one instead of both. The result crosses back
// as plain data (structured clone); an InputError crosses back as one.
import { Worker } from 'node:worker_threads';
import { CapctlError, InputError, type Diagnostic } from '../model/index.js';
import { loadDesiredState, type LoadResult } from './load-desired.js';

/** What the worker (desired-worker.ts) posts back. */
export type WorkerReply =
  | { ok: true; result: LoadResult }
  | { ok: false; error: { message: string; stack?: string; input: boolean; exitCode?: number; diagnostics?: Diagnostic[] } };

const workerUrl = new URL('./desired-worker.js', import.meta.url);

/**
 * Loads the desired state of `dir` like loadDesiredState, in a worker thread. Run from the
 * TypeScript sources (tests), where a worker could not load desired-worker.ts, it loads in this
 * thread instead.
 */
export function loadDesiredStateAside(dir: string, options: { now: Date }): Promise<LoadResult> {
  if (import.meta.url.endsWith('.ts')) return loadDesiredState(dir, options);
  return new Promise<LoadResult>((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: { dir, now: options.now.getTime() } });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(revive(reply.error));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the desired-state worker exited with code ${code} before it answered`));
    });
  });
}

function revive(error: Extract<WorkerReply, { ok: false }>['error']): Error {
  if (error.input) return new InputError(error.message, error.diagnostics ?? []);
  if (error.exitCode !== undefined) return new CapctlError(error.message, error.exitCode, error.diagnostics ?? []);
  const revived = new Error(error.message);
  if (error.stack !== undefined) revived.stack = error.stack;
  return revived;
}
