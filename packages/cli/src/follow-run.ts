import { type EventFieldsFragment, ExecutionDocument, type ExecutionFieldsFragment } from '@weft/client';
import { CliError, ExitCode } from './exit-codes.ts';
import type { Session } from './session.ts';

function describe(event: EventFieldsFragment): string {
  const data = event.data as Record<string, unknown> | null;
  const detail =
    typeof data?.error === 'string'
      ? ` ${data.error}`
      : typeof data?.attempt === 'number' && data.attempt > 1
        ? ` (attempt ${data.attempt})`
        : '';
  return `${event.type}${event.stepId === null ? '' : ` ${event.stepId}`}${detail}`;
}

export function eventLine(session: Session, event: EventFieldsFragment): string {
  const c = session.out.color;
  const text = describe(event);
  const paint = /failed|cancelled|rolled_back/.test(event.type)
    ? c.red
    : /succeeded/.test(event.type)
      ? c.green
      : /retrying|waiting|paused|approval/.test(event.type)
        ? c.yellow
        : (s: string) => s;
  return `${c.dim(`${event.at.slice(11, 23)} #${event.seq}`)} ${paint(text)}`;
}

export async function readExecution(session: Session, id: string): Promise<ExecutionFieldsFragment> {
  const { node } = await session.client.request(ExecutionDocument, { id });
  if (node === null || !('status' in node))
    throw new CliError(`execution ${id} not found`, ExitCode.NOT_FOUND, 'NOT_FOUND');
  return node;
}

/**
 * Prints the run's events as they happen (with a progress line on a terminal) until its terminal
 * event, then returns the execution as it ended.
 */
export async function followRun(
  session: Session,
  executionId: string,
  stepCount: number,
  options: { quiet?: boolean } = {},
): Promise<ExecutionFieldsFragment> {
  const started = Date.now();
  const done = new Set<string>();
  let status = 'RUNNING';
  for await (const event of session.client.follow(executionId)) {
    if (event.stepId !== null && /^step\.(succeeded|failed|cached|compensated)$/.test(event.type))
      done.add(event.stepId);
    if (event.type === 'execution.paused') status = 'PAUSED';
    if (event.type === 'execution.resumed') status = 'RUNNING';
    if (event.type === 'approval.requested') status = 'WAITING_APPROVAL';
    if (options.quiet !== true) {
      session.out.endProgress();
      session.out.line(eventLine(session, event));
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      session.out.progress(`${status} · ${done.size}/${stepCount} steps · ${seconds}s`);
    }
  }
  session.out.endProgress();
  return readExecution(session, executionId);
}
