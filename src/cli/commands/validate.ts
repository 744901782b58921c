// capctl validate [DIR]
import type { Command } from 'commander';
import type { Host } from '../host.js';

/** Registers `capctl validate`. */
export function register(program: Command, _host: Host): void {
  program.command('validate [dir]').description('check the desired state: schema and cross-file checks, every problem at once');
}
