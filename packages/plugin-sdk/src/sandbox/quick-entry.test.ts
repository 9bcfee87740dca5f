/**
 * Calls of a tool that was quick start synchronously on the sandbox process's thread (see
 * quick-entry.ts). Against real sandbox processes and isolates: such a call that turns slow still
 * gets its own result, makes each host request once, keeps its log lines, stays within its CPU and
 * memory limits, and holds up another workspace's call only for the slice.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BuiltPlugin, buildPlugin } from '../build.ts';
import { type CallHandlers, SandboxPool } from './pool.ts';

let plugin: BuiltPlugin;
const pool = new SandboxPool({ size: 1, limits: { cpuTimeoutMs: 1_500, wallTimeoutMs: 20_000, memoryMb: 32 } });

beforeAll(async () => {
  plugin = await buildPlugin(fileURLToPath(new URL('../..', import.meta.url)), {
    write: false,
    source: `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
const spin = (ms) => { const end = Date.now() + ms; while (Date.now() < end) {} };
const t = (name, run) => defineTool({ name, description: name, input: Type.Any(), run });
export default definePlugin({ name: 'quick', version: '1.0.0', description: 'quick, then not',
  tools: [
    // Asks the host to store its mark (if told to) before it spins, and awaits the answer after.
    t('markThenSpin', async ({ mark, ms, store }, ctx) => {
      const stored = store ? ctx.kv.set('mark', mark) : undefined;
      ctx.log('info', 'marked ' + mark);
      spin(ms);
      await stored;
      return { mark };
    }),
    t('grow', ({ mb }) => { const keep = []; for (let i = 0; i < mb; i++) keep.push(new Array(131072).fill(i)); return keep.length; }),
    t('ok', (input) => input),
  ] });`,
  });
});
afterAll(() => pool.close());

/**
 * Calls that make a tool quick: its first calls in a new isolate compile its code and are not.
 * They ask the host nothing, so no entry into the isolate is left running after them (a call
 * starts synchronously only into an idle isolate).
 */
const WARM_CALLS = 12;
const warm = async (workspaceId: string, handlers?: CallHandlers) => {
  for (let i = 0; i < WARM_CALLS; i++) {
    expect(await call(workspaceId, 'markThenSpin', { mark: `m${i}`, ms: 0, store: false }, handlers)).toEqual({
      mark: `m${i}`,
    });
  }
};

function recorder() {
  const stored: unknown[] = [];
  const logs: string[] = [];
  const handlers: CallHandlers = {
    capabilities: {
      'kv.set': async (args) => {
        stored.push(args);
      },
    },
    log: (_level, message) => logs.push(message),
  };
  return { stored, logs, handlers };
}

const call = (workspaceId: string, tool: string, input: unknown, handlers: CallHandlers = { capabilities: {} }) =>
  pool.call({ plugin: { workspaceId, key: 'install-1', ...plugin }, tool, input, handlers });

const failure = (promise: Promise<unknown>) =>
  promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: Error & { code?: string }) => error,
  );

it('gives a quick tool that turns slow its own result, each host request once, and its log lines', async () => {
  const quick = recorder();
  await warm('ws-turns', quick.handlers);
  expect(quick.logs).toEqual(Array.from({ length: WARM_CALLS }, (_, i) => `marked m${i}`));
  expect(await call('ws-turns', 'markThenSpin', { mark: 'q', ms: 0, store: true }, quick.handlers)).toEqual({
    mark: 'q',
  });
  expect(quick.stored).toEqual([{ key: 'mark', value: 'q' }]);
  await warm('ws-turns');

  const slow = recorder();
  expect(await call('ws-turns', 'markThenSpin', { mark: 'slow', ms: 300, store: true }, slow.handlers)).toEqual({
    mark: 'slow',
  });
  expect(slow.stored).toEqual([{ key: 'mark', value: 'slow' }]);
  expect(slow.logs).toEqual(['marked slow']);
});

it('serves another workspace while a quick tool that turned slow runs', async () => {
  await warm('ws-busy');
  await call('ws-other', 'ok', { warm: true });
  const order: string[] = [];
  const slow = call('ws-busy', 'markThenSpin', { mark: 'slow', ms: 1_000, store: false }).then(() =>
    order.push('slow'),
  );
  const other = call('ws-other', 'ok', { n: 1 }).then((output) => {
    order.push('other');
    return output;
  });
  expect(await other).toEqual({ n: 1 });
  await slow;
  expect(order).toEqual(['other', 'slow']);
});

it('stops a quick tool that turns into a busy loop at its CPU limit', async () => {
  await warm('ws-loop');
  const error = await failure(call('ws-loop', 'markThenSpin', { mark: 'loop', ms: 60_000, store: false }));
  expect(error.code).toBe('SANDBOX_CPU_LIMIT');
  expect(await call('ws-loop', 'ok', { after: 'loop' })).toEqual({ after: 'loop' });
});

it('stops a quick tool that turns into a memory bomb at its memory limit', async () => {
  for (let i = 0; i < WARM_CALLS; i++) expect(await call('ws-grow', 'grow', { mb: 0 })).toBe(0);
  const error = await failure(call('ws-grow', 'grow', { mb: 4_000 }));
  expect(['SANDBOX_MEMORY_LIMIT', 'SANDBOX_HOST_CRASHED']).toContain(error.code);
  expect(await call('ws-grow', 'ok', { after: 'bomb' })).toEqual({ after: 'bomb' });
});
