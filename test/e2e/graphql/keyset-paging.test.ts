import { type DocumentNode, gql } from '@apollo/client';
import { encodeTenantId } from '@weft/schema';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PLAN, CREATE_WORKSPACE, VALID_SPEC } from './operations.ts';

// The history lists page by cursor (docs/api.md "Paging"): every row once, in order, whatever
// arrives meanwhile. The rows are written as the engine and the API write them, several to a
// timestamp (runs started in one transaction share their created_at), so the ties are paged too.

let api: TestApi;
let user: TestUser;
let ws: string;
let planId: string;
let scheduleGid: string;
const SLUG = 'keyset';

interface Page {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
const PAGE_FIELDS = 'edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

const EXECUTIONS = gql`
  query Runs($slug: String!, $status: ExecutionStatus, $planId: ID, $first: Int, $after: String, $last: Int, $before: String) {
    workspace(slug: $slug) {
      executions(status: $status, planId: $planId, first: $first, after: $after, last: $last, before: $before) {
        ${PAGE_FIELDS}
      }
    }
  }
`;
const AUDIT = gql`
  query Audit($slug: String!, $action: String, $first: Int, $after: String) {
    workspace(slug: $slug) { auditLog(action: $action, first: $first, after: $after) { ${PAGE_FIELDS} } }
  }
`;
const EVENTS = gql`
  query Events($slug: String!, $first: Int, $after: String) {
    workspace(slug: $slug) { events(first: $first, after: $after) { ${PAGE_FIELDS} } }
  }
`;
const SCHEDULE_RUNS = gql`
  query ScheduleRuns($id: ID!, $first: Int, $after: String) {
    node(id: $id) { ... on Schedule { executions(first: $first, after: $after) { ${PAGE_FIELDS} } } }
  }
`;

const sql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
  api.db.pools.owner.query<R>(text, params).then((r) => r.rows);

/** `count` runs of the plan, three to a timestamp, one in three FAILED, from `minutesAgo` back. */
async function insertRuns(count: number, minutesAgo: number): Promise<void> {
  await sql(
    `INSERT INTO executions (workspace_id, plan_id, plan_version_id, status, created_at, last_seq)
     SELECT v.workspace_id, v.plan_id, v.id, CASE WHEN g % 3 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END,
            now() - make_interval(mins => $2::int + g / 3), 0
       FROM plan_versions v, generate_series(0, $3::int - 1) g WHERE v.plan_id = $1`,
    [planId, minutesAgo, count],
  );
}

/** The ids the list must answer, in its order (newest first, ties by id). */
const expected = (table: string, at: string, id: string, where: string) =>
  sql<{ id: string }>(
    `SELECT ${id} AS id FROM ${table} WHERE workspace_id = $1 AND ${where} ORDER BY ${at} DESC, ${id}`,
    [ws],
  ).then((rows) => rows.map((r) => r.id));

/** Follows `endCursor` to the end of a list, `first` at a time; `between` runs after each page. */
async function pageAll(
  fetch: (after: string | null) => Promise<Page>,
  between: () => Promise<void> = async () => {},
): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page: Page = await fetch(after);
    ids.push(...page.edges.map((e) => e.node.id));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
    await between();
  }
  throw new Error('the list never ended');
}

async function list<T>(query: DocumentNode, variables: Record<string, unknown>, pick: (data: T) => Page) {
  const result = await user.client.query<T>(query, variables);
  expect(result.errors).toEqual([]);
  if (result.data === undefined) throw new Error('no data');
  return pick(result.data);
}
type Runs = { workspace: { executions: Page } };
const runs = (variables: Record<string, unknown>) =>
  list<Runs>(EXECUTIONS, { slug: SLUG, ...variables }, (d) => d.workspace.executions);
/** Execution global ids as uuids, to compare with the table. */
const uuids = (gids: string[]) => gids.map((gid) => Buffer.from(gid, 'base64').toString().split(':').at(-1) ?? gid);

beforeAll(async () => {
  api = await startTestApi();
  user = await signUpUser(new TestClient(api.url), 'pager');
  const created = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: SLUG, name: 'Keyset' },
  });
  const workspaceGid = created.data?.createWorkspace.workspace.id ?? '';
  await user.client.mutate(CREATE_PLAN, { input: { workspaceId: workspaceGid, name: 'p', spec: VALID_SPEC } });
  const [plan] = await sql<{ workspace_id: string; id: string }>('SELECT workspace_id, id FROM plans');
  if (!plan) throw new Error('no plan');
  ws = plan.workspace_id;
  planId = plan.id;
  await insertRuns(300, 10);
  // Audit rows and events, three to a timestamp.
  await sql(
    `INSERT INTO audit_log (workspace_id, action, target_id, at)
     SELECT $1, CASE WHEN g % 2 = 0 THEN 'plan.update' ELSE 'member.add' END, 't' || g, now() - make_interval(mins => g / 3)
       FROM generate_series(1, 90) g`,
    [ws],
  );
  await sql(
    `INSERT INTO events (workspace_id, name, sent_at)
     SELECT $1, 'e' || g, now() - make_interval(mins => g / 3) FROM generate_series(1, 45) g`,
    [ws],
  );
  const [schedule] = await sql<{ id: string }>(
    `INSERT INTO schedules (workspace_id, plan_id, cron, timezone) VALUES ($1, $2, '* * * * *', 'UTC') RETURNING id`,
    [ws, planId],
  );
  scheduleGid = encodeTenantId('Schedule', ws, schedule?.id ?? '');
  // The schedule fired 40 of the runs, two to a timestamp.
  await sql(
    `INSERT INTO schedule_runs (workspace_id, schedule_id, execution_id, scheduled_for, fired_at)
     SELECT workspace_id, $2, id, created_at, created_at - make_interval(secs => (row_number() OVER (ORDER BY id)) / 2)
       FROM (SELECT * FROM executions WHERE workspace_id = $1 ORDER BY id LIMIT 40) x`,
    [ws, schedule?.id],
  );
});
afterAll(() => api?.close());

