import { CommanderError } from 'commander';
import { CliError, ExitCode, exitCodeOf } from './exit-codes.ts';
import { Output } from './output.ts';
import { buildProgram } from './program.ts';

/** Runs `weft` with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; they already printed what was asked.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const { exitCode, code } = exitCodeOf(error);
    const message = error instanceof Error ? error.message : String(error);
    if (exitCode === ExitCode.INTERNAL && !(error instanceof CliError)) {
      new Output(json).error(`unexpected: ${error instanceof Error ? (error.stack ?? message) : message}`);
    } else new Output(json).error(message);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
    return exitCode;
  }
}
