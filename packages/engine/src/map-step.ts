/**
 * Map steps (`type: "map"`): one item per element of `over`, each a `map_items` row written when
 * the step opens (its input resolved then, so a crash cannot change what runs). Items run as a
 * `weft.map-item` job calling the tool, or as a child execution of `plan`. Every transition of an
 * item happens under the parent execution's lock with a `map.item_started` / `map.item_finished`
 * event, so the events tell exactly which items were in flight; at most `concurrency` are. A
 * completed item is never run again (its row says so); a failing item (after its retries) fails
 * the step and cancels the others. Output: the items' outputs in item order.
 */
import { withTenant } from '@weft/db';
import { ChildStartError, finishComposite, type Opened, startChild } from './child-runs.ts';
import { MAP_DEFAULT_CONCURRENCY, MAP_MAX_ITEMS } from './composite-steps.ts';
import { cancel } from './controls.ts';
import { EngineError, toEngineError } from './errors.ts';
import type { NewEvent } from './events.ts';
import { dropItemLease, holdItemLease, itemLeaseKey, parseItemLeaseKey, takeItemLeases } from './map-item-lease.ts';
import { mockFromSchema } from './mock-output.ts';
import { retryDelay } from './retry-delay.ts';
import type { Runtime } from './runtime.ts';
import { templateScope } from './step-input.ts';
import { ACTIVE, appendEvents, type ExecutionRow, enqueue, inWorkerTx, lockExecution } from './store.ts';
import { Task } from './tasks.ts';
import { resolveTemplates } from './templates.ts';
import { Interrupted, readContext, readMessages, untilAborted } from './tool-call.ts';
import { resolveToolRef } from './tool-ref.ts';
import type { StepSpec, TenantClient, ToolContext, ToolDefinition } from './types.ts';

export interface MapItemJob {
  w: string;
  e: string;
  s: string;
  i: number;
  f: number;
  /** The item's attempt (1 = first run), as `ToolContext.attempt`. */
  a: number;
}

type Outcome = { ok: true; output: unknown } | { ok: false; error: string };

/** Resolves `over`, writes the item rows and starts the first items (the step is WAITING). */
export async function openMap(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  events: NewEvent[],
): Promise<Opened> {
  const scope = await templateScope(client, exec, step.input, step.over);
  const items = resolveTemplates(step.over ?? '', scope);
  const fail = async (error: string): Promise<Opened> => {
    await finishComposite(rt, client, exec, step.id, { ok: false, error }, events);
    return { status: 'FAILED', error };
  };
  if (!Array.isArray(items)) {
    return fail(`"over" (${step.over}) yielded ${items === null ? 'null' : typeof items}, not an array`);
  }
  if (items.length > MAP_MAX_ITEMS) {
    return fail(`"over" yielded ${items.length} items; a map step runs at most ${MAP_MAX_ITEMS}`);
  }
  // A retried step maps again from scratch.
  await client.query('DELETE FROM map_items WHERE execution_id = $1 AND step_id = $2', [exec.id, step.id]);
  if (items.length === 0) {
    await finishComposite(rt, client, exec, step.id, { ok: true, output: [] }, events);
    return { status: 'SUCCEEDED' };
  }
  const inputs = items.map((item, index) =>
    step.input === undefined ? item : resolveTemplates(step.input, { ...scope, item, index }),
  );
  await client.query(
    `INSERT INTO map_items (workspace_id, execution_id, step_id, idx, input)
     SELECT $1, $2, $3, x.o::int - 1, x.i FROM unnest($4::jsonb[]) WITH ORDINALITY AS x(i, o)`,
    [exec.workspace_id, exec.id, step.id, inputs.map((i) => JSON.stringify(i ?? null))],
  );
  events.push({ type: 'map.opened', stepId: step.id, data: { items: items.length } });
  return pumpMap(rt, client, exec, step, events);
}

/**
 * Under the execution's lock: starts PENDING items while fewer than `concurrency` run, or ends the
 * step when every item succeeded.
 */
