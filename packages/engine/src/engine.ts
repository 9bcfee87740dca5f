import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Pools, withTenant } from '@weft/db';
import { type CronItem, parseCronItems, type Runner, run } from 'graphile-worker';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { ApprovalPolicy } from './approval-policy.ts';
import { DEFAULT_MAX_PLAN_DEPTH } from './child-runs.ts';
import { type CompensateJob, runCompensateJob } from './compensation.ts';
import {
  type ApprovalExpireJob,
  cancel,
  decideApproval,
  expireApproval,
  pause,
  resume,
  retry,
  rollback,
} from './controls.ts';
import {
  type EngineApi,
  EXECUTION_PRIORITY,
  type ExecutionStatusChange,
  type StartExecutionInput,
  type ToolStats,
} from './engine-api.ts';
import { EngineError } from './errors.ts';
import { EventBus } from './event-bus.ts';
import { BeginBatcher, FinishBatcher } from './execution-batcher.ts';
import { type Claim, claimIdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH, recordIdempotentStart } from './idempotency.ts';
import { sweepLeases } from './lease-sweeper.ts';
import { type Logger, silentLogger } from './logger.ts';
import { type MapItemJob, runMapItemJob } from './map-step.ts';
import { deliverEvent, runWakeJob } from './parked-steps.ts';
import { quietLogger } from './queue.ts';
import { reusedOutputs } from './rerun-from.ts';
import { ReservedSlots, withReservedSlots } from './reserved-slots.ts';
import { RunningSteps } from './running-steps.ts';
import { PlanCache, type RateLimitOptions, type Runtime } from './runtime.ts';
import { advance } from './scheduler.ts';
import { ScheduleTicker, type TickerOptions } from './schedules/ticker.ts';
import { insertAndStart } from './start-execution.ts';
import { StepErrorCode } from './step-error.ts';
import { runStepJob, type StepBatches } from './step-job.ts';
import { type Announcement, inWorkerTx, workerScope, workerTx } from './store.ts';
import { type ChildDoneJob, childDone } from './sub-plans.ts';
import { type StepJob, Task } from './tasks.ts';
import { Interrupted } from './tool-call.ts';
import { ToolRegistry } from './tool-registry.ts';
import { toolStats } from './tool-stats.ts';
import { startExecutionSpan } from './tracing.ts';
import type { ExecutionEvent, PlanIssue, PlanSpec, TenantClient, ToolDefinition, ToolProvider } from './types.ts';
import { validatePlanSpec } from './validate-plan.ts';
import { WorkspaceSlots, withWorkspaceSlots } from './workspace-slots.ts';