describe('keyset paging of the history lists', () => {
  it("pages a workspace's FAILED runs to the end, every run once and in order", async () => {
    const want = await expected('executions', 'created_at', 'id', `status = 'FAILED'`);
    expect(want.length).toBe(100);
    const got = await pageAll((after) => runs({ status: 'FAILED', first: 7, after }));
    expect(uuids(got)).toEqual(want);
  });

  it('pages every run, and one plan’s runs, to the end', async () => {
    const want = await expected('executions', 'created_at', 'id', 'true');
    expect(uuids(await pageAll((after) => runs({ first: 100, after })))).toEqual(want);
    const planGid = encodeTenantId('Plan', ws, planId);
    expect(uuids(await pageAll((after) => runs({ planId: planGid, first: 33, after })))).toEqual(want);
  });

  it('does not shift later pages when runs arrive while paging (no duplicate, no skip)', async () => {
    const want = await expected('executions', 'created_at', 'id', `status = 'FAILED'`);
    // Nine new runs (three FAILED) land newest-first between every two pages.
    const got = await pageAll(
      (after) => runs({ status: 'FAILED', first: 10, after }),
      () => insertRuns(9, 0),
    );
    expect(uuids(got)).toEqual(want);
  });

  it('pages back with last/before to the runs just newer than a cursor', async () => {
    const want = await expected('executions', 'created_at', 'id', `status = 'FAILED'`);
    const second = await runs({
      status: 'FAILED',
      first: 10,
      after: (await runs({ status: 'FAILED', first: 10 })).pageInfo.endCursor,
    });
    const back = await runs({ status: 'FAILED', last: 4, before: second.pageInfo.startCursor });
    expect(uuids(back.edges.map((e) => e.node.id))).toEqual(want.slice(6, 10));
    expect(back.pageInfo.hasPreviousPage).toBe(true);
  });

  it('reads an offset cursor saved before keyset paging as that position, then pages on by keyset', async () => {
    const want = await expected('executions', 'created_at', 'id', `status = 'FAILED'`);
    const old = Buffer.from('OffsetConnection:19').toString('base64');
    const page = await runs({ status: 'FAILED', first: 10, after: old });
    expect(uuids(page.edges.map((e) => e.node.id))).toEqual(want.slice(20, 30));
    const next = await runs({ status: 'FAILED', first: 10, after: page.pageInfo.endCursor });
    expect(uuids(next.edges.map((e) => e.node.id))).toEqual(want.slice(30, 40));
  });

  it('answers a malformed cursor with INVALID_INPUT naming the argument, never an unexpected error', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const bad = [
      'not a cursor!',
      b64('Keyset:2026-13-01T00:00:00.000000Z|00000000-0000-0000-0000-000000000000'),
      b64('Keyset:2026-02-30T00:00:00.000000Z|00000000-0000-0000-0000-000000000000'),
      b64("Keyset:2026-01-01T00:00:00.000000Z|x' OR 1=1"),
      b64('OffsetConnection:-3'),
      b64('Something:1'),
      'A'.repeat(5000),
    ];
    for (const after of bad) {
      const result = await user.client.query(EXECUTIONS, { slug: SLUG, first: 5, after });
      expect(result.errors, after).toHaveLength(1);
      expect(result.errors.map((e) => [e.extensions?.code, e.extensions?.argument])).toEqual([
        ['INVALID_INPUT', 'after'],
      ]);
      expect(result.errors[0]?.message).toMatch(/"after" is not a cursor of this list/);
    }
    const before = await user.client.query(EXECUTIONS, { slug: SLUG, last: 5, before: 'x' });
    expect(before.errors.map((e) => [e.extensions?.code, e.extensions?.argument])).toEqual([
      ['INVALID_INPUT', 'before'],
    ]);
  });

  it('pages the audit log filtered by action, the events and a schedule’s runs to the end', async () => {
    type Audit = { workspace: { auditLog: Page } };
    const audit = await pageAll((after) =>
      list<Audit>(AUDIT, { slug: SLUG, action: 'plan.update', first: 8, after }, (d) => d.workspace.auditLog),
    );
    expect(uuids(audit)).toEqual(await expected('audit_log', 'at', 'id', `action = 'plan.update'`));
    expect(audit.length).toBeGreaterThanOrEqual(45);

    type Events = { workspace: { events: Page } };
    const events = await pageAll((after) =>
      list<Events>(EVENTS, { slug: SLUG, first: 8, after }, (d) => d.workspace.events),
    );
    expect(uuids(events)).toEqual(await expected('events', 'sent_at', 'id', 'true'));

    type Runs = { node: { executions: Page } };
    const fired = await pageAll((after) =>
      list<Runs>(SCHEDULE_RUNS, { id: scheduleGid, first: 6, after }, (d) => d.node.executions),
    );
    expect(uuids(fired)).toEqual(await expected('schedule_runs', 'fired_at', 'execution_id', 'true'));
    expect(fired.length).toBe(40);
  });
});