async function pumpMap(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  events: NewEvent[],
): Promise<Opened> {
  const concurrency = step.concurrency ?? MAP_DEFAULT_CONCURRENCY;
  const { rows: counts } = await client.query<{ running: number; pending: number }>(
    `SELECT count(*) FILTER (WHERE status = 'RUNNING')::int AS running,
            count(*) FILTER (WHERE status = 'PENDING')::int AS pending
       FROM map_items WHERE execution_id = $1 AND step_id = $2`,
    [exec.id, step.id],
  );
  const running = counts[0]?.running ?? 0;
  const pending = counts[0]?.pending ?? 0;
  if (running === 0 && pending === 0) {
    const { rows } = await client.query<{ outputs: unknown[] }>(
      `SELECT coalesce(json_agg(output ORDER BY idx), '[]'::json) AS outputs
         FROM map_items WHERE execution_id = $1 AND step_id = $2`,
      [exec.id, step.id],
    );
    await finishComposite(rt, client, exec, step.id, { ok: true, output: rows[0]?.outputs ?? [] }, events);
    return { status: 'SUCCEEDED' };
  }
  const slots = Math.min(concurrency - running, pending);
  if (slots <= 0) return { status: 'WAITING' };
  const { rows: started } = await client.query<{ idx: number; fence: number; attempts: number; input: unknown }>(
    `UPDATE map_items SET status = 'RUNNING', fence = fence + 1, attempts = attempts + 1, error = NULL,
            started_at = now(), child_execution_id = NULL
      WHERE execution_id = $1 AND step_id = $2 AND idx IN (
        SELECT idx FROM map_items WHERE execution_id = $1 AND step_id = $2 AND status = 'PENDING'
         ORDER BY idx LIMIT $3)
      RETURNING idx, fence, attempts, input`,
    [exec.id, step.id, slots],
  );
  started.sort((a, b) => a.idx - b.idx);
  for (const item of started) {
    events.push({ type: 'map.item_started', stepId: step.id, data: { index: item.idx, attempt: item.attempts } });
  }
  if (step.plan !== undefined) {
    for (const item of started) {
      try {
        const child = await startChild(rt, client, exec, step, item.idx, item.input);
        await client.query(
          'UPDATE map_items SET child_execution_id = $4 WHERE execution_id = $1 AND step_id = $2 AND idx = $3',
          [exec.id, step.id, item.idx, child],
        );
      } catch (error) {
        if (!(error instanceof ChildStartError)) throw error;
        // Nothing to retry: the plan is missing or too deep; the whole step fails.
        await itemFinished(rt, client, exec, step, item.idx, { ok: false, error: error.message }, events, true);
        return { status: 'FAILED', error: error.message };
      }
    }
  } else {
    await dispatchItems(rt, client, exec, step.id, started, null);
  }
  return { status: 'WAITING' };
}

/** Queues RUNNING tool items' jobs (at `runAt`, else now) with a queued lease each. */
async function dispatchItems(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  stepId: string,
  items: Array<{ idx: number; fence: number; attempts: number }>,
  runAt: Date | null,
): Promise<void> {
  await enqueue(
    client,
    Task.mapItem,
    items.map((item) => ({
      w: exec.workspace_id,
      e: exec.id,
      s: stepId,
      i: item.idx,
      f: item.fence,
      a: item.attempts,
    })),
    runAt,
  );
  // A job lost before it began (or never picked up) is re-dispatched once this lease expires.
  const delay = runAt === null ? 0 : Math.max(0, runAt.getTime() - Date.now());
  await takeItemLeases(
    client,
    items.map((item) => ({ executionId: exec.id, stepId, index: item.idx, fence: item.fence })),
    'queue',
    delay + rt.queuedLeaseMs,
  );
}

/**
 * The lease sweeper's hook for an expired item lease (the execution's row is locked first, as for
 * every item transition): a RUNNING item still under the lease's fence gets a new fence and a new
 * job. Its worker's fault, not the tool's, so the attempt is not spent. The dead worker's late
 * result, if any, carries the old fence and is ignored.
 */
