import { CombinedGraphQLErrors } from '@apollo/client';
import { describe, expect, it } from 'vitest';
import { attempt, describeError, describeUserErrors, placeUserErrors } from './errors.ts';

describe('console error messages', () => {
  it('names the field path of each userError', () => {
    expect(
      describeUserErrors([
        { code: 'INVALID', field: ['email'], message: 'Not an e-mail address.' },
        { code: 'TAKEN', field: null, message: 'Taken.' },
      ]),
    ).toBe('email: Not an e-mail address.; Taken.');
    expect(describeUserErrors([])).toBeNull();
  });

  it('explains the API error codes a user meets and keeps other messages', () => {
    const error = new CombinedGraphQLErrors({
      data: null,
      errors: [
        { message: 'Not authorized', extensions: { code: 'FORBIDDEN' } },
        { message: 'Query Cost limit exceeded' },
      ],
    });
    expect(describeError(error)).toBe(
      'FORBIDDEN: Your role in this workspace does not allow this.; Query Cost limit exceeded',
    );
    expect(describeError(new Error('Failed to fetch'))).toBe('Failed to fetch');
  });

  it('reports a thrown mutation as the problem, with no value', async () => {
    const forbidden = new CombinedGraphQLErrors({
      data: null,
      errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }],
    });
    const thrown = await attempt(
      () => Promise.reject(forbidden),
      () => ({ userErrors: [], value: 1 }),
    );
    expect(thrown).toEqual({
      problem: 'FORBIDDEN: Your role in this workspace does not allow this.',
      value: undefined,
      userErrors: [],
    });
    const ok = await attempt(
      () => Promise.resolve({ id: 'x' }),
      (r) => ({ userErrors: [], value: r.id }),
    );
    expect(ok).toEqual({ problem: null, value: 'x', userErrors: [] });
  });
});

describe('placeUserErrors', () => {
  it('puts each error under the field its path starts with, and the rest in one line', () => {
    const placed = placeUserErrors(
      [
        { code: 'INVALID_INPUT', field: ['email'], message: 'Enter a valid email address.' },
        { code: 'INVALID_INPUT', field: ['email'], message: 'Too long.' },
        { code: 'INVALID_STATE', field: ['spec', 'steps'], message: 'Bad step.' },
        { code: 'CONFLICT', field: null, message: 'Taken.' },
      ],
      ['email', 'password'],
    );
    expect(placed.byField).toEqual({ email: 'Enter a valid email address. Too long.' });
    expect(placed.rest).toBe('spec.steps: Bad step.; Taken.');
  });
});
