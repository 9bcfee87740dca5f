/**
 * What one workspace's plugins can do to the others through the shared sandbox, against real
 * sandbox processes and isolates: no shared isolates, no code running after a call, CPU time
 * counted across every entry of a call, and per-workspace CPU and isolate budgets.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltPlugin, buildPlugin } from '../build.ts';
import { SandboxPool, type SandboxPoolOptions } from './pool.ts';

let plugin: BuiltPlugin;
const pools: SandboxPool[] = [];

beforeAll(async () => {
  plugin = await buildPlugin(fileURLToPath(new URL('../..', import.meta.url)), {
    write: false,
    source: `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
let calls = 0;
let ticks = 0;
const spin = (ms) => { const end = Date.now() + ms; while (Date.now() < end) {} };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const t = (name, run) => defineTool({ name, description: name, input: Type.Any(), run });
export default definePlugin({ name: 'tenant', version: '1.0.0', description: 'module state and timers',
  tools: [
    t('count', () => ++calls),
    t('ticks', () => ticks),
    // Leaves a busy interval behind: it must never run once the call has returned.
    t('leaveInterval', () => { setInterval(() => { ticks++; spin(20); }, 1); return ticks; }),
    t('leaveTimeout', () => { setTimeout(() => { ticks += 1000; }, 50); return ticks; }),
    // Uses timers inside the call and cleans up: the isolate stays warm.
    t('tidyTimers', async () => {
      let n = 0;
      const id = setInterval(() => { n++; }, 5);
      await sleep(60);
      clearInterval(id);
      const late = setTimeout(() => { ticks += 1000; }, 10_000);
      clearTimeout(late);
      return { n: n > 0, calls: ++calls };
    }),
    // Each timer entry alone stays under the CPU limit; together they are far over it.
    t('spinInTimers', async () => {
      await Promise.all(Array.from({ length: 8 }, () => sleep(1).then(() => spin(300))));
      return 'finished';
    }),
    t('burn', ({ ms }) => { spin(ms); return 'burnt'; }),
    t('hold', ({ ms }) => sleep(ms).then(() => 'held')),
  ] });`,
  });
});
afterAll(() => Promise.all(pools.map((p) => p.close())));

function newPool(options: SandboxPoolOptions = {}): SandboxPool {
  const pool = new SandboxPool({ size: 1, ...options });
  pools.push(pool);
  return pool;
}

const call = (pool: SandboxPool, workspaceId: string, tool: string, input: unknown = {}, key = 'install-1') =>
  pool.call({ plugin: { workspaceId, key, ...plugin }, tool, input, handlers: { capabilities: {} } });

const failure = (promise: Promise<unknown>) =>
  promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: Error & { code?: string; retryAfterMs?: number }) => error,
  );

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('isolates per workspace', () => {
  it('never shares module state between workspaces, even for the same key', async () => {
    const pool = newPool();
    expect(await call(pool, 'ws-a', 'count')).toBe(1);
    expect(await call(pool, 'ws-a', 'count')).toBe(2);
    expect(await call(pool, 'ws-b', 'count')).toBe(1);
    expect(await call(pool, 'ws-a', 'count')).toBe(3);
    const [stats] = await pool.stats();
    expect(stats?.isolates.map((i) => [i.workspace, i.key]).sort()).toEqual([
      ['ws-a', 'install-1'],
      ['ws-b', 'install-1'],
    ]);
  });
});

describe('no plugin code outside a call', () => {
  it('runs no interval or timeout after the call returned, and does not reuse that isolate', async () => {
    const pool = newPool();
    expect(await call(pool, 'ws-a', 'leaveInterval')).toBe(0);
    await wait(300);
    expect(await call(pool, 'ws-a', 'ticks')).toBe(0);
    expect(await call(pool, 'ws-a', 'leaveTimeout')).toBe(0);
    await wait(200);
    expect(await call(pool, 'ws-a', 'ticks')).toBe(0);
  });

  it('keeps timers working inside a call, and a plugin that cleans up keeps its warm isolate', async () => {
    const pool = newPool();
    expect(await call(pool, 'ws-a', 'tidyTimers')).toEqual({ n: true, calls: 1 });
    expect(await call(pool, 'ws-a', 'tidyTimers')).toEqual({ n: true, calls: 2 });
  });

  it('counts the CPU time of every timer entry of a call against its one limit', async () => {
    const pool = newPool({ limits: { cpuTimeoutMs: 1_000, wallTimeoutMs: 20_000 } });
    const error = await failure(call(pool, 'ws-a', 'spinInTimers'));
    expect(error.code).toBe('SANDBOX_CPU_LIMIT');
    expect(await call(pool, 'ws-a', 'count')).toBe(1);
  });
});

describe('per-workspace budgets', () => {
  it('stops a workspace at its CPU budget, refuses it until the window ends, and serves the others', async () => {
    const pool = newPool({ cpuBudget: { cpuMs: 400, windowMs: 600_000 } });
    const stopped = await failure(call(pool, 'ws-greedy', 'burn', { ms: 3_000 }));
    expect(stopped.code).toBe('SANDBOX_WORKSPACE_CPU_BUDGET');
    expect(stopped.message).toMatch(/CPU time budget; it renews in \d+ s/);
    const refused = await failure(call(pool, 'ws-greedy', 'count'));
    expect(refused.code).toBe('SANDBOX_WORKSPACE_CPU_BUDGET');
    expect(refused.retryAfterMs).toBeGreaterThan(500_000);
    expect(await call(pool, 'ws-other', 'count')).toBe(1);
    expect(await call(pool, 'ws-other', 'burn', { ms: 100 })).toBe('burnt');
  });

  it('caps the isolates a workspace holds: idle ones are evicted, busy ones refuse more', async () => {
    const pool = newPool({ workspaceMaxIsolates: 2 });
    expect(await call(pool, 'ws-a', 'count', {}, 'p1')).toBe(1);
    expect(await call(pool, 'ws-a', 'count', {}, 'p2')).toBe(1);
    expect(await call(pool, 'ws-a', 'count', {}, 'p3')).toBe(1); // p1 (least recent, idle) evicted
    expect(await call(pool, 'ws-a', 'count', {}, 'p1')).toBe(1);
    const holding = [call(pool, 'ws-a', 'hold', { ms: 1_500 }, 'p1'), call(pool, 'ws-a', 'hold', { ms: 1_500 }, 'p3')];
    await wait(200);
    const refused = await failure(call(pool, 'ws-a', 'count', {}, 'p4'));
    expect(refused.code).toBe('SANDBOX_WORKSPACE_MEMORY_BUDGET');
    expect(refused.message).toContain('a workspace may hold 2 isolates');
    expect(await call(pool, 'ws-b', 'count', {}, 'p4')).toBe(1);
    await expect(Promise.all(holding)).resolves.toEqual(['held', 'held']);
  });

  it('caps the heap limits a workspace holds in total', async () => {
    const pool = newPool({ workspaceHeapMb: 100, limits: { memoryMb: 64 } });
    const holding = call(pool, 'ws-a', 'hold', { ms: 1_500 }, 'p1');
    await wait(200);
    const refused = await failure(call(pool, 'ws-a', 'count', {}, 'p2'));
    expect(refused.code).toBe('SANDBOX_WORKSPACE_MEMORY_BUDGET');
    expect(refused.message).toContain('100 MB');
    expect(await call(pool, 'ws-b', 'count', {}, 'p2')).toBe(1);
    await expect(holding).resolves.toBe('held');
  });
});
