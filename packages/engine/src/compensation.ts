/**
 * Rollback: the `weft.compensate` job runs the `compensate` of one completed step at a time, in
 * reverse dependency order, then queues itself for the next; with none left the execution ends
 * ROLLED_BACK. Progress is in `step_runs` (COMPENSATED), so a crashed rollback resumes where it was.
 */
import { withTenant } from '@weft/db';
import { EngineError } from './errors.ts';
import { mockFromSchema } from './mock-output.ts';
import type { Runtime } from './runtime.ts';
import { stepErrorOf } from './step-error.ts';
import {
  appendEvents,
  enqueue,
  loadStepRuns,
  lockExecution,
  setExecutionStatus,
  workerScope,
  workerTx,
} from './store.ts';
import { Task } from './tasks.ts';
import { resolveTemplates } from './templates.ts';
import { callTool, type ToolCall } from './tool-call.ts';
import type { TenantClient, ToolDefinition } from './types.ts';

const MAX_COMPENSATION_ATTEMPTS = 3;

export interface CompensateJob {
  w: string;
  e: string;
}

type Begin = { kind: 'skip' } | { kind: 'run'; call: ToolCall; mocked: unknown | undefined; isMock: boolean };

export async function runCompensateJob(rt: Runtime, job: CompensateJob): Promise<void> {
  const begun = await withTenant(
    rt.pools.app,
    workerScope(job.w),
    (_client, tx) => begin(rt, tx, job),
    workerTx(rt.publish),
  );
  if (begun.kind !== 'run') return;
  const outcome = begun.isMock
    ? { ok: true as const, output: begun.mocked, durationMs: 0 }
    : await callTool(rt, begun.call);
  await withTenant(
    rt.pools.app,
    workerScope(job.w),
    async (_connection, client) => {
      const { call } = begun;
      const exec = await lockExecution(client, job.e);
      const runs = exec === null ? null : await loadStepRuns(client, job.e);
      const run = runs?.get(call.stepId);
      if (exec === null || run === undefined || run.fence !== call.fence || exec.status !== 'ROLLING_BACK') {
        await client.query(
          `UPDATE step_attempts SET status = CASE WHEN status = 'RUNNING' THEN 'REJECTED' ELSE status END
          WHERE execution_id = $1 AND step_id = $2 AND kind = 'compensate' AND attempt = $3`,
          [job.e, call.stepId, call.attempt],
        );
        return;
      }
      await client.query('SELECT weft_lease_drop($1, $2, $3)', [job.e, call.stepId, call.fence]);
      if (outcome.ok) {
        await client.query(
          `UPDATE step_attempts SET status = 'SUCCEEDED', output = $4, finished_at = now(), duration_ms = $5
          WHERE execution_id = $1 AND step_id = $2 AND kind = 'compensate' AND attempt = $3`,
          [job.e, call.stepId, call.attempt, JSON.stringify(outcome.output ?? null), outcome.durationMs],
        );
        await client.query(
          `UPDATE step_runs SET status = 'COMPENSATED', compensated_at = now(), compensation_error = NULL
          WHERE execution_id = $1 AND step_id = $2`,
          [job.e, call.stepId],
        );
        await appendEvents(client, job.w, job.e, [
          { type: 'step.compensated', stepId: call.stepId, data: { output: outcome.output ?? null } },
        ]);
        await enqueue(client, Task.compensate, [{ ...job }]);
        return;
      }
      const message = outcome.error.message;
      const stepError = stepErrorOf(outcome.error);
      await client.query(
        `UPDATE step_attempts SET status = $4, error = $5, error_detail = $7, finished_at = now(), duration_ms = $6
        WHERE execution_id = $1 AND step_id = $2 AND kind = 'compensate' AND attempt = $3`,
        [
          job.e,
          call.stepId,
          call.attempt,
          outcome.interrupted ? 'LOST' : 'FAILED',
          message,
          outcome.durationMs,
          JSON.stringify(stepError),
        ],
      );
      await client.query('UPDATE step_runs SET compensation_error = $3 WHERE execution_id = $1 AND step_id = $2', [
        job.e,
        call.stepId,
        message,
      ]);
      if (outcome.interrupted || call.attempt < MAX_COMPENSATION_ATTEMPTS) {
        await appendEvents(client, job.w, job.e, [
          {
            type: 'step.retrying',
            stepId: call.stepId,
            data: { compensate: true, attempt: call.attempt, error: message, stepError },
          },
        ]);
        await enqueue(client, Task.compensate, [{ ...job }], new Date(Date.now() + 200 * call.attempt));
        return;
      }
      const error = `rollback stopped: compensation of step "${call.stepId}" failed: ${message}`;
      await setExecutionStatus(client, exec, 'FAILED', { error, finished: true });
      await appendEvents(client, job.w, job.e, [
        { type: 'step.failed', stepId: call.stepId, data: { compensate: true, error: message, stepError } },
        { type: 'execution.failed', data: { error } },
      ]);
    },
    workerTx(rt.publish),
  );
}

