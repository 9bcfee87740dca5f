import type { StartWebhookExecution } from '@weft/api';

/**
 * A stand-in for the engine behind `POST /hooks/:id`, for tests of the route alone: it writes the
 * executions row in the delivery's transaction (what the engine's startExecution does first), so
 * no run proceeds. The row's id is the database's: weft_app may not choose one (migration 15).
 */
export const recordOnlyWebhookStart: StartWebhookExecution = async (client, workspaceId, { planVersionId, input }) => {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO executions (workspace_id, plan_id, plan_version_id, input)
     SELECT $1, plan_id, id, $3 FROM plan_versions WHERE id = $2 RETURNING id`,
    [workspaceId, planVersionId, JSON.stringify(input)],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`plan version ${planVersionId} not found`);
  return { executionId: id };
};
