import { nextRunAfter, scheduleIssues } from '@weft/engine';
import type pg from 'pg';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer } from '../context.ts';
import { notFound, type UserError, userError } from '../errors.ts';
import { encodeTenantId, parseTenantId } from '../ids.ts';
import { inputSizeErrors } from '../input-size.ts';
import { toRow } from '../rows.ts';
import {
  OverlapPolicyEnum,
  type OverlapPolicyValue,
  SCHEDULE_COLUMNS,
  ScheduleRef,
  type ScheduleRow,
} from '../types/schedule.ts';

/** Schedules one workspace may hold: each costs a transaction per tick. */
export const MAX_SCHEDULES_PER_WORKSPACE = 100;

interface SchedulePayloadShape {
  schedule?: ScheduleRow | null;
  userErrors: UserError[];
}
const SchedulePayload = builder.objectRef<SchedulePayloadShape>('SchedulePayload').implement({
  fields: (t) => ({
    schedule: t.field({ type: ScheduleRef, nullable: true, resolve: (p) => p.schedule ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

const CreateScheduleInput = builder.inputType('CreateScheduleInput', {
  fields: (t) => ({
    planId: t.id({ required: true }),
    cron: t.string({ required: true, description: '5 fields, or 6 with seconds first (`*/2 * * * * *`).' }),
    timezone: t.string({ required: false, description: 'An IANA time zone; default UTC.' }),
    input: t.field({ type: 'JSON', required: false, description: "The runs' input." }),
    overlap: t.field({ type: OverlapPolicyEnum, required: false, description: 'Default SKIP.' }),
    paused: t.boolean({ required: false }),
  }),
});
const UpdateScheduleInput = builder.inputType('UpdateScheduleInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    cron: t.string({ required: false }),
    timezone: t.string({ required: false }),
    input: t.field({ type: 'JSON', required: false }),
    overlap: t.field({ type: OverlapPolicyEnum, required: false }),
    paused: t.boolean({ required: false }),
  }),
});
const DeleteScheduleInput = builder.inputType('DeleteScheduleInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

/** The cron and zone as userErrors, or the first time they name after now. */
function timingErrors(cron: string, timezone: string): UserError[] {
  return scheduleIssues({ cron, timezone }).map((i) => userError(i.code, i.path, i.message));
}

function firstRun(cron: string, timezone: string): Date | null {
  return nextRunAfter({ cron, timezone }, new Date());
}

/** What the audit log keeps of a schedule (its input may be large: only whether it has one). */
function audited(s: ScheduleRow) {
  return {
    plan: encodeTenantId('Plan', s.workspaceId, s.planId),
    cron: s.cron,
    timezone: s.timezone,
    overlap: s.overlap,
    paused: s.paused,
  };
}

async function lockSchedule(client: pg.PoolClient, id: string): Promise<ScheduleRow> {
  // Waits for a tick being taken right now, so an update never races a tick's own update.
  const { rows } = await client.query(`SELECT ${SCHEDULE_COLUMNS} FROM schedules WHERE id = $1 FOR UPDATE`, [id]);
  const row = rows[0];
  if (row === undefined) throw notFound();
  return toRow<ScheduleRow>(row);
}

builder.mutationFields((t) => ({
  createSchedule: t.field({
    type: SchedulePayload,
    description: "Starts the plan's latest version at each time the cron names, in its time zone.",
    authScopes: canIn(
      MUTATION_PERMISSIONS.createSchedule,
      (args: { input: { planId: string } }) => parseTenantId(args.input.planId, 'Plan').workspaceId,
    ),
    args: { input: t.arg({ type: CreateScheduleInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<SchedulePayloadShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id: planId } = parseTenantId(String(input.planId), 'Plan');
      const timezone = input.timezone ?? 'UTC';
      const errors = [...timingErrors(input.cron, timezone), ...inputSizeErrors(input.input)];
      if (errors.length > 0) return { userErrors: errors };
      const overlap: OverlapPolicyValue = input.overlap ?? 'SKIP';
      return inTenant(ctx, workspaceId, async (client) => {
        const plan = await client.query('SELECT 1 FROM plans WHERE id = $1', [planId]);
        if (plan.rowCount === 0) throw notFound();
        const { rows: count } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM schedules');
        if ((count[0]?.n ?? 0) >= MAX_SCHEDULES_PER_WORKSPACE) {
          return {
            userErrors: [
              userError(
                'LIMIT_REACHED',
                null,
                `A workspace may hold at most ${MAX_SCHEDULES_PER_WORKSPACE} schedules.`,
              ),
            ],
          };
        }
        const { rows } = await client.query(
          `INSERT INTO schedules (workspace_id, plan_id, cron, timezone, input, overlap, paused, next_run_at, created_by)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9) RETURNING ${SCHEDULE_COLUMNS}`,
          [
            workspaceId,
            planId,
            input.cron,
            timezone,
            JSON.stringify(input.input ?? null),
            overlap,
            input.paused ?? false,
            firstRun(input.cron, timezone),
            viewer.userId,
          ],
        );
        const schedule = toRow<ScheduleRow>(rows[0] ?? {});
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'schedule.create',
          targetId: encodeTenantId('Schedule', workspaceId, schedule.id),
          after: audited(schedule),
        });
        return { schedule, userErrors: [] };
      });
    },
  }),
  updateSchedule: t.field({
    type: SchedulePayload,
    description: 'Changes a schedule; a new cron or time zone, or resuming, counts the next time from now.',
    authScopes: canIn(
      MUTATION_PERMISSIONS.updateSchedule,
      (args: { input: { id: string } }) => parseTenantId(args.input.id, 'Schedule').workspaceId,
    ),
    args: { input: t.arg({ type: UpdateScheduleInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<SchedulePayloadShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id } = parseTenantId(String(input.id), 'Schedule');
      const sizeErrors = input.input === undefined ? [] : inputSizeErrors(input.input);
      if (sizeErrors.length > 0) return { userErrors: sizeErrors };
      return inTenant(ctx, workspaceId, async (client) => {
        const before = await lockSchedule(client, id);
        const cron = input.cron ?? before.cron;
        const timezone = input.timezone ?? before.timezone;
        const errors = timingErrors(cron, timezone);
        if (errors.length > 0) return { userErrors: errors };
        const paused = input.paused ?? before.paused;
        const retimed = cron !== before.cron || timezone !== before.timezone || (before.paused && !paused);
        const { rows } = await client.query(
          `UPDATE schedules SET cron = $2, timezone = $3, input = CASE WHEN $4 THEN $5::jsonb ELSE input END,
                  overlap = $6, paused = $7, next_run_at = CASE WHEN $8 THEN $9::timestamptz ELSE next_run_at END,
                  buffered = buffered AND NOT $7, updated_at = now()
            WHERE id = $1 RETURNING ${SCHEDULE_COLUMNS}`,
          [
            id,
            cron,
            timezone,
            input.input !== undefined,
            JSON.stringify(input.input ?? null),
            input.overlap ?? before.overlap,
            paused,
            retimed,
            retimed ? firstRun(cron, timezone) : null,
          ],
        );
        const schedule = toRow<ScheduleRow>(rows[0] ?? {});
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'schedule.update',
          targetId: encodeTenantId('Schedule', workspaceId, id),
          before: audited(before),
          after: audited(schedule),
        });
        return { schedule, userErrors: [] };
      });
    },
  }),
  deleteSchedule: t.field({
    type: SchedulePayload,
    description: 'Deletes a schedule; runs it started are kept.',
    authScopes: canIn(
      MUTATION_PERMISSIONS.deleteSchedule,
      (args: { input: { id: string } }) => parseTenantId(args.input.id, 'Schedule').workspaceId,
    ),
    args: { input: t.arg({ type: DeleteScheduleInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<SchedulePayloadShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id } = parseTenantId(String(input.id), 'Schedule');
      return inTenant(ctx, workspaceId, async (client) => {
        const before = await lockSchedule(client, id);
        await client.query('DELETE FROM schedules WHERE id = $1', [id]);
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'schedule.delete',
          targetId: encodeTenantId('Schedule', workspaceId, id),
          before: audited(before),
        });
        return { schedule: before, userErrors: [] };
      });
    },
  }),
}));
