/**
 * Runs one tool call outside any transaction, holding the step's lease: heartbeats renew it (and
 * the step's resource locks) and notice a cancel or a lost lease, which abort the call; `timeoutMs`
 * aborts it too. A tool that ignores its signal is abandoned at the abort, not awaited.
 */
import { withTenant } from '@weft/db';
import { EngineError, StaleAttemptError, toEngineError } from './errors.ts';
import { renewLocks } from './resource-locks.ts';
import type { Runtime } from './runtime.ts';
import { type CodedError, StepErrorCode } from './step-error.ts';
import { createStepLog } from './step-logs.ts';
import type { ExecutionMode, StepSpec, ToolContext, ToolDefinition } from './types.ts';

export interface ToolCall {
  workspaceId: string;
  executionId: string;
  stepId: string;
  fence: number;
  attempt: number;
  mode: ExecutionMode;
  tool: ToolDefinition;
  input: unknown;
  timeoutMs: number | undefined;
  lockHolder: string | null;
  lockKeys: string[];
  /** A compensation's call (its attempts are numbered apart from the step's runs). */
  kind?: 'run' | 'compensate';
}

/** An attempt whose start (attempt row, lease, `step.started`) is recorded: what to call, for which step. */
export interface RunBegin {
  kind: 'run';
  call: ToolCall;
  step: StepSpec;
  traceParent: string | null;
  /** This attempt runs the step's `fallback` (fallback.ts); `step` is then the fallback's view of it. */
  fellBack?: boolean;
}

export type CallOutcome =
  | { ok: true; output: unknown; durationMs: number }
  | { ok: false; error: Error; durationMs: number; interrupted: boolean };

/** Why a call was aborted by the engine itself (not a tool failure). */
export class Interrupted extends Error implements CodedError {
  override name = 'Interrupted';
  constructor(
    message: string,
    readonly stepErrorCode: StepErrorCode = StepErrorCode.INTERRUPTED,
  ) {
    super(message);
  }
}

export async function callTool(rt: Runtime, call: ToolCall): Promise<CallOutcome> {
  const controller = new AbortController();
  const unregister = rt.running.add(call.workspaceId, call.executionId, call.stepId, controller);
  const started = performance.now();
  const beat = setInterval(() => void heartbeat(rt, call, controller), Math.max(50, Math.floor(rt.stepLeaseMs / 3)));
  const timer =
    call.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new EngineError('STEP_TIMEOUT', `step "${call.stepId}" timed out after ${call.timeoutMs} ms`),
            ),
          call.timeoutMs,
        );
  try {
    const output = await untilAborted(controller.signal, () =>
      call.tool.run(call.input, toolContext(rt, call, controller.signal)),
    );
    return { ok: true, output, durationMs: performance.now() - started };
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    return {
      ok: false,
      error: toEngineError(reason),
      durationMs: performance.now() - started,
      interrupted: reason instanceof Interrupted,
    };
  } finally {
    clearInterval(beat);
    if (timer !== undefined) clearTimeout(timer);
    unregister();
  }
}

/**
 * `run`'s result, or a rejection with the signal's reason as soon as it aborts: a tool that ignores
 * its signal is abandoned (its late settling swallowed), never awaited.
 */
export async function untilAborted<T>(signal: AbortSignal, run: () => T | Promise<T>): Promise<T> {
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  const running = Promise.resolve().then(run);
  running.catch(() => {});
  return Promise.race([running, aborted]);
}

/** A run's context value, for any call of the run: a read needs no ownership of the step. */
export function readContext(rt: Runtime, workspaceId: string, executionId: string, key: string): Promise<unknown> {
  return withTenant(rt.pools.app, { workspaceId }, async (client) => {
    const { rows } = await client.query<{ value: unknown }>(
      'SELECT context -> $2 AS value FROM executions WHERE id = $1',
      [executionId, key],
    );
    return rows[0]?.value ?? undefined;
  });
}

/** The bodies posted on a run's channel, oldest first. */
export function readMessages(
  rt: Runtime,
  workspaceId: string,
  executionId: string,
  channel: string,
): Promise<unknown[]> {
  return withTenant(rt.pools.app, { workspaceId }, async (client) => {
    const { rows } = await client.query<{ body: unknown }>(
      'SELECT body FROM step_messages WHERE execution_id = $1 AND channel = $2 ORDER BY id',
      [executionId, channel],
    );
    return rows.map((r) => r.body);
  });
}

/**
 * Keeps renewing the step's lease after its tool returned, until its outcome is committed (a
 * finish may wait for its batch): a slow commit must not look like a dead worker.
 */
