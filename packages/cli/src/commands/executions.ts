import {
  CancelExecutionDocument,
  ExecutionEventsDocument,
  type ExecutionStatus,
  ExecutionsDocument,
  PauseExecutionDocument,
  ResumeExecutionDocument,
  RetryExecutionDocument,
  RollbackExecutionDocument,
  type WeftClient,
} from '@weft/client';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit-codes.ts';
import { eventLine } from '../follow-run.ts';
import { positiveInt } from '../json-arg.ts';
import { type GlobalOptions, Session } from '../session.ts';

type ControlPayload = Promise<{ execution: { id: string; status: ExecutionStatus } | null }>;

const CONTROLS: Record<string, (client: WeftClient, id: string) => ControlPayload> = {
  cancel: (client, id) => client.mutate(CancelExecutionDocument, 'cancelExecution', { input: { id } }),
  pause: (client, id) => client.mutate(PauseExecutionDocument, 'pauseExecution', { input: { id } }),
  resume: (client, id) => client.mutate(ResumeExecutionDocument, 'resumeExecution', { input: { id } }),
  retry: (client, id) => client.mutate(RetryExecutionDocument, 'retryExecution', { input: { id } }),
  rollback: (client, id) => client.mutate(RollbackExecutionDocument, 'rollbackExecution', { input: { id } }),
};

const CONTROL_HELP: Record<string, string> = {
  cancel: 'cancels a run',
  pause: 'pauses a run after its running steps',
  resume: 'resumes a paused run',
  retry: 're-runs the failed steps of a failed run',
  rollback: 'compensates the completed steps of a run',
};

export function registerExecutions(program: Command): void {
  program
    .command('executions')
    .description('runs of the workspace')
    .command('list')
    .description('the latest runs, newest first')
    .option(
      '--status <status>',
      'only runs in this state, e.g. FAILED or WAITING_APPROVAL (a wrong one lists them all)',
    )
    .option('--limit <n>', 'how many (default 20)', positiveInt('--limit', 100), 20)
    .action(async (options: { status?: string; limit: number }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const status = options.status?.toUpperCase() as ExecutionStatus | undefined;
      if (status !== undefined) {
        // The engine's own list, loaded only for a filter: the engine is large to load (see plan.ts).
        const { EXECUTION_STATUSES } = await import('@weft/engine');
        if (!(EXECUTION_STATUSES as readonly string[]).includes(status)) {
          throw new CliError(`--status must be one of ${EXECUTION_STATUSES.join(', ')}`, ExitCode.USAGE, 'USAGE');
        }
      }
      const { slug } = await session.workspace();
      const { workspace } = await session.client.request(ExecutionsDocument, {
        slug,
        status: status ?? null,
        first: options.limit,
        after: null,
      });
      const rows = (workspace?.executions.edges ?? []).map((e) => e.node);
      session.out.result(rows);
      session.out.table([
        ['ID', 'PLAN', 'STATUS', 'MODE', 'TRIGGER', 'CREATED'],
        ...rows.map((r) => [r.id, `${r.plan.name} v${r.planVersion.number}`, r.status, r.mode, r.trigger, r.createdAt]),
      ]);
    });

  program
    .command('logs <id>')
    .description("a run's events; with --follow, live until it ends")
    .option('-f, --follow', 'keep printing events until the run ends')
    .action(async (id: string, options: { follow?: boolean }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      if (options.follow === true) {
        const events = [];
        for await (const event of session.client.follow(id)) {
          events.push(event);
          if (session.out.json) session.out.result(event);
          else session.out.line(eventLine(session, event));
        }
        return;
      }
      const { node } = await session.client.request(ExecutionEventsDocument, { id, afterSeq: null });
      if (node === null || !('events' in node))
        throw new CliError(`execution ${id} not found`, ExitCode.NOT_FOUND, 'NOT_FOUND');
      session.out.result(node.events);
      for (const event of node.events) session.out.line(eventLine(session, event));
    });

  for (const [verb, control] of Object.entries(CONTROLS)) {
    program
      .command(`${verb} <id>`)
      .description(CONTROL_HELP[verb] ?? verb)
      .action(async (id: string, _options: unknown, command: Command) => {
        const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
        const payload = await control(session.client, id);
        session.out.result(payload.execution);
        session.out.line(`${id}: ${payload.execution?.status ?? 'unknown'}`);
      });
  }
}
