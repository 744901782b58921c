// A node child process whose output lines a test can wait for (lock and crash tests).
import { spawn, type ChildProcess } from 'node:child_process';

/** A running child, its output so far, and how it ended. */
export interface Child {
  process: ChildProcess;
  lines: string[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves true once a line matches, false if the child ends first. */
  waitForLine(pattern: RegExp): Promise<boolean>;
}

/** Starts `node script ...args`. */
export function startNode(script: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
    child.emit('lines');
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.on('error', () => {}); // a child killed before reading its stdin
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const waitForLine = (pattern: RegExp): Promise<boolean> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (lines.some((l) => pattern.test(l))) finish(true);
      };
      const finish = (found: boolean): void => {
        child.off('lines', check);
        resolve(found);
      };
      child.on('lines', check);
      void exited.then(() => finish(lines.some((l) => pattern.test(l))));
      check();
    });
  return { process: child, lines, stderr: () => stderr, exited, waitForLine };
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