async function begin(rt: Runtime, client: TenantClient, job: CompensateJob): Promise<Begin> {
  const exec = await lockExecution(client, job.e);
  if (exec === null || exec.status !== 'ROLLING_BACK') return { kind: 'skip' };
  const { rowCount: busy } = await client.query(
    `SELECT 1 FROM step_attempts WHERE execution_id = $1 AND kind = 'compensate' AND status = 'RUNNING'`,
    [job.e],
  );
  if ((busy ?? 0) > 0) return { kind: 'skip' }; // another job is compensating; the sweeper covers its crash
  const plan = await rt.plans.load(client, exec.workspace_id, exec.plan_version_id);
  const runs = await loadStepRuns(client, job.e);
  const nextId = [...plan.order]
    .reverse()
    .find((id) => runs.get(id)?.status === 'SUCCEEDED' && plan.steps.get(id)?.compensate !== undefined);
  if (nextId === undefined) {
    await setExecutionStatus(client, exec, 'ROLLED_BACK', { finished: true });
    await appendEvents(client, job.w, job.e, [{ type: 'execution.rolled_back' }]);
    return { kind: 'skip' };
  }
  const compensate = plan.steps.get(nextId)?.compensate;
  if (compensate === undefined) return { kind: 'skip' };
  const tool = await rt.registry.resolve(job.w, compensate.tool);
  const outputs: Record<string, unknown> = {};
  for (const [id, r] of runs) outputs[id] = r.output;
  const input = resolveTemplates(compensate.input ?? {}, { input: exec.input, steps: outputs, context: exec.context });
  const { rows: counted } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM step_attempts WHERE execution_id = $1 AND step_id = $2 AND kind = 'compensate'`,
    [job.e, nextId],
  );
  const attempt = (counted[0]?.n ?? 0) + 1;
  const { rows } = await client.query<{ fence: number }>(
    'UPDATE step_runs SET fence = fence + 1 WHERE execution_id = $1 AND step_id = $2 RETURNING fence',
    [job.e, nextId],
  );
  const fence = rows[0]?.fence ?? 0;
  await client.query(
    `INSERT INTO step_attempts (workspace_id, execution_id, step_id, kind, attempt, fence, status, tool, input, worker_id)
     VALUES ($1, $2, $3, 'compensate', $4, $5, 'RUNNING', $6, $7, $8)`,
    [job.w, job.e, nextId, attempt, fence, compensate.tool, JSON.stringify(input), rt.workerId],
  );
  await client.query('SELECT weft_lease_take($1, $2, $3, $4, $5, $6)', [
    job.e,
    nextId,
    'compensate',
    fence,
    rt.workerId,
    rt.stepLeaseMs,
  ]);
  // A missing tool still makes a call, which fails: the second transaction records it as a failed
  // compensation attempt (TOOL_NOT_FOUND) like any other.
  const called = tool ?? missingTool(compensate.tool);
  const isMock = tool !== null && exec.mode === 'DRY_RUN' && tool.dryRun !== 'run';
  return {
    kind: 'run',
    isMock,
    mocked: isMock ? mockFromSchema(called.outputSchema) : undefined,
    call: {
      workspaceId: job.w,
      executionId: job.e,
      stepId: nextId,
      fence,
      attempt,
      mode: exec.mode,
      tool: called,
      input,
      timeoutMs: tool === null ? undefined : plan.steps.get(nextId)?.timeoutMs,
      lockHolder: null,
      lockKeys: [],
      kind: 'compensate',
    },
  };
}

function missingTool(name: string): ToolDefinition {
  return {
    name,
    version: '0.0.0',
    description: 'missing tool',
    inputSchema: {},
    run: async () => {
      throw new EngineError('TOOL_NOT_FOUND', `tool "${name}" is not available`);
    },
  };
}
