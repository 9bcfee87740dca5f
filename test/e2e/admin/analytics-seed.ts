import { parseTenantId } from '@weft/schema';
import { eventually } from '@weft/test-utils';
import type { RunFixture } from './run-fixture.ts';

// A plan's history for the analytics tests (API and browser): real runs started over the API and
// run by the workers, then placed at known times with known durations, since a test cannot wait
// hours for buckets to fill. Only the clock columns are moved; statuses, steps and attempts are the
// engine's own.

/** `charge` fails its first attempt when the input asks it to (no retry policy), else is skipped. */
const spec = (message: string) => ({
  steps: [
    {
      id: 'charge',
      tool: 'core.fail',
      input: { message, failTimes: 1 },
      if: 'input.fail == true',
    },
    { id: 'done', tool: 'core.echo', input: { ok: true } },
  ],
});

/** The seeded runs: version, whether it fails, minutes after the base hour, start-to-finish ms. */
export const SEEDED_RUNS = [
  { version: 1, fail: false, minute: 5, ms: 100 },
  { version: 1, fail: false, minute: 20, ms: 300 },
  { version: 1, fail: true, minute: 130, ms: 1000 },
  { version: 2, fail: true, minute: 150, ms: 400 },
  { version: 2, fail: false, minute: 165, ms: 200 },
] as const;

export interface SeededPlan {
  planId: string;
  /** Run ids in SEEDED_RUNS order. */
  runIds: string[];
}

/** Creates the plan with `name` (two versions) and its five runs at `base` + their minutes. */
export async function seedPlanHistory(f: RunFixture, name: string, base: Date): Promise<SeededPlan> {
  const created = await f.graphql<{ createPlan: { plan: { id: string } } }>(
    'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { message } } }',
    { input: { workspaceId: f.workspaceId, name, spec: spec('card declined') } },
    f.alice,
  );
  const planId = created.createPlan.plan.id;
  const startVersion = (version: number, fail: boolean) =>
    f.graphql<{ startExecution: { execution: { id: string } } }>(
      'mutation($input: StartExecutionInput!) { startExecution(input: $input) { execution { id } } }',
      { input: { planId, version, input: { fail } } },
      f.alice,
    );
  const runIds: string[] = [];
  for (const run of SEEDED_RUNS.filter((r) => r.version === 1)) {
    runIds.push((await startVersion(1, run.fail)).startExecution.execution.id);
  }
  await f.graphql(
    'mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { userErrors { message } } }',
    { input: { planId, spec: spec('card declined again') } },
    f.alice,
  );
  for (const run of SEEDED_RUNS.filter((r) => r.version === 2)) {
    runIds.push((await startVersion(2, run.fail)).startExecution.execution.id);
  }
  await waitFinished(f, runIds);
  for (const [i, run] of SEEDED_RUNS.entries()) {
    const createdAt = new Date(base.getTime() + run.minute * 60_000);
    await f.db.pools.owner.query(
      `UPDATE executions SET created_at = $2, started_at = $2, finished_at = $2::timestamptz + $3 * interval '1 millisecond'
        WHERE id = $1`,
      [parseTenantId(runIds[i] ?? '', 'Execution').id, createdAt, run.ms],
    );
  }
  return { planId, runIds };
}

/** Waits until every run is SUCCEEDED or FAILED. */
export async function waitFinished(f: RunFixture, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await eventually(async () => (['SUCCEEDED', 'FAILED'].includes(await f.statusOf(id)) ? true : undefined), 20_000);
  }
}
