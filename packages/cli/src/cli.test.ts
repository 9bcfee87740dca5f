/** The `weft` binary as a real process against a real API: sign in, workspace, plans as files, runs. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignUpDocument, WeftClient } from '@weft/client';
import { startTestApi, type TestApi } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { spawnWeft } from './testing/spawn-weft.ts';

let api: TestApi;
let dir: string;
let env: Record<string, string>;
const email = `cli-${Date.now()}@example.com`;
const password = 'correct horse battery';
const slug = `cli-${Date.now()}`;

// Each command is a new Node process compiling TypeScript; on a busy shared machine that takes seconds.
vi.setConfig({ testTimeout: 120_000 });

const weft = (...args: string[]) => spawnWeft(args, { env, cwd: dir });

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1' } });
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-'));
  env = { WEFT_CONFIG: join(dir, 'config', 'weft.json'), NO_COLOR: '1' };
  await new WeftClient({ url: api.url }).mutate(SignUpDocument, 'signUp', { input: { email, password, name: 'cli' } });
  await writeFile(
    join(dir, 'greet.json'),
    JSON.stringify({
      name: 'greet',
      steps: [
        { id: 'hello', tool: 'core.echo', input: { text: 'hello {{ input.who }}' } },
        { id: 'wait', tool: 'core.sleep', input: { ms: 20 }, after: ['hello'] },
      ],
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await api?.close();
});

it('signs in, keeps the token in a 0600 file, and creates and uses a workspace', async () => {
  const wrong = await weft('login', '--url', api.url, '--email', email, '--password', 'wrong password!');
  expect(wrong.code).toBe(5);
  expect(wrong.stderr).toMatch(/^error: /);

  const login = await weft('login', '--url', api.url, '--email', email, '--password', password, '--json');
  expect(login.code).toBe(0);
  expect(login.json()).toEqual({ url: api.url, email });
  expect((await stat(env.WEFT_CONFIG ?? '')).mode & 0o777).toBe(0o600);

  expect((await weft('workspace', 'create', slug)).code).toBe(0);
  const list = await weft('workspace', 'list', '--json');
  expect(list.json()).toEqual([expect.objectContaining({ slug, role: 'ADMIN' })]);
  expect((await weft('workspace', 'use', 'no-such-workspace')).code).toBe(4);
});

it('pushes a plan idempotently, then adds a version with its structural diff', async () => {
  const first = await weft('plan', 'push', 'greet.json', '--json');
  expect(first.json()).toEqual([{ name: 'greet', version: 1, status: 'created' }]);
  const again = await weft('plan', 'push', 'greet.json');
  expect(again.stdout).toBe('unchanged greet v1\n');

  const spec = JSON.parse(await readFile(join(dir, 'greet.json'), 'utf8')) as { steps: Record<string, unknown>[] };
  spec.steps[1] = { id: 'wait', tool: 'core.sleep', input: { ms: 30 }, after: ['hello'] };
  spec.steps.push({ id: 'bye', tool: 'core.echo', input: { said: '{{ steps.hello.output.text }}' } });
  await writeFile(join(dir, 'greet.json'), JSON.stringify(spec));
  const diff = await weft('plan', 'diff', 'greet.json', '--exit-code');
  expect(diff.code).toBe(1);
  const pushed = await weft('plan', 'push', 'greet.json');
  expect(pushed.stdout).toBe('updated greet v1 → v2\n  + bye\n  ~ wait (input)\n');

  const pulled = await weft('plan', 'pull', 'greet', '--version', '1', '--json');
  expect(pulled.json()).toMatchObject({
    name: 'greet',
    version: 1,
    spec: { steps: [{ id: 'hello' }, { id: 'wait' }] },
  });
});

it('validates a plan file against the workspace tools without writing', async () => {
  await writeFile(join(dir, 'broken.json'), JSON.stringify({ steps: [{ id: 'a', tool: 'no.such.tool' }] }));
  const result = await weft('plan', 'validate', 'broken.json', '--json');
  expect(result.code).toBe(5);
  expect(result.stdout.split('\n')[0]).toContain('"valid":false');
  expect((await weft('plan', 'push', 'broken.json')).code).toBe(5);
  expect((await weft('run', 'broken')).code).toBe(4);
});

it('runs with --follow: events live, the execution as the last JSON line, exit 0 only on success', async () => {
  const ok = await weft('run', 'greet', '--input', '{"who":"terminal"}', '--follow', '--json');
  expect(ok.code).toBe(0);
  const execution = ok.json<{ id: string; status: string; output: unknown }>();
  expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { bye: { said: 'hello terminal' } } });

  const human = await weft('run', 'greet', '--input', '{"who":"you"}', '--follow');
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/#1 execution\.started/);
  expect(human.stdout).toMatch(/step\.succeeded hello/);
  expect(human.stdout.trimEnd().split('\n').at(-1)).toMatch(/^SUCCEEDED /);

  await writeFile(
    join(dir, 'fails.json'),
    JSON.stringify({ name: 'fails', steps: [{ id: 'boom', tool: 'core.fail', input: { message: 'no luck' } }] }),
  );
  await weft('plan', 'push', 'fails.json');
  const failed = await weft('run', 'fails', '--follow');
  expect(failed.code).toBe(1);
  expect(failed.stdout).toMatch(/FAILED/);

  const list = await weft('executions', 'list', '--status', 'succeeded', '--json');
  expect(list.json<{ id: string }[]>().map((e) => e.id)).toContain(execution.id);
  const logs = await weft('logs', execution.id, '--json');
  expect(logs.json<{ type: string }[]>().at(-1)?.type).toBe('execution.succeeded');
  const retry = await weft('retry', execution.id);
  expect(retry.code).toBe(5);
});

it('lists a pending approval, approves it, and follows the run to its end with logs --follow', async () => {
  await writeFile(
    join(dir, 'gate.json'),
    JSON.stringify({
      name: 'gate',
      steps: [
        { id: 'ask', type: 'approval', message: 'ship it?' },
        { id: 'ship', tool: 'core.echo', input: { shipped: true }, after: ['ask'] },
      ],
    }),
  );
  expect((await weft('plan', 'push', 'gate.json')).code).toBe(0);
  const started = await weft('run', 'gate', '--json');
  const { id } = started.json<{ id: string }>();
  const pending = await weft('approvals', 'list', '--json');
  const approval = pending
    .json<{ id: string; execution: { id: string }; message: string }[]>()
    .find((a) => a.execution.id === id);
  expect(approval?.message).toBe('ship it?');
  const decided = await weft('approve', approval?.id ?? '', '--comment', 'go', '--json');
  expect(decided.json()).toMatchObject({ status: 'APPROVED', comment: 'go' });
  const logs = await weft('logs', id, '--follow');
  expect(logs.code).toBe(0);
  expect(logs.stdout).toMatch(/approval\.decided/);
  expect(logs.stdout.trimEnd().split('\n').at(-1)).toMatch(/execution\.succeeded$/);
});
