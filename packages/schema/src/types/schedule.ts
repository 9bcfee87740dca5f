import { builder, NODE_TYPES } from '../builder.ts';
import { inTenant } from '../context.ts';
import { tenantKey } from '../ids.ts';
import { readInTenant, resolveKeysetConnection } from '../keyset-page.ts';
import { loadTenantRows } from '../loaders.ts';
import { COLUMNS, type ExecutionRow, toRow } from '../rows.ts';
import { ExecutionRef, PlanRef, UserRef, WorkspaceRef } from './refs.ts';
import { ExecutionConnection } from './workspace.ts';

for (const name of ['Schedule', 'EventTrigger', 'Event']) NODE_TYPES.add(name);

export const OVERLAP_POLICIES = ['SKIP', 'BUFFER_ONE', 'ALLOW_ALL', 'CANCEL_OTHER'] as const;
export type OverlapPolicyValue = (typeof OVERLAP_POLICIES)[number];

export interface ScheduleRow {
  workspaceId: string;
  id: string;
  planId: string;
  cron: string;
  timezone: string;
  input: unknown;
  overlap: OverlapPolicyValue;
  paused: boolean;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  createdAt: Date;
}
export const SCHEDULE_COLUMNS =
  'workspace_id, id, plan_id, cron, timezone, input, overlap, paused, next_run_at, last_run_at, created_at';

export interface EventTriggerRow {
  workspaceId: string;
  id: string;
  planId: string;
  event: string;
  match: unknown;
  createdAt: Date;
}
export const EVENT_TRIGGER_COLUMNS = 'workspace_id, id, plan_id, event, match, created_at';

export interface EventRow {
  workspaceId: string;
  id: string;
  name: string;
  data: unknown;
  source: string;
  sentBy: string | null;
  sentAt: Date;
  resumed: number;
  started: string[];
}
export const EVENT_COLUMNS = 'workspace_id, id, name, data, source, sent_by, sent_at, resumed, started';

export const OverlapPolicyEnum = builder.enumType('OverlapPolicy', {
  description:
    'What a tick does while a run it started earlier is still going: SKIP it, BUFFER_ONE (run once after), ALLOW_ALL (run alongside), CANCEL_OTHER (cancel the old run, start anew).',
  values: OVERLAP_POLICIES,
});

export const ScheduleRef = builder.loadableNode('Schedule', {
  id: { resolve: (s: ScheduleRow) => tenantKey(s.workspaceId, s.id) },
  load: (keys: string[], ctx) =>
    loadTenantRows<ScheduleRow>(ctx, keys, {
      table: 'schedules',
      columns: SCHEDULE_COLUMNS,
      permission: ['read', 'Schedule'],
    }),
  fields: (t) => ({
    plan: t.field({ type: PlanRef, resolve: (s) => tenantKey(s.workspaceId, s.planId) }),
    cron: t.exposeString('cron', { description: '5 fields, or 6 with seconds first.' }),
    timezone: t.exposeString('timezone', { description: 'The IANA time zone the cron is read in.' }),
    input: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.input }),
    overlap: t.field({ type: OverlapPolicyEnum, resolve: (s) => s.overlap }),
    paused: t.exposeBoolean('paused'),
    nextRunAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the next tick is due (null while paused).',
      resolve: (s) => (s.paused ? null : s.nextRunAt),
    }),
    lastRunAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the schedule last started a run.',
      resolve: (s) => s.lastRunAt,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (s) => s.createdAt }),
    executions: t.connection(
      {
        type: ExecutionRef,
        description: 'Runs this schedule started, newest first.',
        // schedule_runs_schedule_fired_idx (workspace_id, schedule_id, fired_at DESC, execution_id), migration 29.
        resolve: (s, args, ctx) =>
          resolveKeysetConnection(
            args,
            {
              columns: COLUMNS.execution
                .split(', ')
                .map((c) => `e.${c}`)
                .join(', '),
              from: 'schedule_runs r JOIN executions e ON e.id = r.execution_id',
              at: 'r.fired_at',
              id: 'r.execution_id',
              filters: [['r.schedule_id = ?::uuid', s.id]],
              toNode: (r) => toRow<ExecutionRow>(r),
            },
            readInTenant(ctx, s.workspaceId),
          ),
      },
      ExecutionConnection,
    ),
  }),
});

