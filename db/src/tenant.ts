import type pg from 'pg';

/** Who a unit of database work runs for. Both settings are transaction-local. */
export interface TenantScope {
  /** Rows of tenant tables are visible and writable only for this workspace. */
  workspaceId?: string | null;
  /** Lets a user read their own memberships (and so their workspaces) across workspaces. */
  userId?: string | null;
}

export type Queryable = Pick<pg.ClientBase, 'query'>;

/** A statement with `$n` parameters. */
export interface Statement {
  text: string;
  values: readonly unknown[];
}

/** A NOTIFY to send once the transaction committed: a channel and its payload. */
export interface Notification {
  channel: string;
  payload: string;
}

/**
 * Sends `statements` in ONE round trip between the SQL `before` and `after` (BEGIN, COMMIT) and
 * answers the statements' own results in order (none needed when `after` is given).
 */
export type RoundTrip = (
  client: pg.PoolClient,
  statements: readonly Statement[],
  around: { before?: string; after?: string },
) => Promise<Array<{ rows: unknown[] }>>;

export interface TenantTxOptions {
  /**
   * Runs `work` again, in a new transaction, up to this many more times after a deadlock or
   * serialization failure (40P01, 40001): PostgreSQL rolled the whole transaction back, so only
   * work without effects outside the database may ask for it. Default 0.
   */
  retries?: number;
  /** Statements sent with BEGIN in the same round trip; their rows are `tx.opened`. */
  opening?: readonly Statement[];
  /** How a round trip of several statements is sent; by default one query per statement. */
  send?: RoundTrip;
  /**
   * Where `tx.notify`'s notifications go: by default `pg_notify` in the COMMIT's round trip (right
   * after COMMIT, so outside the transaction); with `publish`, handed to it after the commit and not
   * awaited (e.g. Redis). Either way a lost one (crash right after commit) must be tolerable.
   */
  publish?: (notifications: Notification[]) => Promise<void>;
}

/** What a transaction holds for its commit; shared by every view of it (`TenantTx.through`). */
interface AtCommit {
  statements: Statement[];
  notifications: Notification[];
  callbacks: Array<() => void>;
}

/**
 * The transaction `withTenant` runs `work` in, carrying what must happen at its commit. Queries go
 * to its connection (or, for a view made by `through`, to that view's query function).
 */
export class TenantTx {
  readonly query: pg.ClientBase['query'];

  constructor(
    /** The connection the transaction runs on. */
    readonly client: pg.PoolClient,
    /** Rows of the `opening` statements, one array per statement. */
    readonly opened: unknown[][],
    private readonly atCommit: AtCommit = { statements: [], notifications: [], callbacks: [] },
    query?: pg.ClientBase['query'],
  ) {
    this.query = query ?? client.query.bind(client);
  }

  escapeLiteral(value: string): string {
    return this.client.escapeLiteral(value);
  }

  /** Sends `statements` in the COMMIT's round trip, before COMMIT: they fail the transaction like any. */
  beforeCommit(...statements: Statement[]): void {
    this.atCommit.statements.push(...statements);
  }

  /** NOTIFYs once the transaction committed (see `TenantTxOptions.publish`); never after a rollback. */
  notify(...notifications: Notification[]): void {
    this.atCommit.notifications.push(...notifications);
  }

  /** Runs `callback` once the transaction committed, never after a rollback. It must not throw. */
  afterCommit(callback: () => void): void {
    this.atCommit.callbacks.push(callback);
  }

  /** The same transaction with its queries sent by `query` (e.g. gathered with others'). */
  through(query: pg.ClientBase['query']): TenantTx {
    return new TenantTx(this.client, this.opened, this.atCommit, query);
  }

  /** @internal What `withTenant` sends and runs at commit. */
  held(): Readonly<AtCommit> {
    return this.atCommit;
  }
}

/**
 * BEGIN and the tenant settings as one statement string, so opening a tenant transaction is one
 * round trip instead of two (every API request opens at least one). Values are written as
 * literals escaped by the driver, because the simple query protocol that allows several statements
 * takes no parameters.
 */
