/**
 * What a tool writes with `ctx.log`: the worker's log as before, and a row per line in `step_logs`
 * so the console shows it beside the attempt. Capped per attempt (lines and bytes) so a chatty or
 * hostile tool cannot fill the workspace's storage; past the cap one marker line says so and the
 * rest only reaches the worker's log. Writes are fire-and-forget, batched, in call order: a log
 * line must never fail or slow the tool that wrote it.
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

interface PendingLine {
  line: number;
  level: LogLevel;
  message: string;
  data: string | null;
}

export function createStepLog(rt: Runtime, target: StepLogTarget): ToolContext['log'] {
  let lines = 0;
  let bytes = 0;
  let capped = false;
  // Lines wait here while a write is in flight and go together in the next one: a burst of logging
  // costs a few statements, not one each, and rows keep the order the tool wrote them.
  let pending: PendingLine[] = [];
  let writing = false;
  const flush = async (): Promise<void> => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await withTenant(rt.pools.app, { workspaceId: target.workspaceId }, async (client) => {
          await client.query(
            `INSERT INTO step_logs (workspace_id, execution_id, step_id, kind, attempt, line, level, message, data)
             SELECT $1, $2, $3, $4, $5, l.line, l.level, l.message, l.data::jsonb
               FROM unnest($6::int[], $7::text[], $8::text[], $9::text[]) AS l(line, level, message, data)
             ON CONFLICT DO NOTHING`,
            [
              target.workspaceId,
              target.executionId,
              target.stepId,
              target.kind ?? 'run',
              target.attempt,
              batch.map((l) => l.line),
              batch.map((l) => l.level),
              batch.map((l) => l.message),
              batch.map((l) => l.data),
            ],
          );
        });
      } catch (err) {
        rt.logger.warn({ err, executionId: target.executionId, lines: batch.length }, 'step log lines not stored');
      }
    }
    writing = false;
  };
  const store = (line: PendingLine) => {
    pending.push(line);
    if (!writing) void flush();
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
      store({
        line: lines + 1,
        level: 'warn',
        message: `log truncated: an attempt keeps at most ${STEP_LOG_MAX_LINES} lines or ${STEP_LOG_MAX_BYTES} bytes`,
        data: null,
      });
      return;
    }
    lines += 1;
    bytes += size;
    store({ line: lines, level, message: text, data: json });
  };
}
