/** `weft test record|regression|chaos|load` as real processes against a real API with a worker. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreatePlanDocument,
  CreateWorkspaceDocument,
  SignUpDocument,
  StartExecutionDocument,
  UserInputError,
  WeftClient,
} from '@weft/client';
import { startTestApi, type TestApi } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { spawnWeft } from './testing/spawn-weft.ts';

// Each command is a new Node process compiling TypeScript; on a busy shared machine that takes seconds.
vi.setConfig({ testTimeout: 120_000 });

let api: TestApi;
let dir: string;
let env: Record<string, string>;
let client: WeftClient;
let workspaceId: string;

const weft = (...args: string[]) => spawnWeft(args, { env, cwd: dir });

const ORDER = {
  name: 'order',
  steps: [
    { id: 'price', tool: 'core.echo', input: { amount: '{{ input.amount }}' } },
    { id: 'invoice', tool: 'core.echo', input: { total: '{{ steps.price.output.amount }}', currency: 'EUR' } },
  ],
};

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1' } });
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-test-'));
  const slug = `t-${Date.now()}`;
  const anonymous = new WeftClient({ url: api.url });
  const { token } = await anonymous.mutate(SignUpDocument, 'signUp', {
    input: { email: `${slug}@example.com`, password: 'correct horse battery', name: 'tester' },
  });
  client = anonymous.withToken(token ?? '');
  const created = await client.mutate(CreateWorkspaceDocument, 'createWorkspace', { input: { slug, name: slug } });
  workspaceId = created.workspace?.id ?? '';
  // CI's way: everything from the environment, no config file.
  env = { WEFT_URL: api.url, WEFT_TOKEN: token ?? '', WEFT_WORKSPACE: slug, WEFT_CONFIG: join(dir, 'none.json') };
  await writeFile(join(dir, 'order.json'), JSON.stringify(ORDER));
  expect((await weft('plan', 'push', 'order.json')).code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await api?.close();
});

it('records a run and replays it: unchanged passes, a changed step input fails with the difference', async () => {
  const run = await weft('run', 'order', '--input', '{"amount": 12}', '--follow', '--json');
  expect(run.code).toBe(0);
  const { id } = run.json<{ id: string }>();
  expect((await weft('test', 'record', id, '-o', 'order.fixture.json')).code).toBe(0);
  const fixture = JSON.parse(await readFile(join(dir, 'order.fixture.json'), 'utf8')) as Record<string, unknown>;
  expect(fixture).toMatchObject({
    plan: 'order',
    version: 1,
    input: { amount: 12 },
    steps: {
      price: { input: { amount: 12 }, output: { amount: 12 } },
      invoice: { input: { total: 12, currency: 'EUR' } },
    },
  });

  const same = await weft('test', 'regression', 'order', '--fixture', 'order.fixture.json');
  expect(same.code).toBe(0);
  expect(same.stdout).toMatch(/PASSED/);

  const changed = structuredClone(ORDER);
  changed.steps[1] = {
    id: 'invoice',
    tool: 'core.echo',
    input: { total: '{{ steps.price.output.amount }}', currency: 'USD' },
  };
  await writeFile(join(dir, 'order.json'), JSON.stringify(changed));
  expect((await weft('plan', 'push', 'order.json')).code).toBe(0);
  const regression = await weft('test', 'regression', 'order', '--fixture', 'order.fixture.json', '--json');
  expect(regression.code).toBe(1);
  const report = regression.json<{
    passed: boolean;
    version: number;
    changes: { stepId: string | null; kind: string }[];
  }>();
  expect(report.version).toBe(2);
  expect(report.passed).toBe(false);
  expect(report.changes.map((c) => [c.stepId, c.kind])).toEqual([['invoice', 'INPUT']]);
  // The old version still passes against the same fixture.
  expect((await weft('test', 'regression', 'order', '--fixture', 'order.fixture.json', '--version', '1')).code).toBe(0);
});

it('chaos: retries absorb injected failures; without retries the run fails and exit code says so', async () => {
  await writeFile(
    join(dir, 'sturdy.json'),
    JSON.stringify({
      name: 'sturdy',
      steps: [
        { id: 'a', tool: 'core.echo', input: { x: 1 }, retry: { maxAttempts: 6, delayMs: 10 } },
        { id: 'b', tool: 'core.echo', input: { y: '{{ steps.a.output.x }}' }, retry: { maxAttempts: 6, delayMs: 10 } },
      ],
    }),
  );
  await writeFile(
    join(dir, 'fragile.json'),
    JSON.stringify({ name: 'fragile', steps: [{ id: 'a', tool: 'core.echo', input: {} }] }),
  );
  expect((await weft('plan', 'push', 'sturdy.json', 'fragile.json')).code).toBe(0);

  const sturdy = await weft('test', 'chaos', 'sturdy', '--runs', '8', '--fail-rate', '0.4', '--seed', '3', '--json');
  const held = sturdy.json<{ runs: number; succeeded: number; recovered: number; retries: number; held: boolean }>();
  expect(held).toMatchObject({ runs: 8, succeeded: 8, held: true });
  expect(held.retries).toBeGreaterThan(0);
  expect(held.recovered).toBeGreaterThan(0);
  expect(sturdy.code).toBe(0);

  const fragile = await weft('test', 'chaos', 'fragile', '--runs', '3', '--fail-rate', '1');
  expect(fragile.code).toBe(1);
  expect(fragile.stdout).toMatch(/succeeded +0\/3/);
  expect(fragile.stdout).toMatch(/DID NOT HOLD/);
});

it('chaos --rollback: each failed run is rolled back and its completed steps compensated', async () => {
  await writeFile(
    join(dir, 'undo.json'),
    JSON.stringify({
      name: 'undo',
      steps: [
        { id: 'book', tool: 'core.echo', input: { room: 1 }, compensate: { tool: 'core.echo', input: { cancel: 1 } } },
        { id: 'pay', tool: 'core.fail', input: { message: 'card declined' }, after: ['book'] },
      ],
    }),
  );
  expect((await weft('plan', 'push', 'undo.json')).code).toBe(0);
  const result = await weft('test', 'chaos', 'undo', '--runs', '2', '--fail-rate', '0', '--rollback', '--json');
  expect(result.code).toBe(1);
  expect(result.json()).toMatchObject({
    failed: 2,
    rolledBack: 2,
    compensated: 2,
    compensationHeld: true,
    held: false,
  });
});

it('chaos is refused on live runs and outside its bounds, with userErrors', async () => {
  const plan = await client.mutate(CreatePlanDocument, 'createPlan', {
    input: { workspaceId, name: 'direct', spec: { steps: [{ id: 'a', tool: 'core.echo', input: {} }] } },
  });
  const start = (chaos: Record<string, number>, mode: 'LIVE' | 'DRY_RUN') =>
    client
      .mutate(StartExecutionDocument, 'startExecution', {
        input: { planId: plan.plan?.id ?? '', mode, chaos: { failRate: 0, ...chaos } },
      })
      .then(
        () => [],
        (e: unknown) => (e instanceof UserInputError ? e.userErrors.map((u) => u.field?.join('.')) : [String(e)]),
      );
  expect(await start({}, 'LIVE')).toEqual(['chaos']);
  expect(await start({ failRate: 2, latencyMs: 99_999 }, 'DRY_RUN')).toEqual(['chaos.failRate', 'chaos.latencyMs']);
  expect(await start({ failRate: 0.1 }, 'DRY_RUN')).toEqual([]);
});

it('load: runs at a concurrency and reports success rate, throughput and percentiles as JSON', async () => {
  const load = await weft(
    'test',
    'load',
    'order',
    '--runs',
    '12',
    '--concurrency',
    '4',
    '--dry-run',
    '--input',
    '{"amount":1}',
    '--json',
  );
  expect(load.code).toBe(0);
  const report = load.json<Record<string, number | null>>();
  expect(report).toMatchObject({ runs: 12, succeeded: 12, successRate: 1 });
  expect(report.throughputPerSecond).toBeGreaterThan(0);
  for (const p of ['p50Ms', 'p95Ms', 'p99Ms']) expect(report[p]).toEqual(expect.any(Number));
  expect(report.p50Ms ?? 0).toBeLessThanOrEqual(report.p99Ms ?? 0);
});