/** @public How an engine is built. */
export interface EngineOptions {
  pools: Pools;
  /** Redis: live events fan out through its pub/sub (Postgres LISTEN/NOTIFY without it). */
  redisUrl?: string;
  logger?: Logger;
  /** How long a step's lease lasts without a heartbeat (a dead worker is noticed within this). Default 15000. */
  stepLeaseMs?: number;
  /**
   * How long a dispatched step may wait in the queue before the sweeper dispatches it again
   * (covers a worker dying between taking a job and starting it). Default 10 × stepLeaseMs.
   */
  queuedLeaseMs?: number;
  /** Steps one worker runs at once. Default 10. */
  workerConcurrency?: number;
  /** Steps one workspace runs at once across all workers (unset: no limit). */
  workspaceConcurrency?: number;
  /**
   * Slots of this process's workers one workspace may hold at once (workspace-slots.ts), so a
   * flood of one workspace leaves slots free for the others' next jobs. Unset (or
   * `workerConcurrency`): no share. Off by default because it costs a lone workspace throughput
   * (fetches one job at a time while at its share; docs/perf/engine.md "History and neighbours").
   */
  workspaceSlots?: number;
  /**
   * Slots of this process's workers kept for the first job of a workspace that runs nothing here
   * (reserved-slots.ts): a flood of one workspace holding every regular slot cannot make another
   * workspace's next step wait for one of them. Default 2 (a burst reaching an idle worker may
   * put its first job in one); 0: none. They add to `workerConcurrency` and never run a job of a
   * workspace that already runs one here.
   */
  reservedSlots?: number;
  rateLimits?: RateLimitOptions;
  /** How deep sub-plans may nest (a plan calling plans calling plans…). Default 5. */
  maxPlanDepth?: number;
  /** Step outputs above this size fail the step. Default 1 MiB. */
  maxOutputBytes?: number;
  /**
   * Jobs a worker process fetches (and locks) per query, handed to its slots as they free up.
   * Default `workerConcurrency`; 1 fetches one job per free slot. Larger batches cost fewer
   * queries per step, but a process may hold jobs another, idle one could run (until they run or
   * their queued lease expires).
   */
  localQueueSize?: number;
  /** How often workers poll for jobs when LISTEN is quiet. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Identifies this process's workers in attempts and leases. */
  workerId?: string;
  /**
   * More graphile-worker tasks for this process's workers (e.g. outbound webhook deliveries queued
   * by the database), run beside the engine's own. Names must start with `weft.`.
   */
  tasks?: Record<string, (payload: unknown) => Promise<void>>;
  /**
   * The role check hook of approval gates: decides whether `actor` may approve or reject a gate,
   * instead of the default rule (`defaultApprovalPolicy`: the actor's role is one of the gate's
   * `approvers`, or ADMIN or MEMBER when it names none). Wrap the default to extend it, e.g. to
   * let named users decide. A `false` answer refuses like a role refusal (`FORBIDDEN`, nothing
   * written). It runs in the deciding transaction with the execution locked: keep it quick.
   */
  approvalPolicy?: ApprovalPolicy;
  /** How the schedule ticker scans (`startScheduleTicker`). */
  scheduleTicker?: TickerOptions;
  /**
   * Recurring jobs for this process's workers (tasks from `tasks`), as graphile-worker cron items
   * (its crontab syntax cannot name `weft.*` tasks). Each fires once per tick across all processes
   * (graphile-worker's `known_crontabs`), e.g. the API's retention job.
   */
  cronItems?: CronItem[];
}

/** @public The engine: EngineApi plus what processes and tests need. */
export interface Engine extends EngineApi {
  readonly workerId: string;
  /** Runs one lease sweep now (the sweeper also runs on its own while workers run). */
  sweepLeases(): Promise<number>;
  /** Resolves when the job queue answers (for readiness checks); rejects with the reason otherwise. */
  checkQueue(): Promise<void>;
  /**
   * Starts taking schedule ticks in this process (any number of processes may: each tick is
   * claimed in the database). `stop` ends it. Idempotent.
   */
  startScheduleTicker(): void;
}

/**
 * graphile-worker's local queue: one fetch per batch of jobs instead of one per job. Jobs held
 * there go back to the database before their queued lease ends, so the sweeper does not dispatch
 * them a second time while they merely wait for a slot.
 */
function localQueue(
  rt: Runtime,
  options: EngineOptions,
  workerConcurrency: number,
): { size: number; ttl: number } | undefined {
  const size = options.localQueueSize ?? workerConcurrency;
  if (size <= 1) return undefined;
  return { size, ttl: Math.max(1000, Math.min(300_000, Math.floor(rt.queuedLeaseMs / 2))) };
}