export async function recoverItem(
  rt: Runtime,
  client: TenantClient,
  lease: { execution_id: string; step_id: string; fence: number; worker_id: string },
): Promise<boolean> {
  const exec = await lockExecution(client, lease.execution_id);
  const key = parseItemLeaseKey(lease.step_id);
  const drop = () =>
    client.query('SELECT weft_lease_drop($1, $2, $3)', [lease.execution_id, lease.step_id, lease.fence]);
  if (exec === null || key === null || !(ACTIVE.includes(exec.status) || exec.status === 'PAUSED')) {
    await drop();
    return false;
  }
  // The item's row before its lease's, the order a job's begin takes them in.
  const { rows } = await client.query<{ idx: number; fence: number; attempts: number }>(
    `UPDATE map_items m SET fence = m.fence + 1, started_at = now()
       FROM step_runs r
      WHERE m.execution_id = $1 AND m.step_id = $2 AND m.idx = $3 AND m.fence = $4 AND m.status = 'RUNNING'
        AND m.child_execution_id IS NULL
        AND r.execution_id = m.execution_id AND r.step_id = m.step_id AND r.status = 'WAITING'
      RETURNING m.idx, m.fence, m.attempts`,
    [exec.id, key.stepId, key.index, lease.fence],
  );
  await drop();
  const item = rows[0];
  if (item === undefined) return false;
  await appendEvents(client, exec.workspace_id, exec.id, [
    {
      type: 'map.item_lost',
      stepId: key.stepId,
      data: { index: item.idx, attempt: item.attempts, worker: lease.worker_id === 'queue' ? null : lease.worker_id },
    },
  ]);
  await dispatchItems(rt, client, exec, key.stepId, [item], null);
  return true;
}

/**
 * Records a RUNNING item's end under the execution's lock: success, a retry (a tool item's job
 * due after the retry delay, a plan item back to PENDING), or a final failure that fails the step and cancels the other items. Then starts more.
 */
async function itemFinished(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  index: number,
  outcome: Outcome,
  events: NewEvent[],
  final = false,
): Promise<Opened> {
  const { rows } = await client.query<{ attempts: number }>(
    'SELECT attempts FROM map_items WHERE execution_id = $1 AND step_id = $2 AND idx = $3',
    [exec.id, step.id, index],
  );
  const attempts = rows[0]?.attempts ?? 1;
  const retrying = !outcome.ok && !final && attempts < (step.retry?.maxAttempts ?? 1);
  if (retrying && step.plan === undefined) return retryToolItem(rt, client, exec, step, index, outcome.error, events);
  const status = outcome.ok ? 'SUCCEEDED' : retrying ? 'PENDING' : 'FAILED';
  await client.query(
    `UPDATE map_items SET status = $4, output = $5::jsonb, error = $6, finished_at = now()
      WHERE execution_id = $1 AND step_id = $2 AND idx = $3`,
    [
      exec.id,
      step.id,
      index,
      status,
      outcome.ok ? JSON.stringify(outcome.output ?? null) : null,
      outcome.ok ? null : outcome.error,
    ],
  );
  events.push({
    type: 'map.item_finished',
    stepId: step.id,
    data: outcome.ok ? { index, ok: true } : { index, ok: false, error: outcome.error, retrying },
  });
  if (status !== 'FAILED') return pumpMap(rt, client, exec, step, events);
  const error = `item ${index} failed: ${outcome.ok ? '' : outcome.error}`;
  await cancelItems(rt, client, exec, step.id);
  await finishComposite(rt, client, exec, step.id, { ok: false, error }, events);
  return { status: 'FAILED', error };
}

/**
 * A failed tool item with attempts left runs again after the step's retry delay (`retryDelay`, as
 * for steps): it stays RUNNING, holding its concurrency slot, under a new fence, its job due then.
 */
async function retryToolItem(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  index: number,
  error: string,
  events: NewEvent[],
): Promise<Opened> {
  const { rows } = await client.query<{ idx: number; fence: number; attempts: number; prior: number }>(
    `UPDATE map_items SET fence = fence + 1, attempts = attempts + 1, error = $4, started_at = now()
      WHERE execution_id = $1 AND step_id = $2 AND idx = $3
      RETURNING idx, fence, attempts, attempts - 1 AS prior`,
    [exec.id, step.id, index, error],
  );
  const item = rows[0];
  if (item === undefined) return { status: 'WAITING' };
  events.push(
    { type: 'map.item_finished', stepId: step.id, data: { index, ok: false, error, retrying: true } },
    { type: 'map.item_started', stepId: step.id, data: { index, attempt: item.attempts } },
  );
  await dispatchItems(rt, client, exec, step.id, [item], new Date(Date.now() + retryDelay(step, item.prior)));
  return { status: 'WAITING' };
}

