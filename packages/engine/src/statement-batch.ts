/**
 * Runs the work of several executions in one transaction with their statements sent together: each
 * piece of work gets a client of its own, and once every piece still running waits on a statement,
 * those statements go to the server in one round trip (a simple-protocol query of several
 * statements). A finish batch covering k executions so costs as many round trips as one covering a
 * single execution, instead of two more per execution: its transaction holds every execution's
 * lock and is the one place a workspace's finishes queue for (execution-batcher.ts).
 *
 * Statements still run one after another on the server, in the order the work issued them (work
 * started first goes first), so locks are taken in the order the callers chose. Parameters cannot
 * travel with a simple query: each statement is prepared once per connection (`PREPARE`, under a
 * name of its own: it is parsed once, not in every transaction) and run by `EXECUTE`
 * with its values written as escaped literals, which the server converts to the parameters' types
 * as it converts the extended protocol's text parameters. Each value becomes that text by pg's own
 * conversion (`prepareValue`, the one the extended protocol uses) and is quoted by pg's
 * `escapeLiteral`: a value reads back the same whichever way its statement was sent.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { type Statement, TenantTx } from '@weft/db';
import type { TenantClient } from './types.ts';

type Escaper = { escapeLiteral(value: string): string };
type Client = TenantClient & Escaper;

export type { Statement };

interface Waiting {
  /** Which work issued it: a round trip sends its statements in this order. */
  by: number;
  /** As the work passed it, to send unchanged when it goes alone. */
  config: unknown;
  values: unknown;
  statement: Statement;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

interface Prepared {
  /** Bumped after a failed round trip that prepared something: whether its PREPAREs ran is unknown. */
  generation: number;
  names: Set<string>;
}

// Per connection (a pg client is one server session): the statements prepared there by this module.
const preparedOn = new WeakMap<object, Prepared>();

// pg's conversion of a parameter to what it sends (pg/lib/utils.js: public in pg's exports map,
// absent from @types/pg). It follows pg's settings (e.g. `defaults.parseInputDatesAsUTC`).
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue(value: unknown): string | Buffer | null;
};

/** A value as the text the server parses for a parameter (as node-postgres sends it), or null. */
export function parameterText(value: unknown): string | null {
  const prepared = prepareValue(value);
  if (prepared === null || typeof prepared === 'string') return prepared;
  // pg sends bytes as a binary parameter; as text, bytea reads them in its hex form.
  return `\\x${prepared.toString('hex')}`;
}

function toStatement(config: unknown, values: unknown): Statement {
  if (typeof config === 'string') return { text: config, values: Array.isArray(values) ? values : [] };
  const c = config as { text: string; values?: unknown[] };
  return { text: c.text, values: c.values ?? (Array.isArray(values) ? values : []) };
}

/** The statement as SQL that needs no parameters, preparing it first on this connection if it is new. */
function sqlOf(client: Client, prepared: Prepared, s: Statement, preparing: string[]): string {
  if (s.values.length === 0) return s.text;
  const hash = createHash('sha1').update(s.text).digest('hex').slice(0, 16);
  const name = `weft_b${prepared.generation}_${hash}`;
  if (!prepared.names.has(name) && !preparing.includes(name)) preparing.push(name, `PREPARE ${name} AS ${s.text}`);
  const args = s.values.map((v) => {
    const text = parameterText(v);
    return text === null ? 'NULL' : client.escapeLiteral(text);
  });
  return `EXECUTE ${name}(${args.join(', ')})`;
}

/**
 * Sends `statements` in one simple-protocol query on `client`, between the SQL `before` and `after`
 * (BEGIN, COMMIT), each statement prepared first where this connection has not prepared it yet.
 * Answers the statements' own results, in order (none when `after` is given: nothing reads them).
 */
export async function queryLiteral(
  client: Client,
  statements: readonly Statement[],
  around: { before?: string; after?: string } = {},
): Promise<Array<{ rows: unknown[] }>> {
  // A transaction is a view of its connection; what is prepared belongs to the connection.
  const connection = client instanceof TenantTx ? client.client : client;
  let prepared = preparedOn.get(connection);
  if (prepared === undefined) {
    prepared = { generation: 0, names: new Set() };
    preparedOn.set(connection, prepared);
  }
  const on = prepared;
  const preparing: string[] = []; // name, PREPARE statement, name, ...
  const executes = statements.map((statement) => sqlOf(client, on, statement, preparing));
  const prepares = preparing.filter((_, i) => i % 2 === 1);
  const head = around.before === undefined ? [] : [around.before];
  const sql = [...head, ...prepares, ...executes, ...(around.after === undefined ? [] : [around.after])];
  let results: unknown;
  try {
    results = await client.query(sql.join(';\n'));
  } catch (error) {
    if (preparing.length > 0) {
      // Some PREPAREs may have run before the failure (they outlive a rollback): new names from now on.
      on.generation++;
      on.names.clear();
    }
    throw error;
  }
  for (let i = 0; i < preparing.length; i += 2) on.names.add(preparing[i] as string);
  if (around.after !== undefined) return [];
  // One statement answers one result, several an array of them; `before` may be several statements.
  const all = (Array.isArray(results) ? results : [results]) as Array<{ rows: unknown[] }>;
  return all.slice(all.length - executes.length);
}

async function send(client: Client, waiting: Waiting[]): Promise<void> {
  const only = waiting[0];
  if (waiting.length === 1 && only !== undefined) {
    // Alone: as it would have been sent anyway (extended protocol, its own prepared name if any).
    try {
      only.resolve(await client.query(only.config as string, only.values as unknown[] | undefined));
    } catch (error) {
      only.reject(error);
    }
    return;
  }
  try {
    const results = await queryLiteral(
      client,
      waiting.map((w) => w.statement),
    );
    waiting.forEach((w, i) => {
      w.resolve(results[i]);
    });
  } catch (error) {
    for (const w of waiting) w.reject(error);
  }
}

/**
 * Runs `work` for each item concurrently on clients whose statements are sent together (see
 * above); results in the items' order. The first failure is thrown once all work has settled (the
 * transaction is then aborted anyway). Given a `TenantTx`, each client is a view of it, so what
 * the work holds for the commit goes with the transaction's.
 */
export async function runTogether<I, O>(
  client: Client,
  items: readonly I[],
  work: (client: TenantClient, item: I) => Promise<O>,
): Promise<O[]> {
  if (items.length <= 1) return Promise.all(items.map((item) => work(client, item)));
  let running = items.length;
  let waiting: Waiting[] = [];
  let sending = false;
  const flush = () => {
    if (sending || waiting.length === 0 || waiting.length < running) return;
    // In the order the work was started, however many awaits each took to get here: callers
    // start work in the order they take its locks.
    const batch = waiting.sort((a, b) => a.by - b.by);
    waiting = [];
    sending = true;
    void send(client, batch).finally(() => {
      sending = false;
      flush();
    });
  };
  const clients = items.map((_, by): TenantClient => {
    // Only the (config | text, values) forms the engine uses, hence the cast from pg's overloads.
    const query = ((config: unknown, values?: unknown) =>
      new Promise((resolve, reject) => {
        waiting.push({ by, config, values, statement: toStatement(config, values), resolve, reject });
        flush();
      })) as unknown as TenantClient['query'];
    return client instanceof TenantTx ? client.through(query) : { query };
  });
  const settled = await Promise.allSettled(
    items.map(async (item, i) => {
      try {
        return await work(clients[i] as TenantClient, item);
      } finally {
        running--;
        flush();
      }
    }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<O>).value);
}
