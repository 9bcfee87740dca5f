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
import { beginPendingAttempts } from './sql/attempt-appends.ts';
import { resolveInput } from './step-input.ts';
import type { ExecutionRow, NewEvent, WritesWithAppend } from './store.ts';
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
  // A step with a fallback may be parked mid-fallback (paused); its begin knows which tool to call.
  if ((step.locks ?? []).length > 0 || step.fallback !== undefined) return null;
  const tool = resolveToolRef(offer.tools, step.tool);
  if (tool === null) return null;
  if (step.cacheTtlMs !== undefined && tool.cacheable === true) return null;
  if (rt.rateLimits.perWorkspace !== undefined || rt.rateLimits.perTool?.[tool.name] !== undefined) return null;
  return tool;
}

/** A PENDING step's row as `advance` read it under the execution lock (stable until commit). */
export interface PendingRow {
  fence: number;
  attempts: number;
}

/**
 * Picks up to `offer.max` of `ready` (plan order) to begin in the caller's transaction, which holds
 * the execution row's lock, so their PENDING rows cannot change before it commits: the fence and
 * attempt are known now. Returns the attempts, their `step.started` events and the writes that
 * begin them, to commit in the statement that appends those events (`guard`: every row begun, or
 * nothing is appended and the transaction fails). Steps it does not take stay PENDING for the
 * caller to dispatch as jobs.
 */
export async function beginAhead(
  rt: Runtime,
  client: TenantClient,
  exec: ExecutionRow,
  plan: LoadedPlan,
  ready: readonly string[],
  rows: ReadonlyMap<string, PendingRow>,
  offer: RunAheadOffer,
): Promise<{ begun: RunBegin[]; events: NewEvent[]; writes: WritesWithAppend } | null> {
  const candidates: Array<Candidate & PendingRow> = [];
  for (const id of ready) {
    if (candidates.length >= offer.max) break;
    const step = plan.steps.get(id);
    const row = rows.get(id);
    const tool = step === undefined ? null : plainTool(rt, exec, step, offer);
    if (step === undefined || row === undefined || tool === null) continue;
    let input: unknown;
    try {
      input = await resolveInput(client, exec, step);
    } catch {
      // The job's begin meets the same problem and handles it the way it always has.
      continue;
    }
    candidates.push({ step, tool, input, fence: row.fence + 1, attempts: row.attempts + 1 });
  }
  if (candidates.length === 0) return null;
  const toolRef = (t: ToolDefinition) => `${t.name}@${t.version}`;
  const begun: RunBegin[] = [];
  const events: NewEvent[] = [];
  for (const c of candidates) {
    events.push({
      type: 'step.started',
      stepId: c.step.id,
      data: { attempt: c.attempts, tool: toolRef(c.tool), worker: rt.workerId },
    });
    begun.push({
      kind: 'run',
      step: c.step,
      traceParent: exec.trace_parent ?? null,
      call: {
        workspaceId: exec.workspace_id,
        executionId: exec.id,
        stepId: c.step.id,
        fence: c.fence,
        attempt: c.attempts,
        mode: exec.mode,
        tool: c.tool,
        input: c.input,
        timeoutMs: c.step.timeoutMs,
        lockHolder: null,
        lockKeys: [],
      },
    });
  }
  const writes = beginPendingAttempts(
    candidates.map((c) => ({
      stepId: c.step.id,
      attempt: c.attempts,
      fence: c.fence,
      tool: toolRef(c.tool),
      input: c.input,
    })),
    { workerId: rt.workerId, leaseMs: rt.stepLeaseMs },
  );
  return { begun, events, writes };
}
