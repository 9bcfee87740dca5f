/**
 * SQL of the engine's state, always run on a client inside a tenant transaction. Every transition
 * that appends events holds the execution row's lock while doing so, so each execution's events
 * get gapless `seq`s in commit order. Lock order (to stay free of deadlocks): a worker transaction
 * locks its own step rows first and the execution row last (begins and finishes right after their
 * step rows, in the same statement); controls lock the execution row first
 * and touch only step rows no worker holds (PENDING / WAITING_APPROVAL, or SKIP LOCKED).
 */
import {
  type Notification,
  type Statement,
  type TenantScope,
  TenantTx,
  type TenantTxOptions,
  withTenant,
} from '@weft/db';
import type pg from 'pg';
import type { DryRunOptions } from './engine-api.ts';
import type { NewEvent } from './events.ts';
import { queryLiteral } from './statement-batch.ts';
import type { ExecutionEvent, ExecutionMode, ExecutionStatus, StepStatus, TenantClient } from './types.ts';

export interface ExecutionRow {
  workspace_id: string;
  id: string;
  plan_id: string;
  plan_version_id: string;
  status: ExecutionStatus;
  mode: ExecutionMode;
  input: unknown;
  context: Record<string, unknown>;
  last_seq: number;
  /** W3C traceparent of the run's start (see tracing.ts); selected by `lockExecution`. */
  trace_parent?: string | null;
  /** What a dry run was started with (null otherwise); selected by `beginOpening`. */
  dry_run_options?: DryRunOptions | null;
}

export interface StepRunRow {
  step_id: string;
  status: StepStatus;
  attempts: number;
  attempt_base: number;
  output: unknown;
  error: string | null;
  fence: number;
  waiting_reason: string | null;
  compensated_at: Date | null;
}

/**
 * A named (prepared once per connection) statement: the hot paths run while the execution row is
 * locked, so skipping parse and plan shortens every other step's wait.
 */
export function named(
  name: string,
  text: string,
  values: unknown[],
): { name: string; text: string; values: unknown[] } {
  return { name, text, values };
}

// Declared per event type in events.ts; re-exported for the modules that append through this one.
export type { NewEvent };

export const TERMINAL: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK'];
export const ACTIVE: readonly ExecutionStatus[] = ['RUNNING', 'WAITING_APPROVAL', 'QUEUED'];

/** Notification channels (Postgres LISTEN/NOTIFY). */
export const Channel = { events: 'weft_events', status: 'weft_status', cancel: 'weft_cancel' } as const;

// NOTIFY payloads are capped at 8000 bytes; larger events are announced without data and read back.
const NOTIFY_LIMIT = 7000;

/** One live announcement: a channel and its JSON payload. */
export type Announcement = Notification;

// Transactions the engine owns (`withTenant` with `workerTx`) hand their announcements to their
// `TenantTx`, which sends them after COMMIT: a NOTIFY inside a transaction takes a cluster-wide lock
// through its commit, which would line up every step's commit behind every other's. A lost
// announcement (crash right after commit) is covered by subscribers re-reading the database when
// idle. Transactions of callers (controls) pass a plain client and keep NOTIFY inside, where it is
// sent exactly when they commit.
export async function announce(client: TenantClient, channel: string, payload: string): Promise<void> {
  if (client instanceof TenantTx) client.notify({ channel, payload });
  else await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

function eventPayload(e: ExecutionEvent): string {
  const full = JSON.stringify({
    w: e.workspaceId,
    e: e.executionId,
    seq: e.seq,
    t: e.type,
    s: e.stepId,
    at: e.at,
    d: e.data,
  });
  return full.length <= NOTIFY_LIMIT
    ? full
    : JSON.stringify({ w: e.workspaceId, e: e.executionId, seq: e.seq, big: true });
}

async function announceEvents(client: TenantClient, events: ExecutionEvent[]): Promise<void> {
  if (client instanceof TenantTx) {
    client.notify(...events.map((e) => ({ channel: Channel.events, payload: eventPayload(e) })));
  } else if (events.length > 0) {
    await client.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [
      Channel.events,
      events.map(eventPayload),
    ]);
  }
}

/**
 * Where announcements of engine-owned transactions go after commit (NOTIFY or Redis). With
 * `withCommit`, NOTIFY is what publishes them, and a transaction sends its own in the round trip of
 * its COMMIT instead (as a statement of its own after it, so outside the transaction: see above).
 */
