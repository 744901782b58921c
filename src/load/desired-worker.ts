// The worker thread of load-desired-aside.ts: loads one desired-state folder and posts the result
// (or the error) back to the thread that started it.
import { parentPort, workerData } from 'node:worker_threads';
import { CapctlError, InputError } from '../model/index.js';
import type { WorkerReply } from './load-desired-aside.js';
import { loadDesiredState } from './load-desired.js';

const { dir, now } = workerData as { dir: string; now: number };
let reply: WorkerReply;
try {
  reply = { ok: true, result: await loadDesiredState(dir, { now: new Date(now) }) };
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  reply = {
    ok: false,
    error: {
      message: e.message,
      ...(e.stack !== undefined ? { stack: e.stack } : {}),
      input: error instanceof InputError,
      ...(error instanceof CapctlError ? { exitCode: error.exitCode, diagnostics: error.diagnostics } : {}),
    },
  };
}
parentPort!.postMessage(reply);
