import { withTenant } from '@weft/db';
import { keysetCursor, keysetStatement, parseCursor } from '@weft/schema';
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
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

let db: TestDatabase;
let workspaceId: string;
let someExecution: string;
/** A plan of the large workspace whose 30 runs are older than all the others. */
let quietPlan: string;

/** `count` finished runs of `version`, one a minute back from `minutesAgo`; one in ten FAILED, one in a hundred a dry run. */
async function seedRuns(version: string, count: number, minutesAgo: number) {
  await db.pools.owner.query(
    `WITH e AS (
       INSERT INTO executions (workspace_id, plan_id, plan_version_id, status, mode, created_at, started_at, finished_at, last_seq)
       SELECT v.workspace_id, v.plan_id, v.id, CASE WHEN g % 10 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END,
              CASE WHEN g % 100 = 7 THEN 'DRY_RUN' ELSE 'LIVE' END, x.t, x.t, x.t, 10
         FROM plan_versions v, generate_series(1, $2::int) g,
              LATERAL (SELECT now() - make_interval(mins => g + $3::int) AS t) x
        WHERE v.id = $1
       RETURNING workspace_id, id
     )
     INSERT INTO execution_events (workspace_id, execution_id, seq, type)
     SELECT e.workspace_id, e.id, n, 'step.succeeded' FROM e, generate_series(1, 5) n`,
    [version, count, minutesAgo],
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  for (let w = 0; w < 3; w++) {
    const ws = await createWorkspace(db.pools);
    const version = await createPlanVersion(db.pools, ws.workspaceId, { steps: [{ id: 's', tool: 'core.echo' }] });
    await seedRuns(version, w === 2 ? 15_000 : 2_000, 0);
    workspaceId = ws.workspaceId;
  }
  const quiet = await createPlanVersion(db.pools, workspaceId, { steps: [{ id: 'q', tool: 'core.echo' }] });
  await seedRuns(quiet, 30, 20_000);
  const { rows: plans } = await db.pools.owner.query<{ plan_id: string }>(
    'SELECT plan_id FROM plan_versions WHERE id = $1',
    [quiet],
  );
  quietPlan = plans[0]?.plan_id ?? '';
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

// The statement `workspace.executions` builds with each filter (only the filters given are in it).
const LIST = (where: string) =>
  `SELECT * FROM executions WHERE ${where} ORDER BY created_at DESC, id LIMIT 51 OFFSET 0`;
const readsNoHistory = (plan: string[]) => plan.some((n) => n.includes('Sort') || n.startsWith('Seq Scan'));

it("pages one plan's executions off an index, even a plan that has not run lately", async () => {
  const plan = await planOf(LIST('plan_id = $1::uuid'), [quietPlan]);
  // The planner may read the plan's 30 rows in index order or as a bitmap and sort them (both cost
  // the same here); either way only this plan's rows, never a walk of the workspace's history.
  expect(plan).toContainEqual(expect.stringMatching(/^(Bitmap )?Index (Only )?Scan executions_plan_created_idx$/));
  expect(plan.some((n) => n.startsWith('Seq Scan') || n.endsWith('executions_created_idx'))).toBe(false);
});

it('pages dry runs, the few among live runs, off an index of their own', async () => {
  const plan = await planOf(LIST('mode = $1'), ['DRY_RUN']);
  expect(plan).toContainEqual(expect.stringMatching(/^Index (Only )?Scan executions_dry_run_created_idx$/));
  expect(readsNoHistory(plan)).toBe(false);
});

it('pages executions created after a time off an index, with or without a status', async () => {
  const after = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
  const all = await planOf(LIST('created_at >= $1::timestamptz'), [after]);
  expect(all).toContainEqual(expect.stringMatching(/^Index (Only )?Scan executions_created_idx$/));
  expect(readsNoHistory(all)).toBe(false);
  const failed = await planOf(LIST('status = $1 AND created_at >= $2::timestamptz'), ['FAILED', after]);
  expect(failed).toContainEqual(expect.stringMatching(/^Index (Only )?Scan executions_status_created_idx$/));
  expect(readsNoHistory(failed)).toBe(false);
});

/** The plan as run (EXPLAIN ANALYZE): each node with the rows it produced and filtered out. */
async function runPlanOf(sql: string, params: unknown[]) {
  return withTenant(db.pools.app, { workspaceId }, async (client) => {
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
      params,
    );
    const nodes: { name: string; rows: number; removed: number }[] = [];
    const walk = (node: PlanNode) => {
      const name = [node['Node Type'], node['Index Name'] ?? node['Relation Name'] ?? ''].join(' ').trim();
      nodes.push({ name, rows: node['Actual Rows'] ?? 0, removed: node['Rows Removed by Filter'] ?? 0 });
      for (const child of node.Plans ?? []) walk(child);
    };
    const root = rows[0]?.['QUERY PLAN'][0];
    if (root !== undefined) walk(root.Plan);
    return nodes;
  });
}

it('reads a deep keyset page of FAILED runs off the index from its cursor, no sort and no walk to it', async () => {
  // The cursor of the 500th FAILED run (page 10 of 50; the workspace has 1,500), as the API hands
  // it out. Not near the end: with a few pages left the planner may rightly read those few rows by
  // bitmap and sort them, which costs what is left, not what came before.
  const { rows } = await db.pools.owner.query<{ at: string; id: string }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, id FROM executions
      WHERE workspace_id = $1 AND status = 'FAILED' ORDER BY created_at DESC, id OFFSET 499 LIMIT 1`,
    [workspaceId],
  );
  const cursor = keysetCursor(rows[0]?.at ?? '', rows[0]?.id ?? '');
  const list = { columns: '*', from: 'executions', at: 'created_at', id: 'id' };
  const page = (filters: [string, unknown][]) =>
    keysetStatement(
      { ...list, filters },
      { after: parseCursor(cursor, 'after'), before: null, limit: 51, inverted: false },
    );
  const failed = page([['status = ?', 'FAILED']]);
  const plan = await runPlanOf(failed.sql, failed.params);
  const scan = plan.find((n) => /^Index (Only )?Scan executions_status_created_idx$/.test(n.name));
  expect(scan, JSON.stringify(plan)).toBeDefined();
  expect(plan.some((n) => n.name.includes('Sort') || n.name.startsWith('Seq Scan'))).toBe(false);
  // The scan starts at the cursor: it reads the page (and the cursor's own row), not the 500 before it.
  expect((scan?.rows ?? 0) + (scan?.removed ?? 0)).toBeLessThanOrEqual(52);
  // Unfiltered, the same from executions_created_idx (the cursor is a FAILED run's, deep in history).
  const all = page([]);
  const allPlan = await runPlanOf(all.sql, all.params);
  const allScan = allPlan.find((n) => /^Index (Only )?Scan executions_created_idx$/.test(n.name));
  expect(allScan, JSON.stringify(allPlan)).toBeDefined();
  expect(allPlan.some((n) => n.name.includes('Sort') || n.name.startsWith('Seq Scan'))).toBe(false);
  expect((allScan?.rows ?? 0) + (allScan?.removed ?? 0)).toBeLessThanOrEqual(52);
});

it('replays events after a seq by the primary key', async () => {
  const plan = await planOf(
    'SELECT seq, type, step_id, at, data FROM execution_events WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000',
    [someExecution, 5],
  );
  expect(plan).toContainEqual(expect.stringMatching(/^Index (Only )?Scan execution_events_pkey$/));
  expect(plan.some((n) => n.startsWith('Seq Scan'))).toBe(false);
});
