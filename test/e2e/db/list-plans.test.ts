import { withTenant } from '@weft/db';
import { createPlanVersion, createTestDatabase, createWorkspace, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The console's list statements must read a page off an index, not sort a workspace's history:
// their cost then stays flat as history grows (docs/perf/engine.md "History and neighbours").
// The statements are those of packages/schema/src/types/workspace.ts and execution.ts, planned
// as weft_app plans them (RLS, one workspace in scope) on an analyzed history of 3 workspaces (the
// planner sorts a few hundred rows rather than walk an index; past that it must not).

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

let db: TestDatabase;
let workspaceId: string;
let someExecution: string;

beforeAll(async () => {
  db = await createTestDatabase();
  for (let w = 0; w < 3; w++) {
    const ws = await createWorkspace(db.pools);
    const version = await createPlanVersion(db.pools, ws.workspaceId, { steps: [{ id: 's', tool: 'core.echo' }] });
    await db.pools.owner.query(
      `WITH e AS (
         INSERT INTO executions (workspace_id, plan_id, plan_version_id, status, created_at, started_at, finished_at, last_seq)
         SELECT v.workspace_id, v.plan_id, v.id, CASE WHEN g % 10 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END,
                now() - make_interval(mins => g), now() - make_interval(mins => g), now() - make_interval(mins => g), 10
           FROM plan_versions v, generate_series(1, $2::int) g WHERE v.id = $1
         RETURNING workspace_id, id
       )
       INSERT INTO execution_events (workspace_id, execution_id, seq, type)
       SELECT e.workspace_id, e.id, n, 'step.succeeded' FROM e, generate_series(1, 5) n`,
      [version, w === 2 ? 15_000 : 2_000],
    );
    workspaceId = ws.workspaceId;
  }
  await db.pools.owner.query('ANALYZE executions, execution_events');
  const { rows } = await db.pools.owner.query<{ id: string }>(
    'SELECT id FROM executions WHERE workspace_id = $1 LIMIT 1',
    [workspaceId],
  );
  someExecution = rows[0]?.id ?? '';
});

afterAll(async () => {
  await db?.drop();
});

async function planOf(sql: string, params: unknown[]): Promise<string[]> {
  return withTenant(db.pools.app, { workspaceId }, async (client) => {
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const nodes: string[] = [];
    const walk = (node: PlanNode) => {
      nodes.push([node['Node Type'], node['Index Name'] ?? node['Relation Name'] ?? ''].join(' ').trim());
      for (const child of node.Plans ?? []) walk(child);
    };
    const root = rows[0]?.['QUERY PLAN'][0];
    if (root !== undefined) walk(root.Plan);
    return nodes;
  });
}

it('pages executions of one status straight off an index', async () => {
  const plan = await planOf(
    'SELECT * FROM executions WHERE status = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3',
    ['FAILED', 50, 100],
  );
  expect(plan).toContainEqual(expect.stringMatching(/^Index (Only )?Scan executions_status_created_idx$/));
  expect(plan.some((n) => n.includes('Sort') || n.startsWith('Seq Scan'))).toBe(false);
});

it('pages all executions straight off an index', async () => {
  const plan = await planOf('SELECT * FROM executions ORDER BY created_at DESC, id LIMIT $1 OFFSET $2', [50, 100]);
  expect(plan).toContainEqual(expect.stringMatching(/^Index (Only )?Scan executions_created_idx$/));
  expect(plan.some((n) => n.includes('Sort') || n.startsWith('Seq Scan'))).toBe(false);
});

it('replays events after a seq by the primary key', async () => {
  const plan = await planOf(
    'SELECT seq, type, step_id, at, data FROM execution_events WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000',
    [someExecution, 5],
  );
  expect(plan).toContainEqual(expect.stringMatching(/^Index (Only )?Scan execution_events_pkey$/));
  expect(plan.some((n) => n.startsWith('Seq Scan'))).toBe(false);
});
