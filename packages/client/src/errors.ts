/** One problem with a mutation's input, as the API reports it in `userErrors`. */
export interface UserErrorInfo {
  code: string;
  field: readonly string[] | null;
  message: string;
}

/**
 * Codes the client itself gives; a `GraphQLRequestError` carries the server's `extensions.code`
 * instead (`UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, …).
 */
export const ClientErrorCode = {
  /** A mutation answered with `userErrors`. */
  USER_ERRORS: 'USER_ERRORS',
  /** An HTTP answer that was not GraphQL. */
  HTTP: 'HTTP',
  /** No answer: the server could not be reached, or an event stream was lost for good. */
  NETWORK: 'NETWORK',
  /** A GraphQL error without a code. */
  GRAPHQL: 'GRAPHQL',
} as const;

/** Anything the client reports; `code` is machine-readable (a GraphQL `extensions.code`, `USER_ERRORS`, `HTTP`, `NETWORK`). */
export class WeftError extends Error {
  override name = 'WeftError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The API refused the request as a whole (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, ...). */
export class GraphQLRequestError extends WeftError {
  override name = 'GraphQLRequestError';
  constructor(
    code: string,
    message: string,
    readonly errors: readonly { message: string; extensions?: Record<string, unknown> }[],
  ) {
    super(code, message);
  }
}

/** A mutation answered with `userErrors`: nothing was written. */
export class UserInputError extends WeftError {
  override name = 'UserInputError';
  constructor(readonly userErrors: readonly UserErrorInfo[]) {
    super(
      ClientErrorCode.USER_ERRORS,
      userErrors
        .map((e) => (e.field && e.field.length > 0 ? `${e.field.join('.')}: ${e.message}` : e.message))
        .join('; '),
    );
  }
}

/** The server could not be reached or answered something other than GraphQL. */
export class NetworkError extends WeftError {
  override name = 'NetworkError';
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(options?.status === undefined ? ClientErrorCode.NETWORK : ClientErrorCode.HTTP, message, options);
    this.status = options?.status;
  }
  readonly status: number | undefined;
}
