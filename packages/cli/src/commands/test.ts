import type { Command } from 'commander';

export function registerTest(program: Command): void {
  program.command('test').description('regression, chaos and load tests of plans');
}
