import { withTenant } from '@weft/db';
import { createTestDatabase, createWorkspace, startRun, type TestDatabase, waitForExecution } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import type { PlanSpec } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const calls: string[] = [];

// a → b → c, and d alone: re-running from b runs b and c again, and neither a nor d.
const SPEC: PlanSpec = {
  steps: [
    { id: 'a', tool: 'test.count', input: { step: 'a', n: '{{ input.n }}' } },
    { id: 'b', tool: 'test.count', input: { step: 'b', from: '{{ steps.a.output.value }}', n: '{{ input.n }}' } },
    { id: 'c', tool: 'test.count', input: { step: 'c', from: '{{ steps.b.output.value }}' } },
    { id: 'd', tool: 'test.count', input: { step: 'd' } },
  ],
};

beforeAll(async () => {
  db = await createTestDatabase();
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 4, pollIntervalMs: 200 });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        {
          name: 'test.count',
          version: '1.0.0',
          description: 'records that it ran; its value joins its step, what it read and the input',
          inputSchema: { type: 'object' },
          async run(input) {
            const { step, from, n } = input as { step: string; from?: string; n?: number };
            calls.push(step);
            return { value: [from, step, n].filter((x) => x !== undefined && x !== null).join('>') };
          },
        },
      ];
    },
  });
  await engine.startWorkers(1);
  ws = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

describe('re-run from a step', () => {
  it('runs the step and what depends on it again, with the new input; the rest keep their outputs uncalled', async () => {
    const first = await startRun(db.pools, engine, ws, SPEC, { input: { n: 1 } });
    const done = await waitForExecution(db.pools, ws.workspaceId, first);
    expect(done.status).toBe('SUCCEEDED');
    expect([...calls].sort()).toEqual(['a', 'b', 'c', 'd']);
    calls.length = 0;

    const second = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, async (client) => {
      const { rows } = await client.query<{ plan_version_id: string }>(
        'SELECT plan_version_id FROM executions WHERE id = $1',
        [first],
      );
      return engine.startExecution(client, ws.workspaceId, {
        planVersionId: rows[0]?.plan_version_id ?? '',
        input: { n: 2 },
        actor: { userId: ws.userId, role: 'ADMIN' },
        rerunFrom: { executionId: first, stepId: 'b' },
      });
    });
    const again = await waitForExecution(db.pools, ws.workspaceId, second.executionId);
    expect(again.status).toBe('SUCCEEDED');
    expect([...calls].sort()).toEqual(['b', 'c']);
    const outputs = Object.fromEntries(
      Object.entries(again.steps).map(([id, s]) => [id, (s.output as { value: string }).value]),
    );
    // a kept its old output (n = 1); b read it and the new input (n = 2); c read b's new output.
    expect(outputs).toEqual({ a: 'a>1', b: 'a>1>b>2', c: 'a>1>b>2>c', d: 'd' });
  });
});
