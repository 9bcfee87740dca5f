import { jsonSizeIssues } from '@weft/engine';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { canIn } from '../authorize.ts';
import { builder, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer, roleOf } from '../context.ts';
import { notFound, type UserError, userError } from '../errors.ts';
import {
  EVENT_NAME_PATTERN,
  eventInputErrors,
  MAX_TRIGGERS_PER_WORKSPACE,
  sendWorkspaceEvent,
} from '../events/send-event.ts';
import { encodeTenantId, parseId, parseTenantId } from '../ids.ts';
import { COLUMNS, type ExecutionRow, toRow } from '../rows.ts';
import { ExecutionRef } from '../types/refs.ts';
import { EVENT_TRIGGER_COLUMNS, EventTriggerRef, type EventTriggerRow } from '../types/schedule.ts';

/** A trigger's `match`: a flat-ish object of a few fields (it is compared on every event of its name). */
const MATCH_LIMITS = { maxBytes: 8 * 1024, maxStringBytes: 1024, maxDepth: 8, maxValues: 100 } as const;

interface EventTriggerPayloadShape {
  eventTrigger?: EventTriggerRow | null;
  userErrors: UserError[];
}
const EventTriggerPayload = builder.objectRef<EventTriggerPayloadShape>('EventTriggerPayload').implement({
  fields: (t) => ({
    eventTrigger: t.field({ type: EventTriggerRef, nullable: true, resolve: (p) => p.eventTrigger ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

interface SendEventPayloadShape {
  resumed: number;
  started: ExecutionRow[];
  eventId?: string | null;
  workspaceId?: string;
  userErrors: UserError[];
}
const SendEventPayload = builder.objectRef<SendEventPayloadShape>('SendEventPayload').implement({
  fields: (t) => ({
    resumed: t.int({ description: 'Waiting steps the event resumed.', resolve: (p) => p.resumed }),
    started: t.field({ type: [ExecutionRef], description: 'Runs its triggers started.', resolve: (p) => p.started }),
    eventId: t.id({
      nullable: true,
      description: 'The recorded event (see Workspace.events).',
      resolve: (p) =>
        p.eventId === undefined || p.eventId === null || p.workspaceId === undefined
          ? null
          : encodeTenantId('Event', p.workspaceId, p.eventId),
    }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

const CreateEventTriggerInput = builder.inputType('CreateEventTriggerInput', {
  fields: (t) => ({
    planId: t.id({ required: true }),
    event: t.string({ required: true, description: 'The event name that starts the plan.' }),
    match: t.field({
      type: 'JSON',
      required: false,
      description: "An object: every field must be present in the event's data with an equal value.",
    }),
  }),
});
const DeleteEventTriggerInput = builder.inputType('DeleteEventTriggerInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});
const SendEventInput = builder.inputType('SendEventInput', {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    name: t.string({ required: true }),
    data: t.field({ type: 'JSON', required: false }),
  }),
});

function matchErrors(match: unknown): UserError[] {
  if (match === undefined || match === null) return [];
  if (typeof match !== 'object' || Array.isArray(match)) {
    return [userError('INVALID_MATCH', ['match'], 'match must be an object of fields')];
  }
  return jsonSizeIssues(match, MATCH_LIMITS).map((i) => userError(i.code, ['match', ...i.path], i.message));
}

builder.mutationFields((t) => ({
  createEventTrigger: t.field({
    type: EventTriggerPayload,
    description: "Starts the plan's latest version, with the event's data as input, on every matching event.",
    authScopes: canIn(
      MUTATION_PERMISSIONS.createEventTrigger,
      (args: { input: { planId: string } }) => parseTenantId(args.input.planId, 'Plan').workspaceId,
    ),
    args: { input: t.arg({ type: CreateEventTriggerInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<EventTriggerPayloadShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id: planId } = parseTenantId(String(input.planId), 'Plan');
      const errors = [...matchErrors(input.match)];
      if (!EVENT_NAME_PATTERN.test(input.event)) {
        errors.unshift(userError('INVALID_EVENT', ['event'], 'event must be 1-200 letters, digits or "_.:/-"'));
      }
      if (errors.length > 0) return { userErrors: errors };
      return inTenant(ctx, workspaceId, async (client) => {
        const plan = await client.query('SELECT 1 FROM plans WHERE id = $1', [planId]);
        if (plan.rowCount === 0) throw notFound();
        const { rows: count } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM event_triggers');
        if ((count[0]?.n ?? 0) >= MAX_TRIGGERS_PER_WORKSPACE) {
          return {
            userErrors: [
              userError(
                'LIMIT_REACHED',
                null,
                `A workspace may hold at most ${MAX_TRIGGERS_PER_WORKSPACE} event triggers.`,
              ),
            ],
          };
        }
        const { rows } = await client.query(
          `INSERT INTO event_triggers (workspace_id, plan_id, event, match, created_by) VALUES ($1, $2, $3, $4::jsonb, $5)
           RETURNING ${EVENT_TRIGGER_COLUMNS}`,
          [workspaceId, planId, input.event, input.match == null ? null : JSON.stringify(input.match), viewer.userId],
        );
        const eventTrigger = toRow<EventTriggerRow>(rows[0] ?? {});
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'eventTrigger.create',
          targetId: encodeTenantId('EventTrigger', workspaceId, eventTrigger.id),
          targetLabel: input.event,
          after: { plan: encodeTenantId('Plan', workspaceId, planId), event: input.event, match: input.match ?? null },
        });
        return { eventTrigger, userErrors: [] };
      });
    },
  }),
  deleteEventTrigger: t.field({
    type: EventTriggerPayload,
    authScopes: canIn(
      MUTATION_PERMISSIONS.deleteEventTrigger,
      (args: { input: { id: string } }) => parseTenantId(args.input.id, 'EventTrigger').workspaceId,
    ),
    args: { input: t.arg({ type: DeleteEventTriggerInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<EventTriggerPayloadShape> => {
      const viewer = requireViewer(ctx);
      const { workspaceId, id } = parseTenantId(String(input.id), 'EventTrigger');
      return inTenant(ctx, workspaceId, async (client) => {
        const { rows } = await client.query(
          `DELETE FROM event_triggers WHERE id = $1 RETURNING ${EVENT_TRIGGER_COLUMNS}`,
          [id],
        );
        const row = rows[0];
        if (row === undefined) throw notFound();
        const eventTrigger = toRow<EventTriggerRow>(row);
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'eventTrigger.delete',
          targetId: encodeTenantId('EventTrigger', workspaceId, id),
          targetLabel: eventTrigger.event,
          before: {
            plan: encodeTenantId('Plan', workspaceId, eventTrigger.planId),
            event: eventTrigger.event,
            match: eventTrigger.match,
          },
        });
        return { eventTrigger, userErrors: [] };
      });
    },
  }),
  sendEvent: t.field({
    type: SendEventPayload,
    description:
      "Records an event, starts every plan whose trigger matches (the event's data as input) and resumes every waiting step that matches.",
    authScopes: canIn(MUTATION_PERMISSIONS.sendEvent, (args: { input: { workspaceId: string } }) =>
      parseId(args.input.workspaceId, 'Workspace'),
    ),
    args: { input: t.arg({ type: SendEventInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<SendEventPayloadShape> => {
      const viewer = requireViewer(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      const role = await roleOf(ctx, workspaceId);
      if (role === null) throw notFound();
      const errors = eventInputErrors(input.name, input.data);
      if (errors.length > 0) return { resumed: 0, started: [], userErrors: errors };
      return inTenant(ctx, workspaceId, async (client) => {
        const sent = await sendWorkspaceEvent(client, ctx.options.engine, {
          workspaceId,
          name: input.name,
          data: input.data ?? null,
          actor: { userId: viewer.userId, role },
          source: 'API',
          traceParent: ctx.traceParent,
        });
        const { rows } = await client.query(
          `SELECT ${COLUMNS.execution} FROM executions WHERE id = ANY($1::uuid[]) ORDER BY created_at, id`,
          [sent.started],
        );
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'event.send',
          targetId: encodeTenantId('Event', workspaceId, sent.eventId),
          targetLabel: input.name,
          after: {
            name: input.name,
            resumed: sent.resumed,
            started: sent.started.map((id) => encodeTenantId('Execution', workspaceId, id)),
          },
        });
        return {
          resumed: sent.resumed,
          started: rows.map((r) => toRow<ExecutionRow>(r)),
          eventId: sent.eventId,
          workspaceId,
          userErrors: [],
        };
      });
    },
  }),
}));
