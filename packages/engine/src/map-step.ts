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
import { MAP_DEFAULT_CONCURRENCY, MAP_MAX_ITEMS } from './composite-steps.ts';
import { cancel } from './controls.ts';
import { EngineError, toEngineError } from './errors.ts';
import type { NewEvent } from './events.ts';
import { mockFromSchema } from './mock-output.ts';
import type { Runtime } from './runtime.ts';
import { advance, Task } from './scheduler.ts';
import { ACTIVE, appendEvents, type ExecutionRow, enqueue, inWorkerTx, lockExecution } from './store.ts';
import { ChildStartError, finishComposite, type Opened, startChild, templateScope } from './sub-plans.ts';
import { resolveTemplates } from './templates.ts';
import { Interrupted } from './tool-call.ts';
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
    await enqueue(
      client,
      Task.mapItem,
      started.map((item) => ({
        w: exec.workspace_id,
        e: exec.id,
        s: step.id,
        i: item.idx,
        f: item.fence,
        a: item.attempts,
      })),
    );
  }
  return { status: 'WAITING' };
}

/**
 * Records a RUNNING item's end under the execution's lock: success, a retry (the item goes back to
 * PENDING), or a final failure that fails the step and cancels the other items. Then starts more.
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

/** Cancels a map step's unfinished items (their child runs too); running tool calls are aborted by their job's check. */
export async function cancelItems(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  stepId: string,
): Promise<void> {
  const { rows } = await client.query<{ child: string | null }>(
    `UPDATE map_items SET status = 'CANCELLED', fence = fence + 1, finished_at = now()
      WHERE execution_id = $1 AND step_id = $2 AND status IN ('PENDING', 'RUNNING')
      RETURNING child_execution_id AS child`,
    [exec.id, stepId],
  );
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
  const found = await withTenant(rt.pools.app, { workspaceId: job.w }, async (client) => {
    const { rows } = await client.query<{ input: unknown; ok: boolean; mode: 'LIVE' | 'DRY_RUN'; version: string }>(
      `SELECT m.input, (m.status = 'RUNNING' AND m.fence = $4 AND e.status <> 'CANCELLED') AS ok, e.mode,
              e.plan_version_id AS version
         FROM map_items m JOIN executions e ON e.workspace_id = m.workspace_id AND e.id = m.execution_id
        WHERE m.execution_id = $1 AND m.step_id = $2 AND m.idx = $3`,
      [job.e, job.s, job.i, job.f],
    );
    const row = rows[0];
    if (row === undefined || !row.ok) return null;
    const plan = await rt.plans.load(client, job.w, row.version);
    return { ...row, step: plan.steps.get(job.s) };
  });
  if (found === null || found.step?.tool === undefined) return;
  const step = found.step;
  const tool = resolveToolRef(await rt.registry.list(job.w), step.tool ?? '');
  const called =
    tool === null
      ? ({ ok: false, error: `no tool "${step.tool}" in this workspace` } as const)
      : await callItemTool(rt, job, tool, found.input, found.mode, step.timeoutMs);
  if (called === INTERRUPTED) {
    // A cancel has recorded the item already; a stopping worker leaves it RUNNING under its fence
    // and fails the job, so graphile-worker runs it again (here or in another process).
    if (rt.stopping) throw new Error(`map item ${job.s}[${job.i}] interrupted: worker stopping`);
    return;
  }
  const outcome: Outcome = called;
  await inWorkerTx(
    rt.pools.app,
    job.w,
    async (client) => {
      const exec = await lockExecution(client, job.e);
      if (exec === null || !(ACTIVE.includes(exec.status) || exec.status === 'PAUSED')) return;
      const events: NewEvent[] = [];
      if (!(await mapItemDone(rt, client, exec, step, job.i, { fence: job.f }, outcome, events))) return;
      await appendEvents(client, exec.workspace_id, exec.id, events);
      await advance(rt, client, exec);
    },
    rt.publish,
  );
}

const INTERRUPTED = Symbol('interrupted');

async function callItemTool(
  rt: Runtime,
  job: MapItemJob,
  tool: ToolDefinition,
  input: unknown,
  mode: 'LIVE' | 'DRY_RUN',
  timeoutMs: number | undefined,
): Promise<Outcome | typeof INTERRUPTED> {
  if (mode === 'DRY_RUN' && tool.dryRun !== 'run') return { ok: true, output: mockFromSchema(tool.outputSchema) };
  const controller = new AbortController();
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
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    const running = Promise.resolve().then(() => tool.run(input, itemContext(rt, job, controller.signal, mode)));
    running.catch(() => {});
    const output = await Promise.race([running, aborted]);
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
      get: (key) =>
        withTenant(rt.pools.app, scope, async (client) => {
          const { rows } = await client.query<{ value: unknown }>(
            'SELECT context -> $2 AS value FROM executions WHERE id = $1',
            [job.e, key],
          );
          return rows[0]?.value ?? undefined;
        }),
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
      read: (channel) =>
        withTenant(rt.pools.app, scope, async (client) => {
          const { rows } = await client.query<{ body: unknown }>(
            'SELECT body FROM step_messages WHERE execution_id = $1 AND channel = $2 ORDER BY id',
            [job.e, channel],
          );
          return rows.map((r) => r.body);
        }),
    },
    log: (level, message, data) => rt.logger[level]({ executionId: job.e, stepId: job.s, item: job.i, data }, message),
  };
}