/** Cancels a map step's unfinished items (their child runs too); a running tool call is aborted by its next heartbeat. */
export async function cancelItems(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  stepId: string,
): Promise<void> {
  const { rows } = await client.query<{ child: string | null; idx: number }>(
    `UPDATE map_items SET status = 'CANCELLED', fence = fence + 1, finished_at = now()
      WHERE execution_id = $1 AND step_id = $2 AND status IN ('PENDING', 'RUNNING')
      RETURNING child_execution_id AS child, idx`,
    [exec.id, stepId],
  );
  // Their leases go too: a running item's next heartbeat finds it gone and aborts the tool.
  await client.query('SELECT weft_lease_drop($1, k, NULL) FROM unnest($2::text[]) AS k', [
    exec.id,
    rows.map((r) => itemLeaseKey(stepId, r.idx)),
  ]);
  for (const { child } of rows) {
    if (child !== null) await cancel(rt, client, child, { userId: null, role: null });
  }
}

/**
 * A map item's end reported by its child run or its job; false when stale (the item is no longer
 * RUNNING under that child or fence: nothing written).
 */
export async function mapItemDone(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  step: StepSpec,
  index: number,
  by: { child: string } | { fence: number },
  outcome: Outcome,
  events: NewEvent[],
): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    `SELECT (m.status = 'RUNNING' AND r.status = 'WAITING'
             AND ($4::uuid IS NULL OR m.child_execution_id = $4) AND ($5::int IS NULL OR m.fence = $5)) AS ok
       FROM map_items m JOIN step_runs r ON r.execution_id = m.execution_id AND r.step_id = m.step_id
      WHERE m.execution_id = $1 AND m.step_id = $2 AND m.idx = $3 FOR UPDATE OF m`,
    [exec.id, step.id, index, 'child' in by ? by.child : null, 'fence' in by ? by.fence : null],
  );
  if (rows[0]?.ok !== true) return false;
  await itemFinished(rt, client, exec, step, index, outcome, events);
  return true;
}

/** The `weft.map-item` job: runs one tool item outside any transaction, then records it. */
export async function runMapItemJob(rt: Runtime, job: MapItemJob): Promise<void> {
  const leased = { executionId: job.e, stepId: job.s, index: job.i, fence: job.f };
  const found = await withTenant(rt.pools.app, { workspaceId: job.w }, async (client) => {
    const { rows } = await client.query<{ input: unknown; ok: boolean; mode: 'LIVE' | 'DRY_RUN'; version: string }>(
      `SELECT m.input, (m.status = 'RUNNING' AND m.fence = $4 AND e.status <> 'CANCELLED') AS ok, e.mode,
              e.plan_version_id AS version
         FROM map_items m JOIN executions e ON e.workspace_id = m.workspace_id AND e.id = m.execution_id
        WHERE m.execution_id = $1 AND m.step_id = $2 AND m.idx = $3
          FOR SHARE OF m`,
      [job.e, job.s, job.i, job.f],
    );
    const row = rows[0];
    if (row === undefined || !row.ok) return null;
    const plan = await rt.plans.load(client, job.w, row.version);
    const step = plan.steps.get(job.s);
    if (step?.tool !== undefined) await takeItemLeases(client, [leased], rt.workerId, rt.stepLeaseMs);
    return { ...row, step };
  });
  if (found === null || found.step?.tool === undefined) return;
  const step = found.step;
  const controller = new AbortController();
  // Held until the result is committed: a slow commit must not look like a dead worker.
  const release = holdItemLease(rt, job.w, leased, controller);
  try {
    const tool = resolveToolRef(await rt.registry.list(job.w), step.tool ?? '');
    const called =
      tool === null
        ? ({ ok: false, error: `no tool "${step.tool}" in this workspace` } as const)
        : await callItemTool(rt, job, tool, found.input, found.mode, step.timeoutMs, controller);
    if (called === INTERRUPTED) {
      // A cancel has recorded the item already, and a lost lease means another worker runs it; a
      // stopping worker leaves it RUNNING under its fence and fails the job, so graphile-worker
      // runs it again, or the sweeper re-dispatches it once the lease expires, whichever is first.
      if (rt.stopping) throw new Error(`map item ${job.s}[${job.i}] interrupted: worker stopping`);
      return;
    }
    const outcome: Outcome = called;
    await inWorkerTx(
      rt.pools.app,
      job.w,
      async (client) => {
        const exec = await lockExecution(client, job.e);
        const events: NewEvent[] = [];
        const done =
          exec !== null &&
          (ACTIVE.includes(exec.status) || exec.status === 'PAUSED') &&
          (await mapItemDone(rt, client, exec, step, job.i, { fence: job.f }, outcome, events));
        // After the item's row (a retry has leased its new fence already; this drops only ours).
        await dropItemLease(client, leased);
        if (!done || exec === null) return;
        await appendEvents(client, exec.workspace_id, exec.id, events);
        await rt.advance(client, exec);
      },
      rt.publish,
    );
  } finally {
    release();
  }
}

