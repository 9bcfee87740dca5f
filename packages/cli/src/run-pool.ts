import {
  type EventFieldsFragment,
  RollbackExecutionDocument,
  StartExecutionDocument,
  type StartExecutionInput,
  TERMINAL_EVENT_TYPES,
} from '@weft/client';
import type { Session } from './session.ts';

/** How one run of a chaos or load test went, as seen from the client. */
export interface RunOutcome {
  executionId: string | null;
  status: string;
  /** From the start request to the terminal event, in milliseconds. */
  durationMs: number;
  /** Event types counted (`step.retrying`, `step.compensated`, ...). */
  events: Record<string, number>;
  error: string | null;
  /** With `rollbackFailed`: how the rollback of a FAILED run ended (`ROLLED_BACK`, ...); else null. */
  rollback: string | null;
}

/**
 * Starts `runs` executions, at most `concurrency` at once, and follows each to its end;
 * `onDone` is called after each (for a progress bar). Starting failures count as runs that failed.
 */
export async function runPool(
  session: Session,
  runs: number,
  concurrency: number,
  startInput: (index: number) => StartExecutionInput,
  onDone: (done: number, outcome: RunOutcome) => void,
  options: { rollbackFailed?: boolean } = {},
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const index = next++;
      const outcome = await oneRun(session, startInput(index), options.rollbackFailed === true);
      outcomes.push(outcome);
      onDone(outcomes.length, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, runs) }, worker));
  return outcomes;
}

async function oneRun(session: Session, input: StartExecutionInput, rollbackFailed: boolean): Promise<RunOutcome> {
  const started = performance.now();
  const events: Record<string, number> = {};
  try {
    const payload = await session.client.mutate(StartExecutionDocument, 'startExecution', { input });
    const id = payload.execution?.id ?? null;
    if (id === null) throw new Error('no execution');
    let last: EventFieldsFragment | null = null;
    for await (const event of session.client.follow(id)) {
      events[event.type] = (events[event.type] ?? 0) + 1;
      last = event;
    }
    const status = last !== null && TERMINAL_EVENT_TYPES.has(last.type) ? terminalStatus(last.type) : 'UNKNOWN';
    const data = (last?.data ?? null) as { error?: unknown } | null;
    const error = typeof data?.error === 'string' ? data.error : null;
    const durationMs = performance.now() - started;
    let rollback: string | null = null;
    if (rollbackFailed && status === 'FAILED' && last !== null) {
      // Compensation under test: roll the failed run back and follow it from where it stopped.
      await session.client.mutate(RollbackExecutionDocument, 'rollbackExecution', { input: { id } });
      rollback = 'UNKNOWN';
      for await (const event of session.client.follow(id, { afterSeq: last.seq })) {
        events[event.type] = (events[event.type] ?? 0) + 1;
        if (TERMINAL_EVENT_TYPES.has(event.type)) rollback = terminalStatus(event.type);
      }
    }
    return { executionId: id, status, durationMs, events, error, rollback };
  } catch (error) {
    return {
      executionId: null,
      status: 'NOT_STARTED',
      durationMs: performance.now() - started,
      events,
      error: error instanceof Error ? error.message : String(error),
      rollback: null,
    };
  }
}

function terminalStatus(type: string): string {
  return type.slice('execution.'.length).toUpperCase();
}

/** The nearest-rank percentile of `values` (sorted here), or null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

/** A progress bar for a terminal: `[#####.....] 12/50`. */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / Math.max(1, total)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}
