import type { ExecutionEvent, ExecutionStatusChange } from '@weft/engine';
import { SUBSCRIPTION_PERMISSIONS } from './abilities.ts';
import { canIn } from './authorize.ts';
import { builder } from './builder.ts';
import { type ExecutionFeed, inTenant, type SchemaContext, type SchemaOptions } from './context.ts';
import { notFound } from './errors.ts';
import { parseId, parseTenantId } from './ids.ts';
import { COLUMNS, type EventRow, type ExecutionRow, toRow } from './rows.ts';
import { ExecutionEventRef } from './types/execution.ts';
import { ExecutionRef } from './types/refs.ts';

/** Resolves when the signal aborts: a live source with nothing to say until the engine is connected. */
async function* idleUntilAborted<T>(signal: AbortSignal): AsyncIterable<T> {
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * The subscription sources: what was injected, else the engine's, else a stand-in that replays
 * stored events and otherwise stays quiet (there is nothing live without an engine).
 */
export function resolveFeed(options: SchemaOptions): ExecutionFeed {
  if (options.feed) return options.feed;
  const engine = options.engine;
  if (engine) {
    return {
      workspaceExecutions: (workspaceId, signal) => engine.subscribeWorkspace(workspaceId, signal),
      executionEvents: (workspaceId, executionId, afterSeq, signal) =>
        engine.subscribe(workspaceId, executionId, afterSeq, signal),
    };
  }
  return {
    workspaceExecutions: (_workspaceId, signal) => idleUntilAborted<ExecutionStatusChange>(signal),
    executionEvents: (workspaceId, executionId, afterSeq) =>
      (async function* replay(): AsyncIterable<ExecutionEvent> {
        const { rows } = await options.pools.app.connect().then(async (client) => {
          try {
            await client.query('BEGIN');
            await client.query("SELECT set_config('weft.workspace_id', $1, true)", [workspaceId]);
            const result = await client.query(
              'SELECT seq, type, step_id, at, data FROM execution_events WHERE execution_id = $1 AND seq > $2 ORDER BY seq',
              [executionId, afterSeq],
            );
            await client.query('COMMIT');
            return result;
          } finally {
            client.release();
          }
        });
        for (const row of rows) yield { workspaceId, executionId, ...toRow<EventRow>(row) };
      })(),
  };
}

/** Adapts a source that takes an AbortSignal to an iterator whose return() aborts it. */
async function* abortOnReturn<T>(open: (signal: AbortSignal) => AsyncIterable<T>): AsyncIterable<T> {
  const controller = new AbortController();
  try {
    yield* open(controller.signal);
  } finally {
    controller.abort();
  }
}

async function freshExecution(ctx: SchemaContext, workspaceId: string, executionId: string): Promise<ExecutionRow> {
  // Not through the request's dataloader: a subscription's context lives as long as the socket.
  const { rows } = await inTenant(ctx, workspaceId, (client) =>
    client.query(`SELECT ${COLUMNS.execution} FROM executions WHERE id = $1`, [executionId]),
  );
  const row = rows[0];
  if (row === undefined) throw notFound();
  return toRow<ExecutionRow>(row);
}

builder.subscriptionFields((t) => ({
  workspaceExecutions: t.field({
    type: ExecutionRef,
    description: 'Every status change of the workspace’s executions.',
    args: { workspaceId: t.arg.id({ required: true }) },
    authScopes: canIn(SUBSCRIPTION_PERMISSIONS.workspaceExecutions, (args: { workspaceId: string }) =>
      parseId(args.workspaceId, 'Workspace'),
    ),
    subscribe: (_root, args, ctx) => {
      const workspaceId = parseId(String(args.workspaceId), 'Workspace');
      const feed = resolveFeed(ctx.options);
      return abortOnReturn((signal) => feed.workspaceExecutions(workspaceId, signal));
    },
    resolve: (change: ExecutionStatusChange, _args, ctx) => freshExecution(ctx, change.workspaceId, change.executionId),
  }),
  executionEvents: t.field({
    type: ExecutionEventRef,
    description: 'Replays the events after `afterSeq`, then follows live ones.',
    args: { executionId: t.arg.id({ required: true }), afterSeq: t.arg.int({ required: false }) },
    authScopes: canIn(
      SUBSCRIPTION_PERMISSIONS.executionEvents,
      (args: { executionId: string }) => parseTenantId(args.executionId, 'Execution').workspaceId,
    ),
    subscribe: async (_root, args, ctx) => {
      const { workspaceId, id } = parseTenantId(String(args.executionId), 'Execution');
      await freshExecution(ctx, workspaceId, id);
      const feed = resolveFeed(ctx.options);
      return abortOnReturn((signal) => feed.executionEvents(workspaceId, id, args.afterSeq ?? 0, signal));
    },
    resolve: (event: ExecutionEvent) => event,
  }),
}));
