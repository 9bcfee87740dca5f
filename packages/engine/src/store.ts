/**
 * SQL of the engine's state, always run on a client inside a tenant transaction. Every state
 * transition locks the execution row first (`lockExecution`), so transitions of one execution are
 * serialised and each appends its events with the next gapless `seq`.
 */
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

export interface NewEvent {
  type: string;
  stepId?: string | null;
  data?: unknown;
}

export const TERMINAL: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK'];
export const ACTIVE: readonly ExecutionStatus[] = ['RUNNING', 'WAITING_APPROVAL', 'QUEUED'];

/** Notification channels (Postgres LISTEN/NOTIFY). */
export const Channel = { events: 'weft_events', status: 'weft_status', cancel: 'weft_cancel' } as const;

// NOTIFY payloads are capped at 8000 bytes; larger events are announced without data and read back.
const NOTIFY_LIMIT = 7000;

export async function lockExecution(client: TenantClient, executionId: string): Promise<ExecutionRow | null> {
  const { rows } = await client.query<ExecutionRow>(
    `SELECT workspace_id, id, plan_id, plan_version_id, status, mode, input, context, last_seq, trace_parent
       FROM executions WHERE id = $1 FOR UPDATE`,
    [executionId],
  );
  return rows[0] ?? null;
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

/** Appends events with the next sequence numbers and announces them at commit. */
export async function appendEvents(
  client: TenantClient,
  workspaceId: string,
  executionId: string,
  events: NewEvent[],
): Promise<ExecutionEvent[]> {
  if (events.length === 0) return [];
  const { rows } = await client.query<{ last_seq: number }>(
    'UPDATE executions SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq',
    [executionId, events.length],
  );
  const last = rows[0]?.last_seq;
  if (last === undefined) throw new Error(`execution ${executionId} vanished while appending events`);
  const first = last - events.length + 1;
  const inserted = await client.query<{ seq: number; type: string; step_id: string | null; data: unknown; at: Date }>(
    `INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data)
     SELECT $1, $2, $3 + o - 1, t, s, d
       FROM unnest($4::text[], $5::text[], $6::jsonb[]) WITH ORDINALITY AS e(t, s, d, o)
     RETURNING seq, type, step_id, data, at`,
    [
      workspaceId,
      executionId,
      first,
      events.map((e) => e.type),
      events.map((e) => e.stepId ?? null),
      events.map((e) => (e.data === undefined ? null : JSON.stringify(e.data))),
    ],
  );
  const out = inserted.rows
    .map((r) => ({ workspaceId, executionId, seq: r.seq, type: r.type, stepId: r.step_id, at: r.at, data: r.data }))
    .sort((a, b) => a.seq - b.seq);
  const payloads = out.map((e) => {
    const full = JSON.stringify({
      w: workspaceId,
      e: executionId,
      seq: e.seq,
      t: e.type,
      s: e.stepId,
      at: e.at,
      d: e.data,
    });
    return full.length <= NOTIFY_LIMIT
      ? full
      : JSON.stringify({ w: workspaceId, e: executionId, seq: e.seq, big: true });
  });
  await client.query(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, [Channel.events, payloads]);
  return out;
}

/** Changes the execution's status and announces it at commit. */
export async function setExecutionStatus(
  client: TenantClient,
  execution: ExecutionRow,
  status: ExecutionStatus,
  extra: { output?: unknown; error?: string | null; finished?: boolean; started?: boolean } = {},
): Promise<void> {
  await client.query(
    `UPDATE executions SET status = $2,
        output = CASE WHEN $3::boolean THEN $4::jsonb ELSE output END,
        error = CASE WHEN $5::boolean THEN $6 ELSE error END,
        finished_at = CASE WHEN $7::boolean THEN now() WHEN $2 IN ('RUNNING','PAUSED','WAITING_APPROVAL','ROLLING_BACK') THEN NULL ELSE finished_at END,
        started_at = CASE WHEN $8::boolean THEN coalesce(started_at, now()) ELSE started_at END
      WHERE id = $1`,
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
    await client.query('SELECT pg_notify($1, $2)', [
      Channel.status,
      JSON.stringify({ w: execution.workspace_id, e: execution.id, status }),
    ]);
  }
  execution.status = status;
}

/** Queues an engine job in the caller's transaction (see `weft_enqueue` in the migration). */
export async function enqueue(
  client: TenantClient,
  task: string,
  payloads: Array<Record<string, unknown>>,
  runAt: Date | null = null,
): Promise<void> {
  if (payloads.length === 0) return;
  await client.query('SELECT weft_enqueue($1, p::json, $3) FROM unnest($2::text[]) AS p', [
    task,
    payloads.map((p) => JSON.stringify(p)),
    runAt,
  ]);
}