/** @public Builds an engine. Nothing runs until `startWorkers`; subscriptions work without workers. */
export function createEngine(options: EngineOptions): Engine {
  const logger = options.logger ?? silentLogger;
  const workerConcurrency = options.workerConcurrency ?? 10;
  const redis =
    options.redisUrl === undefined ? null : new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis?.on('error', (err) => logger.warn({ err }, 'redis error'));
  // Concurrent step begins (per execution) and finishes (per workspace) share one transaction per
  // group; only step jobs use them, so they are handed to those rather than kept on the runtime.
  const steps: StepBatches = { begins: new BeginBatcher(), finishes: new FinishBatcher() };
  const rt: Runtime = {
    pools: options.pools,
    registry: new ToolRegistry(logger),
    logger,
    workerId: options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    stepLeaseMs: options.stepLeaseMs ?? 15_000,
    queuedLeaseMs: options.queuedLeaseMs ?? 10 * (options.stepLeaseMs ?? 15_000),
    workspaceConcurrency: options.workspaceConcurrency ?? null,
    rateLimits: options.rateLimits ?? {},
    maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
    approvalPolicy: options.approvalPolicy,
    maxPlanDepth: options.maxPlanDepth ?? DEFAULT_MAX_PLAN_DEPTH,
    plans: new PlanCache(),
    running: new RunningSteps(),
    advance: async (client, exec) => {
      await advance(rt, client, exec);
    },
    runAhead: false,
    stopping: false,
    redis,
    // Without Redis, engine transactions NOTIFY their own announcements with their COMMIT (no round
    // trip of their own); `batchPublish` still serves any other caller.
    publish: Object.assign((items: Announcement[]) => batchPublish(items), { withCommit: redis === null }),
  };
  // Announcements of concurrent steps go out together: one round trip per burst, not per step,
  // and while one is being sent the next burst gathers.
  let pendingAnnouncements: Announcement[] = [];
  let sending: Promise<void> | null = null;
  const drainAnnouncements = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (;;) {
      const batch = pendingAnnouncements;
      pendingAnnouncements = [];
      if (batch.length === 0) {
        sending = null; // in the same step as the check: a later publish starts a new drain
        return;
      }
      await sendAnnouncements(batch);
    }
  };
  const batchPublish = (items: Announcement[]): Promise<void> => {
    pendingAnnouncements.push(...items);
    sending ??= drainAnnouncements();
    return sending;
  };
  const sendAnnouncements = async (items: Announcement[]): Promise<void> => {
    try {
      if (redis !== null) {
        const pipeline = redis.pipeline();
        for (const item of items) pipeline.publish(item.channel, item.payload);
        await pipeline.exec();
      } else {
        await options.pools.app.query('SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS x(c, p)', [
          items.map((i) => i.channel),
          items.map((i) => i.payload),
        ]);
      }
    } catch (err) {
      // Subscribers re-read the database when idle, so a lost announcement only delays them.
      logger.warn({ err }, 'could not publish live events');
    }
  };
  const bus = new EventBus(
    rt,
    (workspaceId, executionId) =>
      rt.running.abortExecution(
        workspaceId,
        executionId,
        new Interrupted('execution cancelled', StepErrorCode.CANCELLED),
      ),
    redis,
  );
  const runners: Runner[] = [];
  let queuePool: pg.Pool | null = null;
  let sweeper: NodeJS.Timeout | null = null;
  let sweeping = false;
  let reservedRunning = false;
  let stopping: Promise<void> | null = null;

  const slotsPerWorkspace = Math.min(workerConcurrency, options.workspaceSlots ?? workerConcurrency);
  const reservedSlots = Math.max(0, Math.floor(options.reservedSlots ?? 2));
  // Jobs are counted by workspace when either a share or reserved slots need the counts.
  const slots =
    slotsPerWorkspace < workerConcurrency || reservedSlots > 0
      ? new WorkspaceSlots(slotsPerWorkspace < workerConcurrency ? slotsPerWorkspace : null)
      : null;
  const reserved = slots !== null && reservedSlots > 0 ? new ReservedSlots(slots) : null;
  const engineTasks: Record<string, (payload: unknown) => Promise<void>> = {
    [Task.step]: async (payload: unknown) => runStepJob(rt, steps, payload as StepJob),
    [Task.compensate]: async (payload: unknown) => runCompensateJob(rt, payload as CompensateJob),
    [Task.approvalExpire]: async (payload: unknown) => {
      const job = payload as ApprovalExpireJob;
      await withTenant(
        rt.pools.app,
        workerScope(job.w),
        (_client, tx) => expireApproval(rt, tx, job),
        workerTx(rt.publish),
      );
    },
    [Task.childDone]: async (payload: unknown) => {
      const job = payload as ChildDoneJob;
      await inWorkerTx(rt.pools.app, job.w, (tx) => childDone(rt, tx, job), rt.publish);
    },
    [Task.mapItem]: async (payload: unknown) => runMapItemJob(rt, payload as MapItemJob),
    [Task.wake]: async (payload: unknown) => runWakeJob(rt, payload),
  };
  const taskList = { ...options.tasks, ...(slots === null ? engineTasks : withWorkspaceSlots(slots, engineTasks)) };
  // The reserved slots run engine jobs only (other tasks have no workspace to be fair between).
  const reservedTasks = reserved === null || slots === null ? null : withReservedSlots(reserved, slots, engineTasks);

  let ticker: ScheduleTicker | null = null;

  const engine: Engine = {
    workerId: rt.workerId,

    async validatePlan(workspaceId: string, spec: unknown): Promise<{ spec: PlanSpec | null; issues: PlanIssue[] }> {
      return validatePlanSpec(spec, await rt.registry.list(workspaceId));
    },

    listTools(workspaceId: string): Promise<ToolDefinition[]> {
      return rt.registry.list(workspaceId);
    },

    registerProvider(provider: ToolProvider): void {
      rt.registry.register(provider);
    },

    toolStats(client: TenantClient, _workspaceId: string): Promise<ToolStats[]> {
      return toolStats(client);
    },

    async startExecution(client, workspaceId, input: StartExecutionInput) {
      const notFound = () => new EngineError('NOT_FOUND', `plan version ${input.planVersionId} not found`);
      const priority = input.priority ?? 0;
      if (!Number.isInteger(priority) || priority < EXECUTION_PRIORITY.min || priority > EXECUTION_PRIORITY.max) {
        throw new EngineError(
          'INVALID_INPUT',
          `priority must be a whole number from ${EXECUTION_PRIORITY.min} to ${EXECUTION_PRIORITY.max}`,
        );
      }
      // Versions are immutable: a cached one is validated without reading it again. The start's
      // statement reads it under RLS anyway (another workspace's version starts nothing).
      let spec = rt.plans.peek(workspaceId, input.planVersionId)?.spec;
      const cached = spec !== undefined;
      if (spec === undefined) {
        const { rows: versions } = await client.query<{ spec: PlanSpec }>(
          'SELECT spec FROM plan_versions WHERE id = $1',
          [input.planVersionId],
        );
        spec = versions[0]?.spec;
        if (spec === undefined) throw notFound();
      }
      const checked = validatePlanSpec(spec, await rt.registry.list(workspaceId));
      if (checked.spec === null) {
        // Whether someone else's version is valid is none of the caller's business.
        if (cached) {
          const { rows } = await client.query('SELECT 1 FROM plan_versions WHERE id = $1', [input.planVersionId]);
          if (rows.length === 0) throw notFound();
        }
        throw new EngineError(
          'INVALID_PLAN',
          `plan version cannot run: ${checked.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          checked.issues,
        );
      }
      const plan = rt.plans.remember(workspaceId, input.planVersionId, spec);
      const key = input.idempotencyKey;
      let claim: Claim | null = null;
      if (key !== undefined) {
        if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
          throw new EngineError(
            'INVALID_INPUT',
            `idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
          );
        }
        claim = await claimIdempotencyKey(client, workspaceId, input.planVersionId, key);
        if (!claim.claimed) {
          if (claim.executionId === null) throw notFound();
          return { executionId: claim.executionId, reused: true };
        }
      }
      const started = startExecutionSpan(
        { 'weft.workspace.id': workspaceId, 'weft.plan_version.id': input.planVersionId },
        input.traceParent,
      );
      const reuse = input.rerunFrom === undefined ? undefined : await reusedOutputs(client, plan, input.rerunFrom);
      const exec = await insertAndStart(rt, client, plan, {
        ...(reuse === undefined ? {} : { reuse }),
        workspaceId,
        planVersionId: input.planVersionId,
        mode: input.mode ?? 'LIVE',
        input: input.input,
        userId: input.actor.userId,
        traceId: started.trace.traceId,
        traceParent: started.trace.traceParent,
        trigger: input.trigger ?? 'MANUAL',
        // Recorded outputs and faults belong to dry runs only: a live run never reads them.
        dryRunOptions: input.mode === 'DRY_RUN' && input.dryRun !== undefined ? input.dryRun : null,
        priority,
      }).finally(() => started.span.end());
      if (exec === null) throw notFound();
      if (claim?.claimed === true && key !== undefined) {
        await recordIdempotentStart(client, workspaceId, claim.planId, key, exec.id);
      }
      return { executionId: exec.id, reused: false };
    },

    pauseExecution: (client, _ws, executionId, actor) => pause(rt, client, executionId, actor),
    resumeExecution: (client, _ws, executionId, actor) => resume(rt, client, executionId, actor),
    cancelExecution: (client, _ws, executionId, actor) => cancel(rt, client, executionId, actor),
    retryExecution: (client, _ws, executionId, actor) => retry(rt, client, executionId, actor),
    rollbackExecution: (client, _ws, executionId, actor) => rollback(rt, client, executionId, actor),
    decideApproval: (client, _ws, approvalId, decision) => decideApproval(rt, client, approvalId, decision),
    deliverEvent: (client, event) => deliverEvent(rt, client, event),

    subscribe(
      workspaceId: string,
      executionId: string,
      afterSeq: number,
      signal: AbortSignal,
    ): AsyncIterable<ExecutionEvent> {
      return bus.subscribe(workspaceId, executionId, afterSeq, signal);
    },

    subscribeWorkspace(workspaceId: string, signal: AbortSignal): AsyncIterable<ExecutionStatusChange> {
      return bus.subscribeWorkspace(workspaceId, signal);
    },

    sweepLeases: () => sweepLeases(rt),

    async checkQueue(): Promise<void> {
      await rt.pools.owner.query('SELECT 1 FROM graphile_worker._private_tasks LIMIT 1');
    },

    startScheduleTicker(): void {
      if (stopping !== null) return;
      ticker ??= new ScheduleTicker(
        rt,
        (client, ws, input) => engine.startExecution(client, ws, input),
        options.scheduleTicker,
      );
      ticker.run();
    },

    async startWorkers(count: number): Promise<void> {
      if (count <= 0) return;
      await bus.start(); // cancel notifications must reach this process's running steps
      rt.runAhead = true;
      if (queuePool === null) {
        queuePool = new pg.Pool({ ...rt.pools.owner.options, max: workerConcurrency + reservedSlots + 4 });
        // A dropped idle connection must not crash the process; graphile-worker reconnects.
        queuePool.on('error', (err) => logger.warn({ err }, 'queue pool connection error'));
        queuePool.on('connect', (client) => client.on('error', () => {}));
      }
      for (let i = 0; i < count; i++) {
        reserved?.addRegular(workerConcurrency);
        runners.push(
          await run({
            pgPool: queuePool,
            concurrency: workerConcurrency,
            taskList,
            ...(slots?.cap == null ? {} : { forbiddenFlags: slots.forbiddenFlags }),
            ...(options.cronItems === undefined ? {} : { parsedCronItems: parseCronItems(options.cronItems) }),
            noHandleSignals: true,
            pollInterval: options.pollIntervalMs ?? 1000,
            logger: quietLogger(logger),
            preset: { worker: { completeJobBatchDelay: 0, localQueue: localQueue(rt, options, workerConcurrency) } },
          }),
        );
      }
      if (reserved !== null && reservedTasks !== null && !reservedRunning) {
        reservedRunning = true;
        // One reserved runner per process, however many regular ones: fetching one job at a time
        // (no local queue), so what it takes is the next one of a quiet workspace.
        runners.push(
          await run({
            pgPool: queuePool,
            concurrency: reservedSlots,
            taskList: reservedTasks,
            forbiddenFlags: reserved.forbiddenFlags,
            noHandleSignals: true,
            pollInterval: options.pollIntervalMs ?? 1000,
            logger: quietLogger(logger),
            preset: { worker: { completeJobBatchDelay: 0 } },
          }),
        );
      }
      if (sweeper === null) {
        sweeper = setInterval(
          () => {
            if (sweeping) return;
            sweeping = true;
            sweepLeases(rt)
              .catch((err: unknown) => logger.error({ err }, 'lease sweep failed'))
              .finally(() => {
                sweeping = false;
              });
          },
          Math.max(100, Math.floor(rt.stepLeaseMs / 4)),
        );
      }
      logger.info({ workers: count, concurrency: workerConcurrency, workerId: rt.workerId }, 'engine workers started');
    },

    stop(): Promise<void> {
      stopping ??= (async () => {
        if (sweeper !== null) clearInterval(sweeper);
        rt.stopping = true;
        await ticker?.stop();
        rt.running.abortAll(new Interrupted('worker stopping'));
        await Promise.all(runners.map((r) => r.stop().catch(() => {})));
        await queuePool?.end().catch(() => {});
        await bus.stop();
        redis?.disconnect();
      })();
      return stopping;
    },
  };
  return engine;
}
