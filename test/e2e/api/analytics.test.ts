import { eventually } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlanHistory, waitFinished } from '../admin/analytics-seed.ts';
import { type RunFixture, startRunFixture } from '../admin/run-fixture.ts';

// What the analytics page and the runs list ask of the API, over real HTTP on a real API process
// with workers: Plan.stats buckets, the trigger filter of Workspace.executions, retryExecutions.
let f: RunFixture;
let planId: string;
// 2026-01-10 09:00 UTC: the seeded runs fall at 09:05, 09:20, 11:10, 11:30 and 11:45.
const BASE = new Date('2026-01-10T09:00:00Z');

const STATS = `query($id: ID!, $since: DateTime!, $until: DateTime, $bucket: StatsBucket!) {
  node(id: $id) { ... on Plan { stats(since: $since, until: $until, bucket: $bucket) {
    start runs finished succeeded failed successRate p50Ms p95Ms } } } }`;
interface Bucket {
  start: string;
  runs: number;
  finished: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}
const stats = async (variables: Record<string, unknown>, token = f.alice) =>
  (await f.graphql<{ node: { stats: Bucket[] } }>(STATS, { id: planId, ...variables }, token)).node.stats;

beforeAll(async () => {
  f = await startRunFixture();
  ({ planId } = await seedPlanHistory(f, 'Checkout', BASE));
}, 90_000);

afterAll(async () => {
  await f?.stop();
});

describe('Plan.stats', () => {
  it('counts runs, outcomes and duration percentiles per hour, empty hours included', async () => {
    const hours = await stats({ since: BASE.toISOString(), until: '2026-01-10T12:00:00Z', bucket: 'HOUR' });
    expect(hours).toEqual([
      // 100 and 300 ms: the median between them, p95 = 100 + 0.95 × 200.
      {
        start: '2026-01-10T09:00:00.000Z',
        runs: 2,
        finished: 2,
        succeeded: 2,
        failed: 0,
        successRate: 1,
        p50Ms: 200,
        p95Ms: 290,
      },
      {
        start: '2026-01-10T10:00:00.000Z',
        runs: 0,
        finished: 0,
        succeeded: 0,
        failed: 0,
        successRate: null,
        p50Ms: null,
        p95Ms: null,
      },
      // 200, 400 and 1000 ms: p95 = 400 + 0.9 × 600.
      {
        start: '2026-01-10T11:00:00.000Z',
        runs: 3,
        finished: 3,
        succeeded: 1,
        failed: 2,
        successRate: 1 / 3,
        p50Ms: 400,
        p95Ms: 940,
      },
    ]);
  });

  it('rounds since down to its day and stops before until', async () => {
    const days = await stats({ since: '2026-01-09T15:00:00Z', until: '2026-01-12T00:00:00Z', bucket: 'DAY' });
    expect(days.map((d) => [d.start, d.runs, d.succeeded, d.failed])).toEqual([
      ['2026-01-09T00:00:00.000Z', 0, 0, 0],
      ['2026-01-10T00:00:00.000Z', 5, 3, 2],
      ['2026-01-11T00:00:00.000Z', 0, 0, 0],
    ]);
    // 100, 200, 300, 400, 1000 ms: p95 = 400 + 0.8 × 600.
    expect(days[1]?.p50Ms).toBe(300);
    expect(days[1]?.p95Ms).toBeCloseTo(880, 6);
  });

  it('refuses a range the wrong way round or too long to bucket, with INVALID_INPUT', async () => {
    const backwards = { id: planId, since: '2026-01-11T00:00:00Z', until: '2026-01-10T00:00:00Z', bucket: 'DAY' };
    expect(await f.errorCode(STATS, backwards, f.alice)).toBe('INVALID_INPUT');
    const twoMonthsOfHours = {
      id: planId,
      since: '2026-01-01T00:00:00Z',
      until: '2026-03-01T00:00:00Z',
      bucket: 'HOUR',
    };
    expect(await f.errorCode(STATS, twoMonthsOfHours, f.alice)).toBe('INVALID_INPUT');
    // The same two months by day is fine (and still holds the five runs).
    const byDay = await stats({ since: '2026-01-01T00:00:00Z', until: '2026-03-01T00:00:00Z', bucket: 'DAY' });
    expect(byDay).toHaveLength(59);
    expect(byDay.reduce((n, d) => n + d.runs, 0)).toBe(5);
  });

  it('is readable by a viewer and invisible to another workspace', async () => {
    const seen = await stats({ since: BASE.toISOString(), until: '2026-01-10T10:00:00Z', bucket: 'HOUR' }, f.bob);
    expect(seen.map((b) => b.runs)).toEqual([2]);
    const eve = await f.signUp('eve-analytics@example.com');
    // Another workspace's plan is not found, exactly as an unknown id: never numbers.
    expect(await f.errorCode(STATS, { id: planId, since: BASE.toISOString(), bucket: 'DAY' }, eve)).toBe('NOT_FOUND');
  });
});

