export { NonRetriableError, RetryAfterError } from './errors.ts';
