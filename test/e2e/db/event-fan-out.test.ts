// The statement-level webhook fan-out of appended events (migration 9): the rules of the row
// trigger it replaces, for any number of events inserted by one statement.
import { withTenant } from '@weft/db';
import { createPlanVersion, createTestDatabase, createWorkspace, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let db: TestDatabase;
let A: { workspaceId: string; executionId: string };
let B: { workspaceId: string; executionId: string };

async function workspaceWithExecution(): Promise<{ workspaceId: string; executionId: string }> {
  const { workspaceId } = await createWorkspace(db.pools);
  const versionId = await createPlanVersion(db.pools, workspaceId, { steps: [] });
  const executionId = await withTenant(db.pools.app, { workspaceId }, async (c) => {
    const { rows } = await c.query<{ id: string }>(
      `INSERT INTO executions (workspace_id, plan_id, plan_version_id, status)
       SELECT workspace_id, plan_id, id, 'RUNNING' FROM plan_versions WHERE id = $1 RETURNING id`,
      [versionId],
    );
    return rows[0]?.id ?? '';
  });
  return { workspaceId, executionId };
}

beforeAll(async () => {
  db = await createTestDatabase();
  A = await workspaceWithExecution();
  B = await workspaceWithExecution();
});
afterAll(async () => {
  await db.drop();
});

describe('webhook fan-out of appended events, per statement', () => {
  const endpoint = (workspaceId: string, eventTypes: string[], enabled = true) =>
    withTenant(db.pools.app, { workspaceId }, async (c) => {
      const { rows } = await c.query<{ id: string }>(
        `INSERT INTO webhook_endpoints (workspace_id, url, event_types, secret_ciphertext, enabled)
         VALUES ($1, 'http://127.0.0.1:9/hook', $2, '\\x00', $3) RETURNING id`,
        [workspaceId, eventTypes, enabled],
      );
      return rows[0]?.id ?? '';
    });
  const append = (ws: { workspaceId: string; executionId: string }, from: number, types: string[]) =>
    withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      c.query(
        `INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data)
         SELECT $1, $2, $3 + o::int - 1, t, 's', '{"k": 1}' FROM unnest($4::text[]) WITH ORDINALITY AS x(t, o)`,
        [ws.workspaceId, ws.executionId, from, types],
      ),
    );
  const deliveries = async (endpointId: string) =>
    (
      await db.pools.owner.query<{ event_seq: number; event_type: string; payload: { seq: number; data: unknown } }>(
        'SELECT event_seq, event_type, payload FROM webhook_endpoint_deliveries WHERE endpoint_id = $1 ORDER BY event_seq',
        [endpointId],
      )
    ).rows;
  const deliveryJobs = async () =>
    Number(
      (
        await db.pools.owner.query<{ n: string }>(
          `SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'weft.webhook_delivery'`,
        )
      ).rows[0]?.n,
    );

  it('writes one delivery, with its job, per matching endpoint and event of a multi-row insert', async () => {
    const all = await endpoint(A.workspaceId, []);
    const steps = await endpoint(A.workspaceId, ['step.*']);
    const off = await endpoint(A.workspaceId, [], false);
    const jobsBefore = await deliveryJobs();
    await append(A, 1, ['execution.started', 'step.started', 'step.succeeded']);

    expect((await deliveries(all)).map((d) => [d.event_seq, d.event_type])).toEqual([
      [1, 'execution.started'],
      [2, 'step.started'],
      [3, 'step.succeeded'],
    ]);
    expect((await deliveries(steps)).map((d) => d.event_type)).toEqual(['step.started', 'step.succeeded']);
    expect(await deliveries(off)).toEqual([]);
    expect((await deliveries(all))[2]?.payload).toMatchObject({ seq: 3, data: { k: 1 } });
    expect((await deliveryJobs()) - jobsBefore).toBe(5);
  });

  it('writes nothing for a workspace without endpoints, nor for an insert that is rolled back', async () => {
    const jobsBefore = await deliveryJobs();
    await append(B, 1, ['execution.started', 'step.started']);
    expect(await deliveryJobs()).toBe(jobsBefore);

    const all = await endpoint(B.workspaceId, []);
    await expect(
      withTenant(db.pools.app, { workspaceId: B.workspaceId }, async (c) => {
        await c.query(
          `INSERT INTO execution_events (workspace_id, execution_id, seq, type) VALUES ($1, $2, 3, 'step.failed')`,
          [B.workspaceId, B.executionId],
        );
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await deliveries(all)).toEqual([]);
    expect(await deliveryJobs()).toBe(jobsBefore);
  });
});
