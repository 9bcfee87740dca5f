import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { keysetCursor, keysetStatement, parseCursor } from './keyset-page.ts';

const ID = '0b8a4c1e-8f3a-4c55-9a3e-2f1d7c6b5a40';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('cursors', () => {
  it('round-trip a row position to the microsecond', () => {
    const at = '2026-12-07T23:58:50.123456Z';
    expect(parseCursor(keysetCursor(at, ID), 'after')).toEqual({ kind: 'keyset', at, id: ID });
  });

  it('read an offset cursor saved from the offset pages as its position', () => {
    expect(parseCursor(b64('OffsetConnection:39'), 'after')).toEqual({ kind: 'offset', offset: 39 });
  });

  it.each([
    ['not base64', '%%%'],
    ['another prefix', b64('Cursor:1')],
    ['a negative offset', b64('OffsetConnection:-1')],
    ['an offset that is no integer', b64('OffsetConnection:1e3')],
    ['a time without microseconds', b64(`Keyset:2026-12-07T23:58:50Z|${ID}`)],
    ['a month 13', b64(`Keyset:2026-13-07T23:58:50.000000Z|${ID}`)],
    ['30 February', b64(`Keyset:2026-02-30T23:58:50.000000Z|${ID}`)],
    ['a malformed id', b64('Keyset:2026-12-07T23:58:50.000000Z|1 OR 1=1')],
    ['an extra part', b64(`Keyset:2026-12-07T23:58:50.000000Z|${ID}|x`)],
    ['too long', 'A'.repeat(400)],
  ])('refuse %s with INVALID_INPUT naming the argument', (_label, cursor) => {
    let error: unknown;
    try {
      parseCursor(cursor, 'before');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions).toEqual({ code: 'INVALID_INPUT', argument: 'before' });
  });
});

describe('the statement of a page', () => {
  const list = {
    columns: 'id',
    from: 'executions',
    at: 'created_at',
    id: 'id',
    filters: [['status = ?', 'FAILED']] as const,
  };
  const after = { kind: 'keyset', at: '2026-12-07T23:58:50.123456Z', id: ID } as const;

  it('bounds the time on the index and drops the ties up to the cursor, in the list order', () => {
    const { sql, params } = keysetStatement(list, { after, before: null, limit: 51, inverted: false });
    expect(sql).toContain(
      'WHERE status = $1 AND created_at <= $2::timestamptz AND (created_at < $2::timestamptz OR id > $3::uuid)',
    );
    expect(sql).toContain('ORDER BY created_at DESC, id LIMIT $4');
    expect(sql).not.toContain('OFFSET');
    expect(params).toEqual(['FAILED', after.at, ID, 51]);
  });

  it('reads the rows just newer than `before` nearest first when inverted', () => {
    const { sql } = keysetStatement(list, { after: null, before: after, limit: 6, inverted: true });
    expect(sql).toContain('created_at >= $2::timestamptz AND (created_at > $2::timestamptz OR id < $3::uuid)');
    expect(sql).toContain('ORDER BY created_at, id DESC LIMIT $4');
  });

  it('reads the page after an old offset cursor by offset', () => {
    const { sql, params } = keysetStatement(list, {
      after: { kind: 'offset', offset: 19 },
      before: null,
      limit: 11,
      inverted: false,
    });
    expect(sql).toContain('ORDER BY created_at DESC, id LIMIT $2 OFFSET $3');
    expect(params).toEqual(['FAILED', 11, 20]);
  });
});
