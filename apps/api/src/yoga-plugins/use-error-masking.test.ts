import { GraphQLError } from 'graphql';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { useErrorMasking } from './use-error-masking.ts';
import { contextOf, post, yogaWith } from './yoga-fetch.test-kit.ts';

/** A logger that keeps what it was told, to check the full error stays on the server. */
function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('useErrorMasking', () => {
  it('answers an unexpected error as INTERNAL_SERVER_ERROR with the request id, and logs it in full', async () => {
    const { logger, lines } = recordingLogger();
    const yoga = yogaWith([useErrorMasking(logger)], contextOf({ requestId: 'req-42' }), {
      fails: () => {
        throw new Error('connection string postgres://secret@db');
      },
    });
    const answer = await post(yoga, '{ fails }');
    expect(answer.errors).toEqual([
      expect.objectContaining({
        message: 'Unexpected error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' },
      }),
    ]);
    expect(JSON.stringify(answer)).not.toContain('secret');
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'req-42', msg: 'unexpected error in a GraphQL operation' }),
    ]);
    expect(JSON.stringify(lines)).toContain('postgres://secret@db');
  });

  it('lets our own errors through as they are', async () => {
    const { logger, lines } = recordingLogger();
    const yoga = yogaWith([useErrorMasking(logger)], contextOf({}), {
      refused: () => {
        throw new GraphQLError('Not allowed.', { extensions: { code: 'FORBIDDEN' } });
      },
    });
    const answer = await post(yoga, '{ refused }');
    expect(answer.errors).toEqual([
      expect.objectContaining({ message: 'Not allowed.', extensions: { code: 'FORBIDDEN' } }),
    ]);
    expect(lines).toEqual([]);
  });
});