export type Publisher = ((announcements: Announcement[]) => Promise<void>) & { withCommit?: boolean };

export async function lockExecution(client: TenantClient, executionId: string): Promise<ExecutionRow | null> {
  const { rows } = await client.query<ExecutionRow>(
    `SELECT workspace_id, id, plan_id, plan_version_id, status, mode, input, context, last_seq, trace_parent
       FROM executions WHERE id = $1 FOR UPDATE`,
    [executionId],
  );
  return rows[0] ?? null;
}

/** Statuses that still accept events from steps (a finished or rolling-back run takes none). */
export const OPEN: readonly ExecutionStatus[] = ['QUEUED', 'RUNNING', 'PAUSED', 'WAITING_APPROVAL'];

/**
 * Writes that commit in the same statement as a `lockAndAppend` (one round trip less under the
 * execution lock): `ctes` are data-modifying CTEs (`name AS (...)`, comma-separated) whose
 * parameters start at $7; `select` names SELECT-only CTEs that must run (PostgreSQL skips an
 * unreferenced one). Only rows the caller already holds may be written here: the statement takes
 * the execution's lock, which must come last (see the lock order above).
 */
export interface WritesWithAppend {
  name: string;
  ctes: string;
  select: string[];
  values: unknown[];
  /** `appendEvents` only: a condition on the CTEs; false appends nothing and throws (rolls back). */
  guard?: string;
  /**
   * A condition on the CTEs that the statement itself checks (`weft_check`): false fails the
   * transaction with `STALE_WRITE`. For writes sent before the rows they expect were read.
   */
  check?: string;
}

/** The SQLSTATE of a failed `weft_check` (migration 1700000000008_engine_check.sql). */
export const STALE_WRITE = 'WF001';

/** A condition that is always true but makes PostgreSQL run the SELECT-only CTEs. */
function runSelects(writes: WritesWithAppend | undefined): string {
  return writes === undefined ? '' : writes.select.map((c) => ` AND (SELECT count(*) FROM ${c}) >= 0`).join('');
}

/** `runSelects`, and the writes' `check` and `guard`. */
function mustRun(writes: WritesWithAppend | undefined): string {
  if (writes === undefined) return '';
  const run = runSelects(writes);
  const checked = writes.check === undefined ? run : `${run} AND weft_check(${writes.check}, 'rows not as expected')`;
  return writes.guard === undefined ? checked : `${checked} AND (${writes.guard})`;
}

/**
 * Locks the execution row and appends `events` in ONE statement, but only while the execution is
 * open (see OPEN); returns the locked row and whether the events were written. Worker transactions
 * take their step row first and the execution row last (here, or just before), so it is held only
 * for a few statements and the commit.
 */
export async function lockAndAppend(
  client: TenantClient,
  executionId: string,
  events: NewEvent[],
  writes?: WritesWithAppend,
  how: { openSteps?: boolean } = {},
): Promise<LockedAndAppended | null> {
  const { rows } = await client.query<ExecutionRow & { appended: boolean }>(
    lockAndAppendStatement(executionId, events, writes, how),
  );
  return lockedAndAppended(client, rows);
}

/**
 * What `lockAndAppend` returns: the locked row, whether the events went in, the open steps if
 * asked, and the events' `at` (the transaction's time) when some were written.
 */
export type LockedAndAppended = ExecutionRow & { appended: boolean; openSteps?: OpenStep[]; appendedAt?: Date };