describe('Workspace.planStats', () => {
  it("totals each plan's runs in the window, with the same counts as the buckets", async () => {
    const totals = await f.graphql<{
      workspace: {
        planStats: { plan: { id: string; name: string }; runs: number; succeeded: number; failed: number }[];
      };
    }>(
      `query($since: DateTime!, $until: DateTime) { workspace(slug: "acme") { planStats(since: $since, until: $until) {
        plan { id name } runs succeeded failed successRate p50Ms p95Ms } } }`,
      { since: '2026-01-10T00:00:00Z', until: '2026-01-11T00:00:00Z' },
      f.bob,
    );
    expect(totals.workspace.planStats).toHaveLength(1);
    expect(totals.workspace.planStats[0]).toMatchObject({
      plan: { id: planId, name: 'Checkout' },
      runs: 5,
      succeeded: 3,
      failed: 2,
      successRate: 0.6,
      p50Ms: 300,
    });
    // A window that holds only the 11:00 hour: 3 runs of which 1 succeeded.
    const later = await f.graphql<{ workspace: { planStats: { runs: number; succeeded: number }[] } }>(
      `query { workspace(slug: "acme") { planStats(since: "2026-01-10T11:00:00Z", until: "2026-01-10T12:00:00Z") {
        runs succeeded } } }`,
      {},
      f.alice,
    );
    expect(later.workspace.planStats).toEqual([{ runs: 3, succeeded: 1 }]);
    expect(
      await f.errorCode(
        'query { workspace(slug: "acme") { planStats(since: "2020-01-01T00:00:00Z") { runs } } }',
        {},
        f.alice,
      ),
    ).toBe('INVALID_INPUT');
  });
});

