/**
 * Thrown by a tool when retrying cannot help (bad input, permanent refusal): the engine fails the
 * step at once instead of spending its remaining attempts.
 * @public
 * @example
 * if (!input.url.startsWith('https://')) throw new NonRetriableError('only https URLs are allowed');
 * // With what went wrong underneath (standard ErrorOptions): the run records its name, code and message.
 * throw new NonRetriableError('the invoice was refused', { cause: err });
 */
export class NonRetriableError extends Error {
  override name = 'NonRetriableError';
}

/**
 * Thrown by a tool when the failure is temporary and the tool knows when to try again (a 429 with
 * Retry-After): the engine waits at least `retryAfterMs` before the next attempt.
 * @public
 * @example
 * if (res.status === 429) throw new RetryAfterError('rate limited', Number(res.headers['retry-after']) * 1000);
 */
export class RetryAfterError extends Error {
  override name = 'RetryAfterError';
  readonly retryAfterMs: number;
  /** `options.cause`: what went wrong underneath; the engine records its name, code and message. */
  constructor(message: string, retryAfterMs: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}