const INTERRUPTED = Symbol('interrupted');

async function callItemTool(
  rt: Runtime,
  job: MapItemJob,
  tool: ToolDefinition,
  input: unknown,
  mode: 'LIVE' | 'DRY_RUN',
  timeoutMs: number | undefined,
  controller: AbortController,
): Promise<Outcome | typeof INTERRUPTED> {
  if (mode === 'DRY_RUN' && tool.dryRun !== 'run') return { ok: true, output: mockFromSchema(tool.outputSchema) };
  // Registered per item so a cancel of the run aborts it (RunningSteps keys by step id).
  const unregister = rt.running.add(job.w, job.e, `${job.s}[${job.i}]`, controller);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new EngineError('STEP_TIMEOUT', `item timed out after ${timeoutMs} ms`)),
          timeoutMs,
        );
  try {
    const output = await untilAborted(controller.signal, () =>
      tool.run(input, itemContext(rt, job, controller.signal, mode)),
    );
    const bytes = Buffer.byteLength(JSON.stringify(output ?? null));
    if (bytes > rt.maxOutputBytes) {
      return { ok: false, error: `output of ${bytes} bytes exceeds the limit of ${rt.maxOutputBytes} bytes` };
    }
    return { ok: true, output };
  } catch (error) {
    if (error instanceof Interrupted) return INTERRUPTED;
    return { ok: false, error: toEngineError(error).message };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    unregister();
  }
}

/** A map item's tool context: reads the run's context; writes only while the item is still its own. */
function itemContext(rt: Runtime, job: MapItemJob, signal: AbortSignal, mode: 'LIVE' | 'DRY_RUN'): ToolContext {
  const scope = { workspaceId: job.w };
  const owned = `EXISTS (SELECT 1 FROM map_items WHERE execution_id = $1 AND step_id = $2 AND idx = $3
                           AND fence = $4 AND status = 'RUNNING')`;
  return {
    workspaceId: job.w,
    executionId: job.e,
    stepId: job.s,
    attempt: job.a,
    mode,
    signal,
    context: {
      get: (key) => readContext(rt, job.w, job.e, key),
      set: async (key, value) => {
        await withTenant(rt.pools.app, scope, (client) =>
          client.query(
            `UPDATE executions SET context = jsonb_set(context, ARRAY[$5::text], $6::jsonb, true)
              WHERE id = $1 AND ${owned}`,
            [job.e, job.s, job.i, job.f, key, JSON.stringify(value ?? null)],
          ),
        );
      },
    },
    messages: {
      post: async (channel, body) => {
        await withTenant(rt.pools.app, scope, (client) =>
          client.query(
            `INSERT INTO step_messages (workspace_id, execution_id, channel, step_id, body)
             SELECT $7, $1, $5, $2, $6::jsonb WHERE ${owned}`,
            [job.e, job.s, job.i, job.f, channel, JSON.stringify(body ?? null), job.w],
          ),
        );
      },
      read: (channel) => readMessages(rt, job.w, job.e, channel),
    },
    log: (level, message, data) => rt.logger[level]({ executionId: job.e, stepId: job.s, item: job.i, data }, message),
  };
}
