/**
 * Sending an event to a workspace, in the caller's tenant transaction: the event is recorded, every
 * plan whose trigger matches starts with the event's data as input (`trigger = EVENT`), and the
 * engine resumes the waiting steps it matches. Shared by `sendEvent` and inbound webhooks that name
 * an event, so both behave the same.
 */
import { type Actor, type EngineApi, EngineError, eventMatches, executionInputSizeIssues } from '@weft/engine';
import type pg from 'pg';
import { type UserError, userError } from '../errors.ts';

/** Event names: what a trigger or a wait step names, so kept to a plain, bounded alphabet. */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9_.:/-]{1,200}$/;
/** Triggers one event may start at most (a workspace may hold no more triggers than this). */
export const MAX_TRIGGERS_PER_WORKSPACE = 100;

export type EventEngine = Pick<EngineApi, 'startExecution' | 'deliverEvent'>;

export interface SentEvent {
  eventId: string;
  resumed: number;
  started: string[];
}

/** What is wrong with an event's name and data, as userErrors on `["name"]` and `["data", ...]`. */
export function eventInputErrors(name: string, data: unknown): UserError[] {
  const errors: UserError[] = [];
  if (!EVENT_NAME_PATTERN.test(name)) {
    errors.push(userError('INVALID_EVENT', ['name'], 'name must be 1-200 letters, digits or "_.:/-"'));
  }
  for (const issue of executionInputSizeIssues(data ?? null)) {
    errors.push(userError(issue.code, ['data', ...issue.path], issue.message));
  }
  return errors;
}

export async function sendWorkspaceEvent(
  client: pg.PoolClient,
  engine: EventEngine,
  event: {
    workspaceId: string;
    name: string;
    data: unknown;
    actor: Actor;
    source: 'API' | 'WEBHOOK';
    traceParent?: string | null;
  },
): Promise<SentEvent> {
  const { workspaceId, name, actor } = event;
  const data = event.data ?? null;
  const { rows: inserted } = await client.query<{ id: string; sent_at: Date }>(
    `INSERT INTO events (workspace_id, name, data, source, sent_by) VALUES ($1, $2, $3::jsonb, $4, $5)
     RETURNING id, sent_at`,
    [workspaceId, name, JSON.stringify(data), event.source, actor.userId],
  );
  const row = inserted[0];
  if (row === undefined) throw new Error('event was not recorded');
  const { rows: triggers } = await client.query<{ id: string; match: unknown; version_id: string | null }>(
    `SELECT t.id, t.match, v.id AS version_id FROM event_triggers t
       JOIN plans p ON p.id = t.plan_id
       LEFT JOIN plan_versions v ON v.plan_id = p.id AND v.number = p.latest_version
      WHERE t.event = $1 ORDER BY t.created_at, t.id LIMIT $2`,
    [name, MAX_TRIGGERS_PER_WORKSPACE],
  );
  const started: string[] = [];
  for (const trigger of triggers) {
    if (trigger.version_id === null || !eventMatches(trigger.match, data)) continue;
    // A plan that can no longer run (a tool uninstalled since) starts nothing; the others still start.
    await client.query('SAVEPOINT weft_event_start');
    try {
      const { executionId } = await engine.startExecution(client, workspaceId, {
        planVersionId: trigger.version_id,
        input: data,
        actor,
        trigger: 'EVENT',
        traceParent: event.traceParent ?? null,
      });
      await client.query('RELEASE SAVEPOINT weft_event_start');
      started.push(executionId);
    } catch (error) {
      if (!(error instanceof EngineError) || error.code !== 'INVALID_PLAN') throw error;
      await client.query('ROLLBACK TO SAVEPOINT weft_event_start');
    }
  }
  const { resumed } = await engine.deliverEvent(client, {
    workspaceId,
    eventId: row.id,
    name,
    data,
    sentAt: row.sent_at,
  });
  await client.query('UPDATE events SET resumed = $2, started = $3::uuid[] WHERE id = $1', [row.id, resumed, started]);
  return { eventId: row.id, resumed, started };
}
