import { GraphQLError } from 'graphql';

/** Machine codes of the API's GraphQL errors (`extensions.code`) and userErrors (`code`). */
export const SchemaErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  INVALID_INPUT: 'INVALID_INPUT',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  TAKEN: 'TAKEN',
  LAST_ADMIN: 'LAST_ADMIN',
  /** The target exists but its state does not allow the change (e.g. resuming a finished run). */
  INVALID_STATE: 'INVALID_STATE',
} as const;
export type SchemaErrorCode = (typeof SchemaErrorCode)[keyof typeof SchemaErrorCode];

/** An expected failure of a mutation: returned in the payload, never thrown; nothing is written. */
export interface UserError {
  code: string;
  field: string[] | null;
  message: string;
}

export function userError(code: string, field: string[] | null, message: string): UserError {
  return { code, field, message };
}

export function unauthenticated(): GraphQLError {
  return new GraphQLError('Sign in first: send Authorization: Bearer <token>.', {
    extensions: { code: SchemaErrorCode.UNAUTHENTICATED },
  });
}

export function forbidden(message = 'Your role in this workspace does not allow this.'): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: SchemaErrorCode.FORBIDDEN },
  });
}

/** The same answer for a missing ID and for another workspace's ID, so IDs leak nothing. */
export function notFound(): GraphQLError {
  return new GraphQLError('Not found.', { extensions: { code: SchemaErrorCode.NOT_FOUND } });
}

/** A query's argument out of bounds (queries have no userErrors): nothing was read. */
export function invalidArgument(message: string, argument: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: SchemaErrorCode.INVALID_INPUT, argument } });
}

export function tooManyAttempts(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`Too many failed log-in attempts; try again in ${retryAfterSeconds} s.`, {
    extensions: { code: SchemaErrorCode.TOO_MANY_ATTEMPTS, retryAfterSeconds },
  });
}
