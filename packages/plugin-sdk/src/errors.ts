/**
 * Thrown by a tool when retrying cannot help (bad input, permanent refusal): the engine fails the
 * step at once instead of spending its remaining attempts.
 * @public
 * @example
 * if (!input.url.startsWith('https://')) throw new NonRetriableError('only https URLs are allowed');
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
  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}