export function holdLease(rt: Runtime, call: ToolCall): () => void {
  const controller = new AbortController();
  const beat = setInterval(() => void heartbeat(rt, call, controller), Math.max(50, Math.floor(rt.stepLeaseMs / 3)));
  return () => clearInterval(beat);
}

async function heartbeat(rt: Runtime, call: ToolCall, controller: AbortController): Promise<void> {
  if (controller.signal.aborted) return;
  try {
    const state = await withTenant(rt.pools.app, { workspaceId: call.workspaceId }, async (client) => {
      const { rows } = await client.query<{ held: boolean; status: string | null }>(
        `SELECT weft_lease_renew($1, $2, $3, $4) AS held, (SELECT status FROM executions WHERE id = $1) AS status`,
        [call.executionId, call.stepId, call.fence, rt.stepLeaseMs],
      );
      if (call.lockHolder !== null) {
        await renewLocks(rt, client, call.workspaceId, call.lockKeys, call.lockHolder);
      }
      return rows[0];
    });
    if (state?.status === 'CANCELLED')
      controller.abort(new Interrupted('execution cancelled', StepErrorCode.CANCELLED));
    else if (state?.held === false)
      controller.abort(new Interrupted('lease lost: another worker owns this step now', StepErrorCode.LEASE_EXPIRED));
  } catch (err) {
    // A missed beat is harmless until the lease runs out; then the sweeper re-dispatches the step.
    rt.logger.warn({ err, executionId: call.executionId, stepId: call.stepId }, 'step heartbeat failed');
  }
}

/**
 * Runs one write of the attempt's tool (`$5`, `$6`, ... after the step's key and fence) only while
 * the attempt still owns its step, else writes nothing and throws `StaleAttemptError`. A stalled
 * attempt would otherwise change a run that another attempt, a cancel or the step's own finish has
 * taken over. `owned` locks the step row FOR SHARE, so a re-dispatch (a new fence) waits for a
 * write that saw the old one: the write lands before the step changes hands or not at all. Step
 * row before execution row, the lock order of worker transactions. A cancel skips the rows it
 * finds locked (this one, during the write) and leaves them RUNNING for their worker to finish,
 * hence the execution status. A compensation runs while its step is SUCCEEDED, the run ROLLING_BACK.
 */
async function ownedWrite(rt: Runtime, call: ToolCall, statement: string, values: unknown[]): Promise<void> {
  const written = await withTenant(rt.pools.app, { workspaceId: call.workspaceId }, async (client) => {
    const { rowCount } = await client.query(
      `WITH owned AS MATERIALIZED (
         SELECT 1 FROM step_runs r JOIN executions e ON e.workspace_id = r.workspace_id AND e.id = r.execution_id
          WHERE r.workspace_id = $1 AND r.execution_id = $2 AND r.step_id = $3 AND r.fence = $4
            AND ((r.status = 'RUNNING' AND e.status <> 'CANCELLED')
              OR (r.status = 'SUCCEEDED' AND e.status = 'ROLLING_BACK'))
            FOR SHARE OF r)
       ${statement}`,
      [call.workspaceId, call.executionId, call.stepId, call.fence, ...values],
    );
    return (rowCount ?? 0) > 0;
  });
  if (!written) {
    rt.logger.warn(
      { executionId: call.executionId, stepId: call.stepId, fence: call.fence },
      'late write of a stale attempt rejected',
    );
    throw new StaleAttemptError(call.executionId, call.stepId, call.fence);
  }
}

function toolContext(rt: Runtime, call: ToolCall, signal: AbortSignal): ToolContext {
  return {
    workspaceId: call.workspaceId,
    executionId: call.executionId,
    stepId: call.stepId,
    attempt: call.attempt,
    mode: call.mode,
    signal,
    context: {
      get: (key) => readContext(rt, call.workspaceId, call.executionId, key),
      set: (key, value) =>
        ownedWrite(
          rt,
          call,
          `UPDATE executions SET context = jsonb_set(context, ARRAY[$5::text], $6::jsonb, true)
            WHERE workspace_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM owned)`,
          [key, JSON.stringify(value ?? null)],
        ),
    },
    messages: {
      post: (channel, body) =>
        ownedWrite(
          rt,
          call,
          `INSERT INTO step_messages (workspace_id, execution_id, channel, step_id, body)
           SELECT $1, $2, $5, $3, $6::jsonb FROM owned`,
          [channel, JSON.stringify(body ?? null)],
        ),
      read: (channel) => readMessages(rt, call.workspaceId, call.executionId, channel),
    },
    log: createStepLog(rt, call),
  };
}
