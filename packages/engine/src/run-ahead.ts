/**
 * Run-ahead: a worker that has just finished a step begins the successors it can run right away in
 * the same transaction (attempt row, lease held by this worker, `step.started`, a new fence) and
 * runs them itself once that commits, instead of queueing a `weft.step` job for each and paying a
 * second transaction plus the queue's fetch and completion. Crash safety is the begun step's: the
 * lease is taken here, so a worker that dies before or during the call is noticed by the sweeper,
 * which re-dispatches the step with a new fence; a late result is fenced off at finish.
 *
 * Only steps whose `begin` would do nothing but record the attempt run ahead. Anything `begin`
 * decides with more care (resource locks, rate limits, per-workspace slots, dry-run mocks, the
 * cache, a missing tool) still gets a job, so those rules keep one implementation.
 */
import type { LoadedPlan, Runtime } from './runtime.ts';
import { resolveInput } from './step-input.ts';
import { type ExecutionRow, type NewEvent, named } from './store.ts';
import type { RunBegin } from './tool-call.ts';
import { resolveToolRef } from './tool-ref.ts';
import type { StepSpec, TenantClient, ToolDefinition } from './types.ts';

/** What the finishing worker offers: how many steps it can run now and the tools it resolved. */
export interface RunAheadOffer {
  max: number;
  /** The workspace's tools, listed before the transaction (a provider may query the database). */
  tools: readonly ToolDefinition[];
}

interface Candidate {
  step: StepSpec;
  tool: ToolDefinition;
  input: unknown;
}

/** Whether this worker may begin steps itself at all (else every dispatch is a job). */
export function canRunAhead(rt: Runtime): boolean {
  return rt.runAhead && !rt.stopping && rt.workspaceConcurrency === null;
}

/** The tool `begin` would resolve for `step`, when `begin` would do nothing but record the attempt. */
function plainTool(rt: Runtime, exec: ExecutionRow, step: StepSpec, offer: RunAheadOffer): ToolDefinition | null {
  if (exec.mode !== 'LIVE' || step.type === 'approval' || step.tool === undefined) return null;
  if ((step.locks ?? []).length > 0) return null;
  const tool = resolveToolRef(offer.tools, step.tool);
  if (tool === null) return null;
  if (step.cacheTtlMs !== undefined && tool.cacheable === true) return null;
  if (rt.rateLimits.perWorkspace !== undefined || rt.rateLimits.perTool?.[tool.name] !== undefined) return null;
  return tool;
}

/**
 * Begins up to `offer.max` of `ready` (plan order) in the caller's transaction, which holds the
 * execution row's lock. Returns the begun attempts and their `step.started` events; steps it does
 * not take are left PENDING for the caller to dispatch as jobs.
 */
export async function beginAhead(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  plan: LoadedPlan,
  ready: readonly string[],
  offer: RunAheadOffer,
): Promise<{ begun: RunBegin[]; events: NewEvent[] }> {
  const candidates: Candidate[] = [];
  for (const id of ready) {
    if (candidates.length >= offer.max) break;
    const step = plan.steps.get(id);
    const tool = step === undefined ? null : plainTool(rt, exec, step, offer);
    if (step === undefined || tool === null) continue;
    let input: unknown;
    try {
      input = await resolveInput(client, exec, step);
    } catch {
      // The job's begin meets the same problem and handles it the way it always has.
      continue;
    }
    candidates.push({ step, tool, input });
  }
  if (candidates.length === 0) return { begun: [], events: [] };
  const toolRef = (t: ToolDefinition) => `${t.name}@${t.version}`;
  // `status = 'PENDING'` guards against a concurrent dispatcher, as in `advance`'s dispatch.
  const { rows } = await client.query<{ step_id: string; fence: number; attempts: number }>(
    named(
      'weft-begin-ahead',
      `WITH d AS (
         UPDATE step_runs s SET status = 'RUNNING', fence = s.fence + 1, waiting_reason = NULL, attempts = s.attempts + 1,
                input = x.input, started_at = coalesce(s.started_at, now()), lease_owner = $5,
                lease_expires_at = clock_timestamp() + make_interval(secs => $6::int / 1000.0)
           FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS x(step_id, tool, input)
          WHERE s.execution_id = $1 AND s.step_id = x.step_id AND s.status = 'PENDING'
          RETURNING s.workspace_id, s.step_id, s.fence, s.attempts, x.tool, x.input
       ), a AS (
         INSERT INTO step_attempts (workspace_id, execution_id, step_id, kind, attempt, fence, status, tool, input, worker_id)
         SELECT workspace_id, $1, step_id, 'run', attempts, fence, 'RUNNING', tool, input, $5 FROM d
       )
       SELECT step_id, fence, attempts, weft_lease_take($1, step_id, 'run', fence, $5, $6::int) FROM d`,
      [
        exec.id,
        candidates.map((c) => c.step.id),
        candidates.map((c) => toolRef(c.tool)),
        candidates.map((c) => JSON.stringify(c.input ?? null)),
        rt.workerId,
        rt.stepLeaseMs,
      ],
    ),
  );
  const taken = new Map(rows.map((r) => [r.step_id, r]));
  const begun: RunBegin[] = [];
  const events: NewEvent[] = [];
  // Plan order, as the jobs' begins would have appended them had they been dispatched together.
  for (const c of candidates) {
    const row = taken.get(c.step.id);
    if (row === undefined) continue;
    events.push({
      type: 'step.started',
      stepId: c.step.id,
      data: { attempt: row.attempts, tool: toolRef(c.tool), worker: rt.workerId },
    });
    begun.push({
      kind: 'run',
      step: c.step,
      traceParent: exec.trace_parent ?? null,
      call: {
        workspaceId: exec.workspace_id,
        executionId: exec.id,
        stepId: c.step.id,
        fence: row.fence,
        attempt: row.attempts,
        mode: exec.mode,
        tool: c.tool,
        input: c.input,
        timeoutMs: c.step.timeoutMs,
        lockHolder: null,
        lockKeys: [],
      },
    });
  }
  return { begun, events };
}
