import { GraphQLRequestError, NetworkError, UserInputError } from '@weft/client';

/**
 * What a CI job can rely on (docs/cli.md lists them): 0 success; 1 the thing tested did not hold
 * (a run that did not succeed, a regression, a chaos or load run below its bar); the rest say why
 * the command itself could not do its job.
 */
export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  AUTH: 3,
  NOT_FOUND: 4,
  INVALID: 5,
  UNREACHABLE: 6,
  INTERNAL: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI explains in one line and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code = 'ERROR',
  ) {
    super(message);
  }
}

export function exitCodeOf(error: unknown): { exitCode: ExitCode; code: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, code: error.code };
  if (error instanceof UserInputError) return { exitCode: ExitCode.INVALID, code: error.code };
  if (error instanceof NetworkError) return { exitCode: ExitCode.UNREACHABLE, code: error.code };
  if (error instanceof GraphQLRequestError) {
    if (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')
      return { exitCode: ExitCode.AUTH, code: error.code };
    if (error.code === 'NOT_FOUND') return { exitCode: ExitCode.NOT_FOUND, code: error.code };
    return { exitCode: ExitCode.INVALID, code: error.code };
  }
  return { exitCode: ExitCode.INTERNAL, code: 'INTERNAL' };
}