export function beginTenantSql(client: Pick<pg.ClientBase, 'escapeLiteral'>, scope: TenantScope): string {
  const workspaceId = client.escapeLiteral(scope.workspaceId ?? '');
  const userId = client.escapeLiteral(scope.userId ?? '');
  return `BEGIN; SELECT set_config('weft.workspace_id', ${workspaceId}, true), set_config('weft.user_id', ${userId}, true)`;
}

// Deadlock and serialization failures roll the whole transaction back, so running it again is safe.
const RETRYABLE = new Set(['40P01', '40001']);

// Errors only pg_notify raises (payload too long, queue full): met after `COMMIT; SELECT pg_notify`,
// they mean the transaction committed and only its notifications were lost.
const NOTIFY_ONLY = new Set(['22023', '54000']);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** One statement after another: the round trip of callers that did not choose a faster one. */
const oneByOne: RoundTrip = async (client, statements, around) => {
  if (around.before !== undefined) await client.query(around.before);
  const results: Array<{ rows: unknown[] }> = [];
  for (const s of statements) results.push(await client.query(s.text, [...s.values]));
  if (around.after !== undefined) await client.query(around.after);
  return results;
};

/** `; SELECT pg_notify(...)` for the notifications, their text inlined as escaped literals. */
function notifySql(client: pg.PoolClient, items: readonly Notification[]): string {
  if (items.length === 0) return '';
  const array = (values: string[]) => `ARRAY[${values.map((v) => client.escapeLiteral(v)).join(',')}]::text[]`;
  const channels = array(items.map((i) => i.channel));
  const payloads = array(items.map((i) => i.payload));
  return `; SELECT pg_notify(c, p) FROM unnest(${channels}, ${payloads}) AS x(c, p)`;
}

async function once<T>(
  pool: pg.Pool,
  scope: TenantScope,
  work: (client: pg.PoolClient, tx: TenantTx) => Promise<T>,
  options: TenantTxOptions,
): Promise<T> {
  const send = options.send ?? oneByOne;
  const client = await pool.connect();
  try {
    const opened = await send(client, options.opening ?? [], { before: beginTenantSql(client, scope) });
    const tx = new TenantTx(
      client,
      opened.map((r) => r.rows),
    );
    const result = await work(client, tx);
    const { statements, notifications, callbacks } = tx.held();
    const tail = options.publish === undefined ? notifySql(client, notifications) : '';
    try {
      await send(client, statements, { after: `COMMIT${tail}` });
    } catch (error) {
      const code = codeOf(error);
      if (tail === '' || code === undefined || !NOTIFY_ONLY.has(code)) throw error;
      // Committed; listeners re-read the database when idle, so lost notifications only delay them.
    }
    if (options.publish !== undefined && notifications.length > 0) {
      // Not awaited: the caller goes on now; listeners cope with late or reordered notifications.
      void options.publish([...notifications]).catch(() => {});
    }
    for (const callback of callbacks) {
      try {
        callback();
      } catch {
        // Committed already: a callback's failure must not make the caller think it was not.
      }
    }
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Runs `work` in one transaction with the tenant scope set, committing on success and rolling back
 * on any error, so a request's writes land together or not at all. `tx` carries what must happen at
 * the commit (statements before it, notifications and callbacks after it); `options` adds an
 * opening sent with BEGIN, a faster round trip and retries (see `TenantTxOptions`).
 */
export async function withTenant<T>(
  pool: pg.Pool,
  scope: TenantScope,
  work: (client: pg.PoolClient, tx: TenantTx) => Promise<T>,
  options: TenantTxOptions = {},
): Promise<T> {
  const retries = options.retries ?? 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await once(pool, scope, work, options);
    } catch (error) {
      const code = codeOf(error);
      if (attempt >= retries || code === undefined || !RETRYABLE.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * (attempt + 1)));
    }
  }
}

/** Changes the workspace in scope inside an open transaction (e.g. right after creating one). */
export async function setWorkspace(client: Queryable, workspaceId: string): Promise<void> {
  await client.query("SELECT set_config('weft.workspace_id', $1, true)", [workspaceId]);
}
