import { withTenant } from '@weft/db';
import { createTestDatabase, createWorkspace, startRun, type TestDatabase, waitForExecution } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import { STEP_LOG_MAX_BYTES, STEP_LOG_MAX_LINES } from './step-logs.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
let other: { workspaceId: string; userId: string };

beforeAll(async () => {
  db = await createTestDatabase();
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 2, pollIntervalMs: 200 });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        {
          name: 'test.chatty',
          version: '1.0.0',
          description: 'logs `lines` lines of `size` characters, then fails on its first attempt',
          inputSchema: { type: 'object' },
          async run(input, ctx) {
            const { lines, size } = input as { lines: number; size: number };
            for (let i = 1; i <= lines; i++)
              ctx.log(i % 2 === 0 ? 'info' : 'debug', `line ${i} ${'x'.repeat(size)}`, { i });
            if (ctx.attempt === 1) throw new Error('first attempt fails');
            return { ok: true };
          },
        },
      ];
    },
  });
  await engine.startWorkers(1);
  ws = await createWorkspace(db.pools);
  other = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

async function logsOf(workspaceId: string, executionId: string) {
  return withTenant(db.pools.app, { workspaceId }, async (client) => {
    const { rows } = await client.query<{
      attempt: number;
      line: number;
      level: string;
      message: string;
      data: unknown;
    }>('SELECT attempt, line, level, message, data FROM step_logs WHERE execution_id = $1 ORDER BY attempt, line', [
      executionId,
    ]);
    return rows;
  });
}

async function runChatty(lines: number, size: number): Promise<string> {
  const id = await startRun(db.pools, engine, ws, {
    steps: [{ id: 'talk', tool: 'test.chatty', input: { lines, size }, retry: { maxAttempts: 2, delayMs: 10 } }],
  });
  await waitForExecution(db.pools, ws.workspaceId, id);
  return id;
}

describe('step logs', () => {
  it('stores every line of every attempt in order, with its level and data, visible only in its workspace', async () => {
    const id = await runChatty(3, 1);
    // Written after the call returns, so wait for the last line rather than assume it is there.
    await expect.poll(async () => (await logsOf(ws.workspaceId, id)).length, { timeout: 10_000 }).toBe(6);
    const rows = await logsOf(ws.workspaceId, id);
    expect(rows.map((r) => [r.attempt, r.line, r.level, r.message, r.data])).toEqual([
      [1, 1, 'debug', 'line 1 x', { i: 1 }],
      [1, 2, 'info', 'line 2 x', { i: 2 }],
      [1, 3, 'debug', 'line 3 x', { i: 3 }],
      [2, 1, 'debug', 'line 1 x', { i: 1 }],
      [2, 2, 'info', 'line 2 x', { i: 2 }],
      [2, 3, 'debug', 'line 3 x', { i: 3 }],
    ]);
    expect(await logsOf(other.workspaceId, id)).toEqual([]);
  });

  it('keeps at most the line cap per attempt, ending with one line that says it was cut', async () => {
    const id = await runChatty(STEP_LOG_MAX_LINES + 50, 1);
    await expect
      .poll(async () => (await logsOf(ws.workspaceId, id)).length, { timeout: 10_000 })
      .toBe(2 * STEP_LOG_MAX_LINES);
    const first = (await logsOf(ws.workspaceId, id)).filter((r) => r.attempt === 1);
    expect(first).toHaveLength(STEP_LOG_MAX_LINES);
    expect(first.at(-1)?.message).toMatch(/^log truncated/);
    expect(first.at(-2)?.message).toBe(`line ${STEP_LOG_MAX_LINES - 1} x`);
  });

  it('keeps at most the byte cap per attempt', async () => {
    const size = 10_000;
    const id = await runChatty(20, size);
    const fit = Math.floor(STEP_LOG_MAX_BYTES / (size + 20));
    await expect.poll(async () => (await logsOf(ws.workspaceId, id)).length, { timeout: 10_000 }).toBe(2 * (fit + 1));
    const first = (await logsOf(ws.workspaceId, id)).filter((r) => r.attempt === 1);
    const bytes = first.reduce((n, r) => n + r.message.length + JSON.stringify(r.data ?? '').length, 0);
    expect(bytes).toBeLessThanOrEqual(STEP_LOG_MAX_BYTES + 200);
    expect(first.at(-1)?.message).toMatch(/^log truncated/);
  });
});