describe('Workspace.executions(trigger:)', () => {
  it('lists only the runs started that way', async () => {
    await f.graphql(
      'mutation($input: CreateEventTriggerInput!) { createEventTrigger(input: $input) { userErrors { message } } }',
      { input: { planId: f.gatePlanId, event: 'stock.low' } },
      f.alice,
    );
    const sent = await f.graphql<{ sendEvent: { started: { id: string }[] } }>(
      'mutation($input: SendEventInput!) { sendEvent(input: $input) { started { id } } }',
      { input: { workspaceId: f.workspaceId, name: 'stock.low', data: { sku: 'A1' } } },
      f.alice,
    );
    const manual = await f.start(f.gatePlanId, {});
    const list = async (trigger: string) =>
      (
        await f.graphql<{ workspace: { executions: { edges: { node: { id: string; trigger: string } }[] } } }>(
          `query($trigger: ExecutionTrigger, $planId: ID) { workspace(slug: "acme") {
            executions(trigger: $trigger, planId: $planId, first: 50) { edges { node { id trigger } } } } }`,
          { trigger, planId: f.gatePlanId },
          f.bob,
        )
      ).workspace.executions.edges.map((e) => e.node);
    expect(await list('EVENT')).toEqual(sent.sendEvent.started.map((s) => ({ id: s.id, trigger: 'EVENT' })));
    expect(await list('MANUAL')).toEqual([{ id: manual, trigger: 'MANUAL' }]);
    expect(await list('SCHEDULE')).toEqual([]);
    expect(
      await f.errorCode(
        'query { workspace(slug: "acme") { executions(trigger: CRON) { edges { node { id } } } } }',
        {},
        f.alice,
      ),
    ).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('retryExecutions', () => {
  const RETRY = `mutation($input: ExecutionIdsInput!) {
    retryExecutions(input: $input) { executions { id status } userErrors { code field message } } }`;

  it('retries the FAILED runs (audited), reports the others by index; viewers are refused', async () => {
    const { planId: retryPlan } = await f
      .graphql<{ createPlan: { plan: { id: string } } }>(
        'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } } }',
        {
          input: {
            workspaceId: f.workspaceId,
            name: 'Retry me',
            spec: { steps: [{ id: 'flaky', tool: 'core.fail', input: { message: 'not yet', failTimes: 1 } }] },
          },
        },
        f.alice,
      )
      .then((r) => ({ planId: r.createPlan.plan.id }));
    const failedA = await f.start(retryPlan, {});
    const failedB = await f.start(retryPlan, {});
    const succeeded = await f.start(f.flakyPlanId, { text: 'x' });
    await waitFinished(f, [failedA, failedB]);
    expect([await f.statusOf(failedA), await f.statusOf(failedB)]).toEqual(['FAILED', 'FAILED']);

    expect(await f.errorCode(RETRY, { input: { ids: [failedA] } }, f.bob)).toBe('FORBIDDEN');
    expect(await f.statusOf(failedA)).toBe('FAILED');

    const r = await f.graphql<{
      retryExecutions: {
        executions: { id: string; status: string }[];
        userErrors: { code: string; field: string[] }[];
      };
    }>(RETRY, { input: { ids: [failedA, succeeded, 'bm90IGEgcnVu', failedB] } }, f.alice);
    expect(r.retryExecutions.executions.map((e) => e.id)).toEqual([failedA, failedB]);
    expect(r.retryExecutions.executions.every((e) => e.status !== 'FAILED')).toBe(true);
    // The Flaky run (running, or succeeded by now) cannot be retried; the garbage id is no run at all.
    expect(r.retryExecutions.userErrors.map((e) => [e.code, e.field])).toEqual([
      ['INVALID_STATE', ['ids', '1']],
      ['NOT_FOUND', ['ids', '2']],
    ]);
    // core.fail counts attempts over the run's life: the retried step's second attempt succeeds.
    for (const id of [failedA, failedB]) {
      await eventually(async () => ((await f.statusOf(id)) === 'SUCCEEDED' ? true : undefined), 20_000);
    }

    const audit = await f.graphql<{
      workspace: { auditLog: { edges: { node: { action: string; targetId: string } }[] } };
    }>('query { workspace(slug: "acme") { auditLog(first: 20) { edges { node { action targetId } } } } }', {}, f.alice);
    const retried = audit.workspace.auditLog.edges
      .filter((e) => e.node.action === 'execution.retry')
      .map((e) => e.node.targetId);
    expect(retried.sort()).toEqual([failedA, failedB].sort());

    const tooMany = await f.graphql<{ retryExecutions: { userErrors: { code: string; field: string[] }[] } }>(
      RETRY,
      { input: { ids: Array.from({ length: 101 }, () => failedA) } },
      f.alice,
    );
    expect(tooMany.retryExecutions.userErrors.map((e) => [e.code, e.field])).toEqual([['INVALID_INPUT', ['ids']]]);
  });
});
