// Runs the real capctl executable in a child process, as a user or CI would.
import { spawn, type SpawnOptions } from 'node:child_process';
import { mkdtemp, cp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared folder beside the repository (SPEC, samples). */
export const sharedRoot = path.resolve(repoRoot, '../shared');
const bin = path.join(repoRoot, 'bin/capctl.js');

/** What a finished capctl process left. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `capctl ...args` (built dist/, `npm test` builds it first) and collects its output. */
export function runCapctl(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CliResult> {
  return runProcess(process.execPath, [bin, ...args], { cwd: options.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', CI: 'true', ...options.env } }, options.input ?? '');
}

/** Runs any command in a child process, `input` on its stdin (undefined: no stdin at all), and collects its output. */
export function runProcess(command: string, args: string[], options: SpawnOptions, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** A new empty temporary folder; remove it with `removeDir`. */
export function makeTempDir(prefix = 'capctl-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** Copies a folder of the repository (or any absolute path) into `dest`. */
export async function copyInto(source: string, dest: string): Promise<void> {
  await cp(path.isAbsolute(source) ? source : path.join(repoRoot, source), dest, { recursive: true });
}

/** Removes a temporary folder. */
export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** Replaces timestamps, digests and temporary paths so output can be compared with a golden file. */
export function normalizeOutput(text: string, tempDirs: string[] = []): string {
  let out = text;
  for (const dir of tempDirs) out = out.split(dir).join('<tmp>');
  return out
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/\b[0-9a-f]{40}\b/g, '<commit>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
}
