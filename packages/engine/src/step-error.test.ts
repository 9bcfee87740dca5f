import { describe, expect, it } from 'vitest';
import { EngineError } from './errors.ts';
import { type StepErrorCode, stepErrorOf, storedStepError, withStepErrorCode } from './step-error.ts';
import { Interrupted } from './tool-call.ts';
import { NonRetriableToolError, RetryAfterToolError } from './types.ts';

describe('stepErrorOf (the one place a failure becomes a StepError)', () => {
  it('derives the code and whether the engine retries from what the tool threw', () => {
    const cases: Array<[Error, StepErrorCode, boolean]> = [
      [new Error('boom'), 'TOOL_ERROR', true],
      [new NonRetriableToolError('bad input'), 'NON_RETRIABLE', false],
      [new RetryAfterToolError('429', 5000), 'RETRY_LATER', true],
      [new EngineError('STEP_TIMEOUT', 'timed out'), 'TIMEOUT', true],
      [new EngineError('TOOL_NOT_FOUND', 'gone'), 'TOOL_NOT_FOUND', false],
      [withStepErrorCode(new NonRetriableToolError('big'), 'OUTPUT_TOO_LARGE'), 'OUTPUT_TOO_LARGE', false],
      [withStepErrorCode(new Error('isolate out of memory'), 'SANDBOX_LIMIT'), 'SANDBOX_LIMIT', true],
      [new Interrupted('execution cancelled', 'CANCELLED'), 'CANCELLED', true],
    ];
    for (const [error, code, retriable] of cases) {
      expect(stepErrorOf(error), error.message).toEqual({ code, message: error.message, retriable });
    }
  });

  it("keeps the cause's name, code and message, capped; a non-error cause becomes its text", () => {
    const cause = Object.assign(new TypeError('x'.repeat(5000)), { code: 'E'.repeat(500) });
    const error = stepErrorOf(new NonRetriableToolError('refused', { cause }));
    expect(error.cause).toEqual({ name: 'TypeError', code: 'E'.repeat(100), message: 'x'.repeat(1000) });
    expect(stepErrorOf(new Error('refused', { cause: 42 })).cause).toEqual({ message: '42' });
  });
});

describe('storedStepError (rows as readers show them)', () => {
  it('reads a recorded detail, and a row from before details as UNKNOWN with its message', () => {
    const detail = { code: 'TIMEOUT', message: 'late', retriable: true };
    expect(storedStepError(detail, 'late')).toEqual(detail);
    expect(storedStepError(null, 'old failure')).toEqual({ code: 'UNKNOWN', message: 'old failure', retriable: false });
    expect(storedStepError(null, null)).toBeNull();
    expect(storedStepError({ code: 'FROM_THE_FUTURE', message: 'm', retriable: true }, 'm')?.code).toBe('UNKNOWN');
  });
});
