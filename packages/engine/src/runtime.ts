import type { Pools } from '@weft/db';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { ApprovalPolicy } from './approval-policy.ts';
import { EngineError } from './errors.ts';
import type { Logger } from './logger.ts';
import { inferDependencies, topologicalOrder } from './plan-graph.ts';
import type { RunningSteps } from './running-steps.ts';
import type { Publisher } from './store.ts';
import { tenantKey } from './tenant-key.ts';
import type { ToolRegistry } from './tool-registry.ts';
import type { PlanSpec, StepSpec, TenantClient } from './types.ts';

/** @public A token bucket: `capacity` tokens, refilled at `refillPerSecond`. */
export interface RateLimit {
  capacity: number;
  refillPerSecond: number;
}

/** @public Rate limits applied before a step runs; a limited step waits, it never fails. */
export interface RateLimitOptions {
  /** One bucket per workspace, shared by all its tool calls. */
  perWorkspace?: RateLimit;
  /** One bucket per workspace and tool name (e.g. `http.request`). */
  perTool?: Record<string, RateLimit>;
}

/** Everything the engine's modules share. */
export interface Runtime {
  pools: Pools;
  registry: ToolRegistry;
  logger: Logger;
  workerId: string;
  stepLeaseMs: number;
  /** Lease of a dispatched step whose job no worker has started yet (queue wait included). */
  queuedLeaseMs: number;
  workspaceConcurrency: number | null;
  rateLimits: RateLimitOptions;
  maxOutputBytes: number;
  plans: PlanCache;
  /** Locks, rate buckets and live fan-out use Redis when configured. */
  redis: Redis | null;
  /** Sends the announcements of engine-owned transactions after they commit. */
  publish: Publisher;
  /** This process runs workers, so a finishing worker may begin successors itself (run-ahead.ts). */
  runAhead: boolean;
  /** The workers are stopping: begin nothing more here, hand begun steps back. */
  stopping: boolean;
  /** Decides who may decide an approval gate; unset: `defaultApprovalPolicy`. */
  approvalPolicy: ApprovalPolicy | undefined;
  /** How deep sub-plans may nest (sub-plans.ts). */
  maxPlanDepth: number;
  /** Local running attempts, by workspace, execution and step, so cancel can abort them. */
  running: RunningSteps;
}

/** A plan version, parsed once (versions are immutable). */
export interface LoadedPlan {
  spec: PlanSpec;
  steps: Map<string, StepSpec>;
  deps: Map<string, string[]>;
  order: string[];
  concurrency: number;
}

/**
 * Parsed plan versions by (workspace, version id): version ids are unique only within a workspace,
 * so a version of another workspace with the same id must never be served from here.
 */
export class PlanCache {
  static readonly DEFAULT_MAX = 1000;

  // Least recently used versions go first once `max` are held: a busy workspace's plans stay parsed
  // while versions nobody runs any more make room (a plan version never changes, so nothing expires).
  private readonly cache: LRUCache<string, LoadedPlan>;

  constructor(max = PlanCache.DEFAULT_MAX) {
    this.cache = new LRUCache({ max });
  }

  async load(client: TenantClient, workspaceId: string, planVersionId: string): Promise<LoadedPlan> {
    const key = tenantKey(workspaceId, planVersionId);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const { rows } = await client.query<{ spec: PlanSpec }>(
      'SELECT spec FROM plan_versions WHERE workspace_id = $1 AND id = $2',
      [workspaceId, planVersionId],
    );
    const spec = rows[0]?.spec;
    if (spec === undefined) throw new EngineError('NOT_FOUND', `plan version ${planVersionId} not found`);
    const loaded = PlanCache.parse(spec);
    this.keep(key, loaded);
    return loaded;
  }

  /** The version if it is cached (no query). */
  peek(workspaceId: string, planVersionId: string): LoadedPlan | undefined {
    return this.cache.get(tenantKey(workspaceId, planVersionId));
  }

  /**
   * Keeps a version its caller has just read in `workspaceId`'s scope (e.g. to start a run), saving
   * `load` the query; returns what the cache now holds for it.
   */
  remember(workspaceId: string, planVersionId: string, spec: PlanSpec): LoadedPlan {
    const key = tenantKey(workspaceId, planVersionId);
    const known = this.cache.get(key);
    if (known !== undefined) return known;
    const loaded = PlanCache.parse(spec);
    this.keep(key, loaded);
    return loaded;
  }

  private keep(key: string, loaded: LoadedPlan): void {
    this.cache.set(key, loaded);
  }

  static parse(spec: PlanSpec): LoadedPlan {
    const deps = inferDependencies(spec);
    return {
      spec,
      steps: new Map(spec.steps.map((s) => [s.id, s])),
      deps,
      order: topologicalOrder(deps),
      concurrency: spec.concurrency ?? 5,
    };
  }
}