/** `lockAndAppend`'s statement, for a caller that sends it itself (see `OpeningQuery.then`). */
export function lockAndAppendStatement(
  executionId: string,
  events: NewEvent[],
  writes?: WritesWithAppend,
  how: { openSteps?: boolean } = {},
): { name: string; text: string; values: unknown[] } {
  const ctes = writes === undefined ? '' : `${writes.ctes},`;
  // Read in this statement's snapshot: only fresh when the caller took the execution's lock in an
  // earlier statement; rows this statement's `writes` change still show their old state.
  const open = how.openSteps === true ? `, ${OPEN_STEPS} AS open_steps` : '';
  return named(
    `${writes === undefined ? 'weft-lock-append' : `weft-lock-append+${writes.name}`}${open === '' ? '' : '+open'}`,
    `WITH ${ctes} e AS (
       UPDATE executions SET last_seq = last_seq + CASE WHEN status = ANY($5::text[]) THEN $2::int ELSE 0 END
        WHERE id = $1
        RETURNING workspace_id, id, plan_id, plan_version_id, status, mode, input, context, last_seq, trace_parent,
                  status = ANY($5::text[]) AS appended
     ), ins AS (
       INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data)
       SELECT e.workspace_id, e.id, e.last_seq - $2::int + x.o::int, x.t, x.s, x.d
         FROM e, unnest($3::text[], $4::text[], $6::jsonb[]) WITH ORDINALITY AS x(t, s, d, o)
        WHERE e.appended
       RETURNING workspace_id, execution_id, seq, type, step_id, data, at
     )
     SELECT e.*, (SELECT coalesce(json_agg(json_build_object('seq', seq, 'type', type, 'stepId', step_id, 'at', at,
                                                              'data', data) ORDER BY seq), '[]'::json) FROM ins) AS events${open}
       FROM e WHERE true${mustRun(writes)}`,
    [
      executionId,
      events.length,
      events.map((e) => e.type),
      events.map((e) => e.stepId ?? null),
      OPEN,
      events.map((e) => (e.data === undefined ? null : JSON.stringify(e.data))),
      ...(writes?.values ?? []),
    ],
  );
}

/** The rows of `lockAndAppendStatement` as `lockAndAppend` returns them; announces the events at commit. */
export async function lockedAndAppended(client: TenantClient, rows: unknown[]): Promise<LockedAndAppended | null> {
  const row = rows[0];
  if (row === undefined) return null;
  const {
    events: written,
    open_steps,
    ...exec
  } = row as ExecutionRow & {
    appended: boolean;
    events: Array<{ seq: number; type: string; stepId: string | null; at: string; data: unknown }>;
    open_steps?: OpenStep[];
  };
  const announced = written.map((e) => ({
    ...e,
    workspaceId: exec.workspace_id,
    executionId: exec.id,
    at: new Date(e.at),
  }));
  await announceEvents(client, announced);
  const at = announced[0]?.at;
  return {
    ...exec,
    ...(open_steps === undefined ? {} : { openSteps: open_steps }),
    ...(at === undefined ? {} : { appendedAt: at }),
  };
}

/** An unfinished step as `advance` needs it (a step without one has SUCCEEDED). */
export interface OpenStep {
  step_id: string;
  status: string;
  error: string | null;
  fence: number;
  attempts: number;
}

const OPEN_STEPS = `(SELECT coalesce(json_agg(json_build_object('step_id', step_id, 'status', status, 'error', error,
                                                  'fence', fence, 'attempts', attempts)), '[]'::json)
                     FROM step_runs WHERE execution_id = $1 AND status <> 'SUCCEEDED')`;

/** The execution's unfinished steps; the caller holds the execution row's lock. */
export async function readOpenSteps(client: TenantClient, executionId: string): Promise<OpenStep[]> {
  const { rows } = await client.query<{ open: OpenStep[] }>(
    named('weft-open-steps', `SELECT ${OPEN_STEPS} AS open`, [executionId]),
  );
  return rows[0]?.open ?? [];
}

export async function loadStepRuns(client: TenantClient, executionId: string): Promise<Map<string, StepRunRow>> {
  const { rows } = await client.query<StepRunRow>(
    `SELECT step_id, status, attempts, attempt_base, output, error, fence, waiting_reason, compensated_at
       FROM step_runs WHERE execution_id = $1`,
    [executionId],
  );
  return new Map(rows.map((r) => [r.step_id, r]));
}

export async function loadStepRun(
  client: TenantClient,
  executionId: string,
  stepId: string,
): Promise<StepRunRow | null> {
  const { rows } = await client.query<StepRunRow>(
    `SELECT step_id, status, attempts, attempt_base, output, error, fence, waiting_reason, compensated_at
       FROM step_runs WHERE execution_id = $1 AND step_id = $2`,
    [executionId, stepId],
  );
  return rows[0] ?? null;
}

