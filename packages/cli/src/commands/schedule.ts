import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit-codes.ts';
import { jsonArg } from '../json-arg.ts';
import { type GlobalOptions, Session } from '../session.ts';
import { document, type UserErrorShape } from './pending-documents.ts';

interface ScheduleShape {
  id: string;
  cron: string;
  timezone: string;
  paused: boolean;
  overlap: string;
  nextRunAt: string | null;
  lastRunAt: string | null;
  plan: { name: string };
}

const FIELDS = 'id cron timezone paused overlap nextRunAt lastRunAt plan { name }';
type SchedulePayload = { schedule: ScheduleShape | null; userErrors: UserErrorShape[] };

const CREATE = document<{ createSchedule: SchedulePayload }, { input: Record<string, unknown> }>(
  `mutation CreateSchedule($input: CreateScheduleInput!) { createSchedule(input: $input) { schedule { ${FIELDS} } userErrors { code field message } } }`,
);
const UPDATE = document<{ updateSchedule: SchedulePayload }, { input: { id: string; paused: boolean } }>(
  `mutation UpdateSchedule($input: UpdateScheduleInput!) { updateSchedule(input: $input) { schedule { ${FIELDS} } userErrors { code field message } } }`,
);
const DELETE = document<{ deleteSchedule: SchedulePayload }, { input: { id: string } }>(
  `mutation DeleteSchedule($input: DeleteScheduleInput!) { deleteSchedule(input: $input) { schedule { id } userErrors { code field message } } }`,
);
const LIST = document<{ workspace: { schedules: ScheduleShape[] } | null }, { slug: string }>(
  `query Schedules($slug: String!) { workspace(slug: $slug) { id schedules { ${FIELDS} } } }`,
);

const OVERLAPS = ['SKIP', 'BUFFER_ONE', 'ALLOW_ALL', 'CANCEL_OTHER'];

function print(session: Session, schedule: ScheduleShape | null): void {
  session.out.result(schedule);
  if (schedule !== null) {
    session.out.line(
      `${schedule.id}  ${schedule.plan.name}  ${schedule.cron} (${schedule.timezone})${schedule.paused ? '  paused' : ''}`,
    );
  }
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('runs of a plan on a cron schedule');

  schedule
    .command('create <plan>')
    .description('runs PLAN on a cron schedule (5 fields, or 6 with seconds first)')
    .requiredOption('--cron <expr>', 'e.g. "0 9 * * 1-5"')
    .option('--tz <zone>', 'an IANA time zone (default UTC)')
    .option('--input <json>', "the runs' input as JSON, or @file.json")
    .option('--overlap <policy>', `when a run is still going: ${OVERLAPS.join(', ')} (default SKIP)`)
    .option('--paused', 'create it paused')
    .addHelpText('after', '\nExample:\n  weft schedule create invoices --cron "0 9 * * 1" --tz Europe/Paris')
    .action(async (name: string, options: ScheduleOptions, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const overlap = options.overlap?.toUpperCase();
      if (overlap !== undefined && !OVERLAPS.includes(overlap)) {
        throw new CliError(`--overlap must be one of ${OVERLAPS.join(', ')}`, ExitCode.USAGE, 'USAGE');
      }
      const plan = await session.requirePlan(name);
      const input = {
        planId: plan.id,
        cron: options.cron,
        ...(options.tz === undefined ? {} : { timezone: options.tz }),
        ...(options.input === undefined ? {} : { input: await jsonArg(options.input, '--input') }),
        ...(overlap === undefined ? {} : { overlap }),
        ...(options.paused === true ? { paused: true } : {}),
      };
      print(session, (await session.client.mutate(CREATE, 'createSchedule', { input })).schedule);
    });

  schedule
    .command('list')
    .description("the workspace's schedules")
    .action(async (_options: unknown, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const { slug } = await session.workspace();
      const rows = (await session.client.request(LIST, { slug })).workspace?.schedules ?? [];
      session.out.result(rows);
      session.out.table([
        ['ID', 'PLAN', 'CRON', 'ZONE', 'PAUSED', 'NEXT RUN'],
        ...rows.map((s) => [s.id, s.plan.name, s.cron, s.timezone, s.paused ? 'yes' : 'no', s.nextRunAt ?? '-']),
      ]);
    });

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedule
      .command(`${verb} <id>`)
      .description(paused ? 'stops a schedule firing' : 'lets a paused schedule fire again')
      .action(async (id: string, _options: unknown, command: Command) => {
        const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
        print(session, (await session.client.mutate(UPDATE, 'updateSchedule', { input: { id, paused } })).schedule);
      });
  }

  schedule
    .command('delete <id>')
    .description('deletes a schedule')
    .action(async (id: string, _options: unknown, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      await session.client.mutate(DELETE, 'deleteSchedule', { input: { id } });
      session.out.result({ id, deleted: true });
      session.out.line(`Deleted ${id}.`);
    });
}

interface ScheduleOptions {
  cron: string;
  tz?: string;
  input?: string;
  overlap?: string;
  paused?: boolean;
}