export const EventTriggerRef = builder.loadableNode('EventTrigger', {
  id: { resolve: (e: EventTriggerRow) => tenantKey(e.workspaceId, e.id) },
  load: (keys: string[], ctx) =>
    loadTenantRows<EventTriggerRow>(ctx, keys, {
      table: 'event_triggers',
      columns: EVENT_TRIGGER_COLUMNS,
      permission: ['read', 'EventTrigger'],
    }),
  fields: (t) => ({
    plan: t.field({ type: PlanRef, resolve: (e) => tenantKey(e.workspaceId, e.planId) }),
    event: t.exposeString('event'),
    match: t.field({
      type: 'JSON',
      nullable: true,
      description: "Fields the event's data must have, with equal values.",
      resolve: (e) => e.match,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
  }),
});

export const EventRef = builder.loadableNode('Event', {
  id: { resolve: (e: EventRow) => tenantKey(e.workspaceId, e.id) },
  load: (keys: string[], ctx) =>
    loadTenantRows<EventRow>(ctx, keys, { table: 'events', columns: EVENT_COLUMNS, permission: ['read', 'Event'] }),
  fields: (t) => ({
    name: t.exposeString('name'),
    data: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.data }),
    source: t.exposeString('source', { description: 'API (sendEvent) or WEBHOOK (an inbound webhook naming it).' }),
    sentBy: t.field({ type: UserRef, nullable: true, resolve: (e) => e.sentBy }),
    sentAt: t.field({ type: 'DateTime', resolve: (e) => e.sentAt }),
    resumed: t.exposeInt('resumed', { description: 'Waiting steps it resumed.' }),
    started: t.field({
      type: [ExecutionRef],
      description: 'Runs its triggers started.',
      resolve: (e) => e.started.map((id) => tenantKey(e.workspaceId, id)),
    }),
  }),
});

const EventConnection = builder.connectionObject({ type: EventRef, name: 'EventConnection' });

builder.objectFields(WorkspaceRef, (t) => ({
  schedules: t.field({
    type: [ScheduleRef],
    authScopes: (w, _args, ctx) =>
      ctx.viewer === null
        ? { authenticated: true }
        : { can: { workspaceId: w.id, action: 'read', subject: 'Schedule' } },
    resolve: (w, _args, ctx) =>
      inTenant(ctx, w.id, async (client) => {
        const { rows } = await client.query(`SELECT ${SCHEDULE_COLUMNS} FROM schedules ORDER BY created_at, id`);
        return rows.map((r) => toRow<ScheduleRow>(r));
      }),
  }),
  eventTriggers: t.field({
    type: [EventTriggerRef],
    authScopes: (w, _args, ctx) =>
      ctx.viewer === null
        ? { authenticated: true }
        : { can: { workspaceId: w.id, action: 'read', subject: 'EventTrigger' } },
    resolve: (w, _args, ctx) =>
      inTenant(ctx, w.id, async (client) => {
        const { rows } = await client.query(
          `SELECT ${EVENT_TRIGGER_COLUMNS} FROM event_triggers ORDER BY created_at, id`,
        );
        return rows.map((r) => toRow<EventTriggerRow>(r));
      }),
  }),
  events: t.connection(
    {
      type: EventRef,
      description: 'Events sent to the workspace, newest first.',
      authScopes: (w, _args, ctx) =>
        ctx.viewer === null
          ? { authenticated: true }
          : { can: { workspaceId: w.id, action: 'read', subject: 'Event' } },
      // events_sent_at_idx (workspace_id, sent_at DESC, id).
      resolve: (w, args, ctx) =>
        resolveKeysetConnection(
          args,
          {
            columns: EVENT_COLUMNS,
            from: 'events',
            at: 'sent_at',
            id: 'id',
            filters: [],
            toNode: (r) => toRow<EventRow>(r),
          },
          readInTenant(ctx, w.id),
        ),
    },
    EventConnection,
  ),
}));