/** Appends events with the next sequence numbers (one statement) and announces them at commit. */
export async function appendEvents(
  client: TenantClient,
  workspaceId: string,
  executionId: string,
  events: NewEvent[],
  writes?: WritesWithAppend,
): Promise<ExecutionEvent[]> {
  if (events.length === 0 && writes === undefined) return [];
  const { rows } = await client.query<{ seq: number; type: string; step_id: string | null; data: unknown; at: Date }>(
    named(
      writes === undefined ? 'weft-append' : `weft-append+${writes.name}`,
      `WITH ${writes === undefined ? '' : `${writes.ctes},`}
         e AS (UPDATE executions SET last_seq = last_seq + $3::int WHERE id = $2 RETURNING last_seq)
       INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data)
       SELECT $1, $2, e.last_seq - $3::int + x.o::int, x.t, x.s, x.d
         FROM e, unnest($4::text[], $5::text[], $6::jsonb[]) WITH ORDINALITY AS x(t, s, d, o)
        WHERE true${mustRun(writes)}
       RETURNING seq, type, step_id, data, at`,
      [
        workspaceId,
        executionId,
        events.length,
        events.map((e) => e.type),
        events.map((e) => e.stepId ?? null),
        events.map((e) => (e.data === undefined ? null : JSON.stringify(e.data))),
        ...(writes?.values ?? []),
      ],
    ),
  );
  if (rows.length !== events.length) {
    throw new Error(`execution ${executionId}: events not appended (execution gone or writes refused)`);
  }
  const out = rows
    .map((r) => ({ workspaceId, executionId, seq: r.seq, type: r.type, stepId: r.step_id, at: r.at, data: r.data }))
    .sort((a, b) => a.seq - b.seq);
  await announceEvents(client, out);
  return out;
}

/**
 * `appendEvents` for a caller that holds the execution row's lock and knows its `last_seq` and the
 * transaction's `at` (from an earlier append): in an engine-owned transaction the statement is sent
 * in the COMMIT's round trip, one round trip less while the lock is held. Its seqs are known
 * beforehand, so it is announced now; the statement checks that it wrote exactly that (and the
 * writes' guard) and fails the transaction otherwise (`weft_check`).
 */
export async function appendEventsAtCommit(
  client: TenantClient,
  exec: { workspaceId: string; executionId: string; lastSeq: number; at: Date },
  events: NewEvent[],
  writes?: WritesWithAppend,
): Promise<void> {
  if (!(client instanceof TenantTx) || events.length === 0) {
    await appendEvents(client, exec.workspaceId, exec.executionId, events, writes);
    return;
  }
  const values = writes?.values ?? [];
  const expected = `$${7 + values.length}::bigint`;
  const guard = writes?.guard === undefined ? '' : ` AND (${writes.guard})`;
  client.beforeCommit(
    named(
      writes === undefined ? 'weft-append-at-commit' : `weft-append-at-commit+${writes.name}`,
      `WITH ${writes === undefined ? '' : `${writes.ctes},`}
         e AS (UPDATE executions SET last_seq = last_seq + $3::int WHERE id = $2 RETURNING last_seq),
         ins AS (
           INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data)
           SELECT $1, $2, e.last_seq - $3::int + x.o::int, x.t, x.s, x.d
             FROM e, unnest($4::text[], $5::text[], $6::jsonb[]) WITH ORDINALITY AS x(t, s, d, o)
           RETURNING 1
         )
       SELECT weft_check((SELECT count(*) FROM ins) = $3::int AND (SELECT last_seq FROM e) = ${expected}${guard}
                         ${runSelects(writes)},
                         'events not appended as announced')`,
      [
        exec.workspaceId,
        exec.executionId,
        events.length,
        events.map((e) => e.type),
        events.map((e) => e.stepId ?? null),
        events.map((e) => (e.data === undefined ? null : JSON.stringify(e.data))),
        ...values,
        exec.lastSeq + events.length,
      ],
    ),
  );
  await announceEvents(
    client,
    events.map((e, i) => ({
      workspaceId: exec.workspaceId,
      executionId: exec.executionId,
      seq: exec.lastSeq + i + 1,
      type: e.type,
      stepId: e.stepId ?? null,
      at: exec.at,
      data: e.data ?? null,
    })),
  );
}

/** The job that carries a child run's end to its parent's step (sub-plans.ts). */
export const CHILD_DONE_TASK = 'weft.child-done';

