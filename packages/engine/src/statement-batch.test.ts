// Work of several executions in one transaction shares round trips (statement-batch.ts): these
// tests count what reaches the connection and check that values survive being written as literals.
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parameterText, queryLiteral, runTogether } from './statement-batch.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 2 });
});

afterAll(async () => {
  await db?.drop();
});

/** A connection whose round trips are counted (one `query` call is one round trip). */
async function counted<T>(work: (client: pg.PoolClient, trips: string[]) => Promise<T>): Promise<T> {
  const client = await db.pools.owner.connect();
  const trips: string[] = [];
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const spy = Object.assign(Object.create(client) as pg.PoolClient, {
    query: (...args: unknown[]) => {
      const first = args[0];
      trips.push(typeof first === 'string' ? first : (first as { text: string }).text);
      return query(...args);
    },
  });
  try {
    return await work(spy, trips);
  } finally {
    client.release();
  }
}

describe('parameterText', () => {
  it('writes arrays, dates and objects as the server reads parameters', () => {
    expect(parameterText(['a"b', null, 'c\\d', 'x,y'])).toBe('{"a\\"b",NULL,"c\\\\d","x,y"}');
    expect(parameterText([1, 2.5])).toBe('{"1","2.5"}');
    // As pg writes a Date parameter: local time with its offset (the same instant).
    const date = new Date('2026-01-02T03:04:05.006Z');
    expect(new Date(parameterText(date) ?? '').getTime()).toBe(date.getTime());
    expect(parameterText({ a: [1] })).toBe('{"a":[1]}');
    expect(parameterText(undefined)).toBeNull();
    expect(parameterText(false)).toBe('false');
  });
});

describe('runTogether', () => {
  it('sends the statements of all waiting work in one round trip, in the order the work was started', async () => {
    await counted(async (client, trips) => {
      await client.query('BEGIN');
      const values = ['it\'s "quoted"', '{"json": ["a", null]}', 'back\\slash'];
      const out = await runTogether(client, values, async (c, value) => {
        // Work that reaches its first statement later still goes in its own place.
        if (value === values[0]) await Promise.resolve();
        const first = await c.query<{ t: string; n: number; j: unknown; a: string[] }>(
          'SELECT $1::text AS t, $2::int AS n, $3::jsonb AS j, $4::text[] AS a',
          [value, 7, value === values[1] ? value : '{}', [value, null]],
        );
        const second = await c.query<{ n: number }>({ name: 'x', text: 'SELECT $1::int + 1 AS n', values: [41] });
        return { ...first.rows[0], m: second.rows[0]?.n };
      });
      await client.query('COMMIT');
      expect(out).toEqual([
        { t: values[0], n: 7, j: {}, a: [values[0], null], m: 42 },
        { t: values[1], n: 7, j: { json: ['a', null] }, a: [values[1], null], m: 42 },
        { t: values[2], n: 7, j: {}, a: [values[2], null], m: 42 },
      ]);
      // BEGIN, one trip per stage (each preparing its statement first), COMMIT.
      expect(trips).toHaveLength(4);
      expect(trips[1]).toMatch(/^PREPARE [^;]+;\nEXECUTE (\w+)\('it''s "quoted"'/);
      expect(trips[1]?.match(/EXECUTE/g)).toHaveLength(3);
      // Prepared once per connection: the next batch only executes.
      trips.length = 0;
      await runTogether(client, [1, 2], (c, n) => c.query('SELECT $1::int + 1 AS n', [n]));
      expect(trips).toHaveLength(1);
      expect(trips[0]).not.toMatch(/PREPARE/);
    });
  });

  it('sends work that is alone as it is, and fails all waiting work when a statement fails', async () => {
    await counted(async (client, trips) => {
      const alone = await runTogether(client, [5], (c, n) => c.query<{ n: number }>('SELECT $1::int AS n', [n]));
      expect(alone[0]?.rows[0]?.n).toBe(5);
      expect(trips).toEqual(['SELECT $1::int AS n']);

      await client.query('BEGIN');
      const failing = runTogether(client, ['1', 'not a number'], (c, v) => c.query('SELECT $1::int AS n', [v]));
      await expect(failing).rejects.toThrow(/invalid input syntax/);
      await client.query('ROLLBACK');
      // Statements prepared by a failed trip are not trusted: the next one prepares under new names.
      const after = await runTogether(client, ['1', '2'], (c, v) => c.query<{ n: number }>('SELECT $1::int AS n', [v]));
      expect(after.map((r) => r.rows[0]?.n)).toEqual([1, 2]);
    });
  });
});

// Text the server can hold: PostgreSQL text never contains NUL, by either protocol.
const noNul = (text: string) => text.replaceAll('\u0000', '');
const tricky = fc.constantFrom("'", "''", '\\', '\\\\', '"', '{', '}', ',', 'NULL', ' ', "E'", '$1', 'é', '😀', '\n');
const text = fc
  .array(fc.oneof(tricky, fc.string({ unit: 'binary' })), { maxLength: 6 })
  .map((parts) => noNul(parts.join('')));
const json = fc
  .dictionary(fc.string().map(noNul), fc.jsonValue())
  .filter((value) => !JSON.stringify(value).includes('\\u0000'));

/** What the server answers for `sql` with `value`, or the error code it refuses it with. */
async function answer(run: () => Promise<{ rows: unknown[] }>): Promise<unknown> {
  try {
    return (await run()).rows;
  } catch (error) {
    return { error: (error as { code?: string }).code };
  }
}

describe('values written as literals', () => {
  // A zone away from UTC, where a Date written as UTC text and one written as pg writes it (local
  // time and offset) disagree for `timestamp` (without time zone).
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'America/Sao_Paulo';
  });
  afterAll(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });
  const cases: Array<[string, fc.Arbitrary<unknown>]> = [
    ['text', fc.option(text, { nil: null })],
    ['int4', fc.integer()],
    ['float8', fc.double()],
    ['int8', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
    ['bool', fc.boolean()],
    [
      'timestamp',
      fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
    ],
    [
      'timestamptz',
      fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }),
    ],
    ['jsonb', json],
    ['text[]', fc.array(fc.option(text, { nil: null }), { maxLength: 5 })],
    ['int4[]', fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 5 })],
  ];
  it.each(cases)('read back as %s the same as parameters do', async (type, values) => {
    const client = await db.pools.owner.connect();
    try {
      const sql = `SELECT $1::${type} AS v`;
      await fc.assert(
        fc.asyncProperty(values, async (value) => {
          const asParameter = await answer(() => client.query(sql, [value]));
          const asLiteral = await answer(
            async () => (await queryLiteral(client, [{ text: sql, values: [value] }]))[0] ?? { rows: [] },
          );
          expect(asLiteral).toEqual(asParameter);
        }),
        { numRuns: 150 },
      );
    } finally {
      client.release();
    }
  });
});
