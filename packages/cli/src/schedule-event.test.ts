/** `weft schedule …` and `weft event send` as real processes against a real API with a worker and a ticker. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventTriggerDocument,
  CreatePlanDocument,
  CreateWorkspaceDocument,
  ExecutionDocument,
  ExecutionsDocument,
  SignUpDocument,
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
let slug: string;

const weft = (...args: string[]) => spawnWeft(args, { env, cwd: dir });

interface ListedRun {
  id: string;
  trigger: string;
  plan: { name: string };
}
interface ListedSchedule {
  id: string;
  cron: string;
  timezone: string;
  paused: boolean;
  plan: { name: string };
}

/** Asks `check` again until it answers something, for what a ticker or worker does in its own time. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const found = await check();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`gave up waiting for ${what}`);
}

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1' } });
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-time-'));
  slug = `time-${Date.now()}`;
  const anonymous = new WeftClient({ url: api.url });
  const { token } = await anonymous.mutate(SignUpDocument, 'signUp', {
    input: { email: `${slug}@example.com`, password: 'correct horse battery', name: 'timer' },
  });
  client = anonymous.withToken(token ?? '');
  const created = await client.mutate(CreateWorkspaceDocument, 'createWorkspace', { input: { slug, name: slug } });
  workspaceId = created.workspace?.id ?? '';
  env = { WEFT_URL: api.url, WEFT_TOKEN: token ?? '', WEFT_WORKSPACE: slug, WEFT_CONFIG: join(dir, 'none.json') };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await api?.close();
});

it('a 6-field schedule starts runs every 2 s; pause, resume and delete; a bad cron is one clear line', async () => {
  await writeFile(
    join(dir, 'tick.json'),
    JSON.stringify({ name: 'tick', steps: [{ id: 'say', tool: 'core.echo', input: { tick: true } }] }),
  );
  expect((await weft('plan', 'push', 'tick.json')).code).toBe(0);

  const bad = await weft('schedule', 'create', 'tick', '--cron', 'every tuesday');
  expect(bad.code).toBe(5);
  expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(bad.stderr).toMatch(/^error: .*cron/i);
  expect((await weft('schedule', 'create', 'tick', '--cron', '* * * * *', '--tz', 'Mars/Olympus')).code).toBe(5);

  const created = await weft('schedule', 'create', 'tick', '--cron', '*/2 * * * * *', '--tz', 'Europe/Paris', '--json');
  expect(created.code).toBe(0);
  const schedule = created.json<ListedSchedule>();
  expect(schedule).toMatchObject({
    cron: '*/2 * * * * *',
    timezone: 'Europe/Paris',
    paused: false,
    plan: { name: 'tick' },
  });

  // The ticker fires in its own time: wait through the client, then read it as a user would.
  await eventually(async () => {
    const { workspace } = await client.request(ExecutionsDocument, { slug, status: null, first: 20, after: null });
    return workspace?.executions.edges.find((e) => e.node.trigger === 'SCHEDULE');
  }, 'a run started by the schedule');
  const list = await weft('executions', 'list', '--json');
  const run = list.json<ListedRun[]>().find((r) => r.plan.name === 'tick');
  expect(run?.trigger).toBe('SCHEDULE');

  const paused = await weft('schedule', 'pause', schedule.id);
  expect(paused.code).toBe(0);
  expect(paused.stdout).toMatch(/paused$/m);
  const listed = await weft('schedule', 'list', '--json');
  expect(listed.json<ListedSchedule[]>()).toEqual([expect.objectContaining({ id: schedule.id, paused: true })]);

  const resumed = await weft('schedule', 'resume', schedule.id, '--json');
  expect(resumed.json()).toMatchObject({ id: schedule.id, paused: false });

  expect((await weft('schedule', 'delete', schedule.id, '--json')).json()).toEqual({ id: schedule.id, deleted: true });
  expect((await weft('schedule', 'list', '--json')).json()).toEqual([]);
  expect((await weft('schedule', 'delete', schedule.id)).code).not.toBe(0);
});

it('event send starts a plan through its trigger and resumes a waiting step of a run started with weft run', async () => {
  const triggered = await client.mutate(CreatePlanDocument, 'createPlan', {
    input: {
      workspaceId,
      name: 'on-paid',
      spec: { steps: [{ id: 'thank', tool: 'core.echo', input: { thanks: true } }] },
    },
  });
  await client.mutate(CreateEventTriggerDocument, 'createEventTrigger', {
    input: { planId: triggered.plan?.id ?? '', event: 'order.paid', match: { orderId: 'A-7' } },
  });
  await writeFile(
    join(dir, 'awaiter.json'),
    JSON.stringify({
      name: 'awaiter',
      steps: [
        { id: 'paid', type: 'wait', event: 'order.paid', match: { orderId: '{{ input.orderId }}' } },
        { id: 'ship', tool: 'core.echo', input: { amount: '{{ steps.paid.output.amount }}' }, after: ['paid'] },
      ],
    }),
  );
  expect((await weft('plan', 'push', 'awaiter.json')).code).toBe(0);
  const { id } = (await weft('run', 'awaiter', '--input', '{"orderId":"A-7"}', '--json')).json<{ id: string }>();
  // An event sent before the step waits does not count: send only once it waits.
  await eventually(async () => {
    const { node } = await client.request(ExecutionDocument, { id });
    const step = node !== null && 'steps' in node ? node.steps.find((s) => s.stepId === 'paid') : undefined;
    return step?.status === 'WAITING' ? step : undefined;
  }, 'the wait step to wait');

  const other = await weft('event', 'send', 'order.paid', '--data', '{"orderId":"B-1","amount":1}', '--json');
  expect(other.json()).toMatchObject({ resumed: 0, started: [] });

  const sent = await weft('event', 'send', 'order.paid', '--data', '{"orderId":"A-7","amount":42}', '--json');
  expect(sent.code).toBe(0);
  const result = sent.json<{ eventId: string; resumed: number; started: string[] }>();
  expect(result).toMatchObject({ resumed: 1, started: [expect.any(String)] });

  const followed = await weft('logs', id, '--follow', '--json');
  expect(followed.code).toBe(0);
  const { node } = await client.request(ExecutionDocument, { id });
  expect(node !== null && 'output' in node ? node.output : null).toEqual({ ship: { amount: 42 } });

  const list = await weft('executions', 'list', '--json');
  expect(list.json<ListedRun[]>().find((r) => r.id === result.started[0])).toMatchObject({
    trigger: 'EVENT',
    plan: { name: 'on-paid' },
  });

  const human = await weft('event', 'send', 'nobody.listens');
  expect(human.stdout).toBe('nobody.listens: resumed 0 step(s), started 0 run(s)\n');
  expect((await weft('event', 'send', 'x', '--data', '{not json')).code).not.toBe(0);
});