/** Changes the execution's status and announces it at commit. */
export async function setExecutionStatus(
  client: TenantClient,
  execution: ExecutionRow,
  status: ExecutionStatus,
  extra: { output?: unknown; error?: string | null; finished?: boolean; started?: boolean } = {},
): Promise<void> {
  // A child run that ends tells its parent's step through a queued `weft.child-done` job (same
  // statement, no extra round trip): the job locks the parent alone, so a child never waits for
  // its parent's lock while holding its own (a parent's cancel locks parent, then children).
  await client.query(
    `WITH u AS (
       UPDATE executions SET status = $2,
        output = CASE WHEN $3::boolean THEN $4::jsonb ELSE output END,
        error = CASE WHEN $5::boolean THEN $6 ELSE error END,
        finished_at = CASE WHEN $7::boolean THEN now() WHEN $2 IN ('RUNNING','PAUSED','WAITING_APPROVAL','ROLLING_BACK') THEN NULL ELSE finished_at END,
        started_at = CASE WHEN $8::boolean THEN coalesce(started_at, now()) ELSE started_at END
      WHERE id = $1
      RETURNING workspace_id, id, parent_execution_id, parent_step_id, parent_item
     )
     SELECT weft_enqueue('${CHILD_DONE_TASK}', json_build_object('w', workspace_id, 'e', parent_execution_id,
              's', parent_step_id, 'i', parent_item, 'c', id), NULL)
       FROM u WHERE parent_execution_id IS NOT NULL AND $2 IN ('SUCCEEDED', 'FAILED', 'CANCELLED')`,
    [
      execution.id,
      status,
      extra.output !== undefined,
      extra.output === undefined ? null : JSON.stringify(extra.output),
      extra.error !== undefined,
      extra.error ?? null,
      extra.finished === true,
      extra.started === true,
    ],
  );
  if (status !== execution.status) {
    await announce(client, Channel.status, JSON.stringify({ w: execution.workspace_id, e: execution.id, status }));
  }
  execution.status = status;
}

/** Queues engine jobs in the caller's transaction, in one call (see `weft_enqueue_many` in the migrations). */
export async function enqueue(
  client: TenantClient,
  task: string,
  payloads: Array<Record<string, unknown>>,
  runAt: Date | null = null,
): Promise<void> {
  if (payloads.length === 0) return;
  await client.query('SELECT weft_enqueue_many($1, $2::json[], $3)', [
    task,
    payloads.map((p) => JSON.stringify(p)),
    runAt,
  ]);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A worker transaction's first statement, sent with BEGIN in the same round trip (simple query
 * protocol: prepared once per connection and executed with its values written as literals, see
 * statement-batch.ts). Its rows are handed to the transaction's work.
 */
export interface OpeningQuery {
  text: string;
  values: Array<string | readonly string[]>;
  /**
   * Statements sent in the same round trip right after it (each prepared once per connection, its
   * values written as literals: statement-batch.ts), so they cannot depend on its rows; their rows
   * go to the transaction's work too. An error in them fails the transaction like any statement's.
   */
  then?: Statement[];
}

/** The transaction of the engine's own (worker-side) work: statements may be written with literals. */
export type TxClient = TenantTx;

/**
 * The scope of a worker transaction: only its workspace, and a workspace id from a job payload
 * that is not a UUID is refused outright.
 */
export function workerScope(workspaceId: string): TenantScope {
  if (!UUID.test(workspaceId)) throw new Error(`not a workspace id: ${JSON.stringify(workspaceId)}`);
  return { workspaceId };
}

/**
 * `withTenant`'s options for the engine's own transactions: retried on deadlock (4 more times),
 * round trips of prepared statements with literal values (statement-batch.ts), `opening` sent with
 * BEGIN, and announcements sent as `publish` says (with its COMMIT when `withCommit`).
 */
export function workerTx(publish: Publisher | undefined, opening?: OpeningQuery): TenantTxOptions {
  return {
    retries: 4,
    send: queryLiteral,
    ...(opening === undefined
      ? {}
      : { opening: [{ text: opening.text, values: opening.values }, ...(opening.then ?? [])] }),
    // Without a publisher (or with one that NOTIFYs), `withTenant` NOTIFYs with the COMMIT.
    ...(publish === undefined || publish.withCommit === true ? {} : { publish }),
  };
}

/**
 * One engine-owned transaction in a workspace: `withTenant` with `workerScope` and `workerTx`, the
 * work given the transaction itself (what it holds for the commit goes with it).
 */
export function inWorkerTx<T>(
  pool: pg.Pool,
  workspaceId: string,
  work: (tx: TxClient) => Promise<T>,
  publish: Publisher | undefined,
  opening?: OpeningQuery,
): Promise<T> {
  return withTenant(pool, workerScope(workspaceId), (_client, tx) => work(tx), workerTx(publish, opening));
}
