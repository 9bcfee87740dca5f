/**
 * What a tool writes with `ctx.log`: the worker's log as before, and a row per line in `step_logs`
 * so the console shows it beside the attempt. Capped per attempt (lines and bytes) so a chatty or
 * hostile tool cannot fill the workspace's storage; past the cap one marker line says so and the
 * rest only reaches the worker's log. Writes are fire-and-forget in call order: a log line must
 * never fail or slow the tool that wrote it.
 */
import { withTenant } from '@weft/db';
import type { Runtime } from './runtime.ts';
import type { ToolContext } from './types.ts';

/** @public Per attempt: at most this many stored lines... */
export const STEP_LOG_MAX_LINES = 200;
/** @public ...and this many bytes of message plus data (JSON). */
export const STEP_LOG_MAX_BYTES = 64 * 1024;

export interface StepLogTarget {
  workspaceId: string;
  executionId: string;
  stepId: string;
  attempt: number;
  kind?: 'run' | 'compensate';
}

type LogLevel = Parameters<ToolContext['log']>[0];

export function createStepLog(rt: Runtime, target: StepLogTarget): ToolContext['log'] {
  let lines = 0;
  let bytes = 0;
  let capped = false;
  // One chain per attempt keeps the rows in the order the tool wrote them.
  let chain: Promise<void> = Promise.resolve();
  const store = (line: number, level: LogLevel, message: string, data: string | null) => {
    chain = chain
      .then(() =>
        withTenant(rt.pools.app, { workspaceId: target.workspaceId }, async (client) => {
          await client.query(
            `INSERT INTO step_logs (workspace_id, execution_id, step_id, kind, attempt, line, level, message, data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT DO NOTHING`,
            [
              target.workspaceId,
              target.executionId,
              target.stepId,
              target.kind ?? 'run',
              target.attempt,
              line,
              level,
              message,
              data,
            ],
          );
        }),
      )
      .catch((err: unknown) => rt.logger.warn({ err, executionId: target.executionId }, 'step log line not stored'));
  };
  return (level, message, data) => {
    rt.logger[level](
      { executionId: target.executionId, stepId: target.stepId, attempt: target.attempt, data },
      message,
    );
    if (capped) return;
    const text = String(message);
    let json: string | null = null;
    try {
      json = data === undefined ? null : (JSON.stringify(data) ?? null);
    } catch {
      json = JSON.stringify('[data not serialisable]');
    }
    const size = Buffer.byteLength(text) + (json === null ? 0 : Buffer.byteLength(json));
    if (lines + 1 >= STEP_LOG_MAX_LINES || bytes + size > STEP_LOG_MAX_BYTES) {
      capped = true;
      store(
        lines + 1,
        'warn',
        `log truncated: an attempt keeps at most ${STEP_LOG_MAX_LINES} lines or ${STEP_LOG_MAX_BYTES} bytes`,
        null,
      );
      return;
    }
    lines += 1;
    bytes += size;
    store(lines, level, text, json);
  };
}
