import { decodeBase64, encodeBase64 } from '@pothos/core';
import { type DefaultConnectionArguments, resolveCursorConnection } from '@pothos/plugin-relay';
import { inTenant, type SchemaContext } from './context.ts';
import { invalidArgument } from './errors.ts';

/**
 * Keyset (cursor) paging of the lists that grow with history (runs, audit log, events): a page
 * reads the rows after its cursor's (time, id) straight off the list's index, so page 40 costs
 * what page 1 does, and runs arriving while someone pages never shift the later pages
 * (docs/api.md "Paging").
 *
 * The lists are ordered `<at> DESC, <id>` (newest first, ties by id ascending), the order of their
 * indexes `(workspace_id, [filter,] <at> DESC, <id>)`. After a cursor (c, i) comes every row with
 * `at < c`, or `at = c` and `id > i`; the first half is the index bound, the second only sorts
 * out the ties at c.
 */

/** The page size every list takes (`first`/`last` are capped at maxSize). */
export const PAGE = { defaultSize: 20, maxSize: 100 } as const;

const KEYSET_PREFIX = 'Keyset:';
/** What clients saved before keyset paging: the position, `OffsetConnection:<n>`. */
const OFFSET_PREFIX = 'OffsetConnection:';
/** Longer than any cursor we hand out: nothing longer is decoded. */
const MAX_CURSOR_LENGTH = 200;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * The row's time as text with its microseconds: a JavaScript Date keeps milliseconds only, and a
 * cursor rounded to them would repeat or skip the rows of that millisecond.
 */
const TIME_TEXT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

export type Position = { kind: 'keyset'; at: string; id: string } | { kind: 'offset'; offset: number };

export function keysetCursor(at: string, id: string): string {
  return encodeBase64(`${KEYSET_PREFIX}${at}|${id}`);
}

/** A cursor back to its position; anything we did not hand out is INVALID_INPUT naming the argument. */
export function parseCursor(cursor: string, argument: 'after' | 'before'): Position {
  const invalid = () =>
    invalidArgument(`"${argument}" is not a cursor of this list: pass a pageInfo cursor as it was returned.`, argument);
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  let text: string;
  try {
    text = decodeBase64(cursor);
  } catch {
    throw invalid();
  }
  if (text.startsWith(OFFSET_PREFIX)) {
    const digits = text.slice(OFFSET_PREFIX.length);
    const offset = Number(digits);
    if (!/^\d{1,9}$/.test(digits) || !Number.isSafeInteger(offset)) throw invalid();
    return { kind: 'offset', offset };
  }
  if (!text.startsWith(KEYSET_PREFIX)) throw invalid();
  const [at = '', id = '', ...rest] = text.slice(KEYSET_PREFIX.length).split('|');
  // A well-formed time that is no date (month 13, 30 February) would fail in the database.
  const date = new Date(at);
  const real = TIME.test(at) && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 19) === at.slice(0, 19);
  if (rest.length > 0 || !real || !UUID.test(id)) throw invalid();
  return { kind: 'keyset', at, id };
}

export interface KeysetList<T> {
  /** The columns of a row, as `toNode` reads them. */
  columns: string;
  /** The FROM clause, joins included. */
  from: string;
  /** The time and the id columns of the order `<at> DESC, <id>`. */
  at: string;
  id: string;
  /**
   * The filters given, each a condition with one `?` for its value. Only these go into the
   * statement (never `$1 IS NULL OR …`), so each filter's index serves it.
   */
  filters: ReadonlyArray<readonly [string, unknown]>;
  toNode: (row: Record<string, unknown>) => T;
}

/** Where a page starts and ends, and how many rows it reads (one more than it shows). */
export interface KeysetBounds {
  after: Position | null;
  before: Position | null;
  limit: number;
  /** `last`: the rows nearest `before` first (relay's helper turns them round). */
  inverted: boolean;
}

/**
 * The statement of one page: the filters given, the cursor's bound and the list's order. Only
 * `<at> <= c` is an index bound; `at < c OR id > i` then drops the ties at c up to the cursor.
 */
export function keysetStatement(
  list: Omit<KeysetList<unknown>, 'toNode'>,
  { after, before, limit, inverted }: KeysetBounds,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = list.filters.map(([sql, value]) => sql.replace('?', param(value)));
  const { at, id } = list;
  if (after?.kind === 'keyset') {
    const [c, i] = [param(after.at), param(after.id)];
    where.push(`${at} <= ${c}::timestamptz AND (${at} < ${c}::timestamptz OR ${id} > ${i}::uuid)`);
  }
  if (before?.kind === 'keyset') {
    const [c, i] = [param(before.at), param(before.id)];
    where.push(`${at} >= ${c}::timestamptz AND (${at} > ${c}::timestamptz OR ${id} < ${i}::uuid)`);
  }
  const order = inverted ? `${at}, ${id} DESC` : `${at} DESC, ${id}`;
  const limitParam = param(limit);
  const offset = after?.kind === 'offset' ? ` OFFSET ${param(after.offset + 1)}` : '';
  return {
    sql: `SELECT ${list.columns}, to_char(${at} AT TIME ZONE 'UTC', ${TIME_TEXT}) AS keyset_at, ${id} AS keyset_id
            FROM ${list.from} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY ${order} LIMIT ${limitParam}${offset}`,
    params,
  };
}

/**
 * One page of `list` for relay's connection arguments, through relay's own cursor helper.
 * `first`/`after` page towards older rows, `last`/`before` towards newer ones. An offset cursor
 * saved before keyset paging still works as `after` (that one page is read by OFFSET, and its
 * cursors are keyset ones); as `before` it is INVALID_INPUT.
 */
export async function resolveKeysetConnection<T extends object>(
  args: DefaultConnectionArguments,
  list: KeysetList<T>,
  read: (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>,
) {
  const after = args.after ? parseCursor(args.after, 'after') : null;
  const before = args.before ? parseCursor(args.before, 'before') : null;
  if (before?.kind === 'offset') {
    throw invalidArgument('"before" takes a cursor of this version of the list; page from the start again.', 'before');
  }
  const cursors = new Map<T, string>();
  const connection = await resolveCursorConnection<Promise<T[]>>(
    { args, ...PAGE, toCursor: (node: T) => cursors.get(node) ?? '' },
    async ({ limit, inverted }) => {
      if (after?.kind === 'offset' && inverted) {
        throw invalidArgument('An old offset cursor pages forward only: use it with "first".', 'after');
      }
      const { sql, params } = keysetStatement(list, { after, before, limit, inverted });
      const rows = await read(sql, params);
      return rows.map(({ keyset_at, keyset_id, ...row }) => {
        const node = list.toNode(row);
        cursors.set(node, keysetCursor(String(keyset_at), String(keyset_id)));
        return node;
      });
    },
  );
  // An empty first page has no cursor: null, as the offset pages answered, rather than ''.
  const { startCursor, endCursor } = connection.pageInfo;
  return {
    ...connection,
    pageInfo: { ...connection.pageInfo, startCursor: startCursor || null, endCursor: endCursor || null },
  };
}

/** `read` for a list of one workspace: the statement runs in its tenant scope (RLS). */
export function readInTenant(ctx: SchemaContext, workspaceId: string) {
  return (sql: string, params: unknown[]) =>
    inTenant(ctx, workspaceId, async (client) => (await client.query(sql, params)).rows);
}
