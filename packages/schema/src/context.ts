import { type Pools, withTenant } from '@weft/db';
import type { EngineApi, ExecutionEvent, ExecutionStatusChange, Role, ToolDefinition } from '@weft/engine';
import type { LlmConfig } from '@weft/planner';
import type { EgressPolicy } from '@weft/plugin-host';
import type pg from 'pg';
import type { LoginThrottleOptions } from './auth/login-throttle.ts';
import { resolveToken, type Viewer } from './auth/tokens.ts';
import { unauthenticated } from './errors.ts';

/** The few logger methods the schema uses (pino's Logger fits). */
export interface SchemaLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Plan validation, shaped as `EngineApi.validatePlan` (the one definition of a valid plan). */
export type PlanValidator = EngineApi['validatePlan'];

/** The tools of a workspace, shaped as `EngineApi.listTools`. */
export type ToolLister = (
  workspaceId: string,
) => Promise<Pick<ToolDefinition, 'name' | 'description' | 'inputSchema' | 'outputSchema' | 'plugin'>[]>;

/** Live sources for subscriptions (the engine's `subscribeWorkspace`/`subscribe`). */
export interface ExecutionFeed {
  workspaceExecutions(workspaceId: string, signal: AbortSignal): AsyncIterable<ExecutionStatusChange>;
  executionEvents(
    workspaceId: string,
    executionId: string,
    afterSeq: number,
    signal: AbortSignal,
  ): AsyncIterable<ExecutionEvent>;
}

/** Everything the schema needs from its host, injected so the schema knows nothing of HTTP or boot. */
export interface SchemaOptions {
  pools: Pools;
  logger: SchemaLogger;
  /** Encrypts webhook secrets (AES-256-GCM). */
  secretKey: string;
  /** The engine: tool statistics and execution control go through it. */
  engine: EngineApi;
  /** Plan validation: the engine's (`engineSources`), or a test's stand-in. */
  validatePlan: PlanValidator;
  /** Tools of a workspace: the engine's (`engineSources`). */
  listTools: ToolLister;
  /** Subscription sources: the engine's (`engineSources`), or a test's stand-in. */
  feed: ExecutionFeed;
  /** The planner's model (OPENAI_* configuration); null or absent plans deterministically. */
  llm?: LlmConfig | null;
  loginThrottle?: LoginThrottleOptions;
  /** How often a running subscription re-checks its token and the viewer's role (default 1000 ms). */
  subscriptionRecheckMs?: number;
  sessionTtlMs?: number;
  apiTokenTtlMs?: number;
  /** Where outbound webhook endpoints may point (EGRESS_ALLOW); default public addresses only. */
  egress?: EgressPolicy;
}

/** What the schema takes from the engine, in the shapes `SchemaOptions` names; a host overrides any part. */
export function engineSources(engine: EngineApi): Pick<SchemaOptions, 'validatePlan' | 'listTools' | 'feed'> {
  return {
    validatePlan: (workspaceId, spec) => engine.validatePlan(workspaceId, spec),
    listTools: (workspaceId) => engine.listTools(workspaceId),
    feed: {
      workspaceExecutions: (workspaceId, signal) => engine.subscribeWorkspace(workspaceId, signal),
      executionEvents: (workspaceId, executionId, afterSeq, signal) =>
        engine.subscribe(workspaceId, executionId, afterSeq, signal),
    },
  };
}

export interface SchemaContext {
  options: SchemaOptions;
  viewer: Viewer | null;
  requestId: string;
  clientIp: string;
  /**
   * W3C `traceparent` of the operation's span, set by the server when the operation executes:
   * runs it starts continue its trace. Explicit, because the API process keeps no async context.
   */
  traceParent: string | null;
  /** Per request: the viewer's role in each workspace asked about (null = not a member). */
  roles: Map<string, Promise<Role | null>>;
}

export interface RequestInfo {
  /** The `Authorization` header, or graphql-ws `connectionParams.authorization`. */
  authorization: string | null | undefined;
  requestId: string;
  clientIp: string;
}

export function bearerToken(authorization: string | null | undefined): string | null {
  if (typeof authorization !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return match?.[1] ?? null;
}

/** Builds a request's context; an absent, unknown, expired or revoked token means "not signed in". */
export async function createContext(options: SchemaOptions, request: RequestInfo): Promise<SchemaContext> {
  const token = bearerToken(request.authorization);
  const viewer = token === null ? null : await resolveToken(options.pools.app, token);
  return {
    // The options object itself, not a copy: what is cached per schema instance (the shared
    // access re-checks of subscriptions) must be shared by every request's context.
    options,
    viewer,
    requestId: request.requestId,
    clientIp: request.clientIp,
    traceParent: null,
    roles: new Map(),
  };
}

export function requireViewer(ctx: SchemaContext): Viewer {
  if (ctx.viewer === null) throw unauthenticated();
  return ctx.viewer;
}

/** The viewer's role in a workspace; null when not a member or when the token is bound elsewhere. */
export function roleOf(ctx: SchemaContext, workspaceId: string): Promise<Role | null> {
  const viewer = ctx.viewer;
  if (viewer === null || (viewer.workspaceId !== null && viewer.workspaceId !== workspaceId)) {
    return Promise.resolve(null);
  }
  let role = ctx.roles.get(workspaceId);
  if (role === undefined) {
    role = lookupRole(ctx.options.pools.app, viewer.userId, workspaceId);
    ctx.roles.set(workspaceId, role);
  }
  return role;
}

/** A user's role in a workspace as stored now (null when not a member); no per-request cache. */
export function lookupRole(pool: pg.Pool, userId: string, workspaceId: string): Promise<Role | null> {
  return withTenant(pool, { userId }, async (client) => {
    const { rows } = await client.query<{ role: Role }>(
      'SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2',
      [workspaceId, userId],
    );
    return rows[0]?.role ?? null;
  });
}

/** Runs database work for a workspace under RLS, in one transaction. */
export function inTenant<T>(
  ctx: SchemaContext,
  workspaceId: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withTenant(ctx.options.pools.app, { workspaceId, userId: ctx.viewer?.userId ?? null }, work);
}

/** Whether the viewer may look a user up: themselves, or someone in one of their workspaces. */
export async function canSeeUser(ctx: SchemaContext, userId: string): Promise<boolean> {
  const viewer = ctx.viewer;
  if (viewer === null) return false;
  if (viewer.userId === userId) return true;
  const pool = ctx.options.pools.app;
  // RLS shows a user only their own memberships, and others' only within the workspace in scope.
  const mine = await withTenant(pool, { userId: viewer.userId }, (client) =>
    client.query<{ workspace_id: string }>('SELECT workspace_id FROM memberships WHERE user_id = $1', [viewer.userId]),
  );
  for (const { workspace_id: workspaceId } of mine.rows) {
    if (viewer.workspaceId !== null && viewer.workspaceId !== workspaceId) continue;
    const shared = await withTenant(pool, { workspaceId }, (client) =>
      client.query('SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]),
    );
    if ((shared.rowCount ?? 0) > 0) return true;
  }
  return false;
}
