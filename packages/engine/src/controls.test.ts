import { randomUUID } from 'node:crypto';
import { withTenant } from '@weft/db';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  readExecution,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import type { ControlResult } from './service-types.ts';
import type { Actor, PlanSpec, TenantClient } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const admin = (): Actor => ({ userId: ws.userId, role: 'ADMIN' });
const undone: string[] = [];
const aborts: Array<{ at: number; reason: string }> = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 8, pollIntervalMs: 200 });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        {
          name: 'test.undo',
          version: '1.0.0',
          description: 'records compensation order',
          inputSchema: { type: 'object' },
          async run(input) {
            undone.push(String((input as { id: unknown }).id));
            return { undone: (input as { id: unknown }).id };
          },
        },
        {
          name: 'test.hang',
          version: '1.0.0',
          description: 'waits for its abort signal and records it',
          inputSchema: { type: 'object' },
          run(_input, ctx) {
            return new Promise((_resolve, reject) => {
              ctx.signal.addEventListener('abort', () => {
                aborts.push({ at: Date.now(), reason: String(ctx.signal.reason) });
                reject(ctx.signal.reason);
              });
            });
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

function tx<T>(work: (client: TenantClient) => Promise<T>): Promise<T> {
  return withTenant(db.pools.app, { workspaceId: ws.workspaceId }, work);
}

const start = (spec: PlanSpec, input: unknown = {}) => startRun(db.pools, engine, ws, spec, { input });

const control = (name: 'pause' | 'resume' | 'cancel' | 'retry' | 'rollback', id: string): Promise<ControlResult> =>
  tx((c) => {
    const fn = {
      pause: engine.pauseExecution,
      resume: engine.resumeExecution,
      cancel: engine.cancelExecution,
      retry: engine.retryExecution,
      rollback: engine.rollbackExecution,
    }[name];
    return fn.call(engine, c, ws.workspaceId, id, admin());
  });

const terminalEvents = (events: Array<{ type: string }>) =>
  events.filter((e) =>
    ['execution.succeeded', 'execution.failed', 'execution.cancelled', 'execution.rolled_back'].includes(e.type),
  );

describe('controls', () => {
  it('pause stops dispatch; resume continues from the checkpoint with outputs kept', async () => {
    const id = await start({
      steps: [
        { id: 'a', tool: 'core.echo', input: { v: 1 } },
        { id: 'b', tool: 'core.sleep', input: { ms: 400 }, after: ['a'] },
        { id: 'c', tool: 'core.echo', input: { fromA: '{{ steps.a.output.v }}' }, after: ['b'] },
      ],
    });
    // Wait until a worker has really started b (a step only dispatched when the pause lands goes
    // back to PENDING instead, which is the other correct outcome but not the one tested here).
    await eventually(async () =>
      (await readExecution(db.pools, ws.workspaceId, id)).events.some(
        (e) => e.type === 'step.started' && e.stepId === 'b',
      )
        ? true
        : undefined,
    );
    expect(await control('pause', id)).toEqual({ ok: true, status: 'PAUSED' });
    // b finishes while paused, c must not start.
    await eventually(async () =>
      (await readExecution(db.pools, ws.workspaceId, id)).steps.b?.status === 'SUCCEEDED' ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 300));
    const paused = await readExecution(db.pools, ws.workspaceId, id);
    expect(paused.status).toBe('PAUSED');
    expect(paused.steps.c?.status).toBe('PENDING');
    expect(await control('pause', id)).toMatchObject({ ok: false, code: 'INVALID_STATE' });

    expect(await control('resume', id)).toMatchObject({ ok: true });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.a?.attempts).toBe(1);
    expect(done.steps.b?.attempts).toBe(1);
    expect(done.steps.c?.output).toEqual({ fromA: 1 });
    const types = done.events.map((e) => e.type);
    expect(types.indexOf('execution.paused')).toBeLessThan(types.indexOf('execution.resumed'));
    expect(done.events.filter((e) => e.type === 'step.started' && e.stepId === 'c')).toHaveLength(1);
    expect(types.indexOf('execution.resumed')).toBeLessThan(
      done.events.findIndex((e) => e.type === 'step.started' && e.stepId === 'c'),
    );
  });

  it('cancel aborts running steps promptly and starts nothing after it', async () => {
    const id = await start({
      steps: [
        { id: 'hang', tool: 'test.hang' },
        { id: 'later', tool: 'core.echo', after: ['hang'] },
      ],
    });
    await eventually(async () =>
      (await readExecution(db.pools, ws.workspaceId, id)).steps.hang?.status === 'RUNNING' ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 100));
    const before = aborts.length;
    const cancelledAt = Date.now();
    expect(await control('cancel', id)).toEqual({ ok: true, status: 'CANCELLED' });
    const abort = await eventually(async () => aborts[before], 5000, 'abort signal');
    expect(abort.at - cancelledAt).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 200));
    const done = await readExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('CANCELLED');
    expect(done.steps.hang?.status).toBe('CANCELLED');
    expect(done.steps.later?.status).toBe('CANCELLED');
    expect(terminalEvents(done.events)).toHaveLength(1);
    expect(done.events.at(-1)?.type).toBe('execution.cancelled');
    expect(await control('cancel', id)).toMatchObject({ ok: false, code: 'INVALID_STATE' });
  });

  it('cancel racing completion ends in exactly one terminal state and one terminal event', async () => {
    const spec: PlanSpec = { steps: [{ id: 'quick', tool: 'core.echo', input: { x: 1 } }] };
    const ids = await Promise.all(Array.from({ length: 12 }, () => start(spec)));
    const results = await Promise.all(
      ids.map(async (id, i) => {
        await new Promise((r) => setTimeout(r, i * 7));
        return control('cancel', id);
      }),
    );
    for (const [i, id] of ids.entries()) {
      const done = await waitForExecution(db.pools, ws.workspaceId, id);
      const terminal = terminalEvents(done.events);
      expect(terminal).toHaveLength(1);
      expect(done.events.at(-1)?.type).toBe(terminal[0]?.type);
      expect(terminal[0]?.type).toBe(results[i]?.ok === true ? 'execution.cancelled' : 'execution.succeeded');
      expect(done.status).toBe(results[i]?.ok === true ? 'CANCELLED' : 'SUCCEEDED');
    }
  });

  it('retry re-runs failed steps only and core.fail counts attempts over the whole run', async () => {
    const id = await start({
      steps: [
        { id: 'ok', tool: 'core.echo', input: { v: 'kept' } },
        { id: 'flaky', tool: 'core.fail', input: { message: 'down', failTimes: 2 }, after: ['ok'] },
        { id: 'end', tool: 'core.echo', input: { v: '{{ steps.ok.output.v }}' }, after: ['flaky'] },
      ],
    });
    let done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.flaky?.attempts).toBe(1);
    expect(await control('resume', id)).toMatchObject({ ok: false, code: 'INVALID_STATE' });

    expect(await control('retry', id)).toMatchObject({ ok: true });
    done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.flaky?.attempts).toBe(2);

    expect(await control('retry', id)).toMatchObject({ ok: true });
    done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.flaky?.attempts).toBe(3);
    expect(done.steps.ok?.attempts).toBe(1);
    expect(done.steps.end?.output).toEqual({ v: 'kept' });
    expect(await control('retry', id)).toMatchObject({ ok: false, code: 'INVALID_STATE' });
  });

  it('retry refuses a cancelled run (cancelling is final) and writes nothing', async () => {
    const id = await start({
      steps: [
        { id: 'ok', tool: 'core.echo', input: { v: 1 } },
        { id: 'long', tool: 'core.sleep', input: { ms: 60_000 }, after: ['ok'] },
        { id: 'end', tool: 'core.echo', after: ['long'] },
      ],
    });
    await eventually(async () =>
      (await readExecution(db.pools, ws.workspaceId, id)).events.some(
        (e) => e.type === 'step.started' && e.stepId === 'long',
      )
        ? true
        : undefined,
    );
    expect(await control('cancel', id)).toEqual({ ok: true, status: 'CANCELLED' });
    const cancelled = await readExecution(db.pools, ws.workspaceId, id);

    const refused = await control('retry', id);
    expect(refused).toMatchObject({ ok: false, code: 'INVALID_STATE' });
    expect(refused.ok === false && refused.message).toContain('cancelled execution');
    const after = await readExecution(db.pools, ws.workspaceId, id);
    expect(after.status).toBe('CANCELLED');
    expect(after.events).toEqual(cancelled.events);
    expect(after.steps.long?.status).toBe('CANCELLED');
    expect(after.steps.end?.status).toBe(cancelled.steps.end?.status);
  });

  it('rollback compensates completed steps in reverse dependency order, durably', async () => {
    undone.length = 0;
    const comp = (id: string) => ({ tool: 'test.undo', input: { id } });
    const id = await start({
      steps: [
        { id: 'a', tool: 'core.echo', input: { n: 1 }, compensate: comp('a') },
        { id: 'b', tool: 'core.echo', input: { n: '{{ steps.a.output.n }}' }, compensate: comp('b') },
        { id: 'plain', tool: 'core.echo', after: ['b'] },
        {
          id: 'c',
          tool: 'core.echo',
          input: { n: 3 },
          after: ['plain'],
          compensate: { tool: 'test.undo', input: { id: 'c:{{ steps.c.output.n }}' } },
        },
      ],
    });
    expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
    expect(await control('rollback', id)).toEqual({ ok: true, status: 'ROLLING_BACK' });
    const done = await waitForExecution(db.pools, ws.workspaceId, id, ['ROLLED_BACK', 'FAILED']);
    expect(done.status).toBe('ROLLED_BACK');
    expect(undone).toEqual(['c:3', 'b', 'a']);
    expect(done.events.filter((e) => e.type === 'step.compensated').map((e) => e.stepId)).toEqual(['c', 'b', 'a']);
    expect(done.steps.plain?.status).toBe('SUCCEEDED');
    expect(done.steps.a?.status).toBe('COMPENSATED');
    expect(done.events.at(-1)?.type).toBe('execution.rolled_back');
    expect(await control('rollback', id)).toMatchObject({ ok: false, code: 'INVALID_STATE' });
  });

  it('answers NOT_FOUND for unknown executions', async () => {
    expect(await control('pause', randomUUID())).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });
});

describe('approval gates', () => {
  const gated = (extra: object = {}): PlanSpec => ({
    steps: [
      { id: 'prepare', tool: 'core.echo', input: { v: 1 } },
      { id: 'ok', type: 'approval', after: ['prepare'], message: 'Ship it?', approvers: ['ADMIN'], ...extra },
      { id: 'ship', tool: 'core.echo', input: { shipped: true }, after: ['ok'] },
    ],
  });
  const approvalOf = (id: string) =>
    eventually(async () => {
      const { rows } = await tx((c) =>
        c.query<{ id: string }>(`SELECT id FROM approvals WHERE execution_id = $1 AND status = 'PENDING'`, [id]),
      );
      return rows[0]?.id;
    });
  const decide = (approvalId: string, approve: boolean, actor: Actor, comment?: string) =>
    tx((c) => engine.decideApproval(c, ws.workspaceId, approvalId, { approve, actor, comment }));

  it('waits for an allowed role, records who decided and why, then continues', async () => {
    const id = await start(gated());
    const approvalId = await approvalOf(id);
    expect((await readExecution(db.pools, ws.workspaceId, id)).status).toBe('WAITING_APPROVAL');
    expect(await decide(approvalId, true, { userId: ws.userId, role: 'MEMBER' })).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
    });
    expect(await decide(approvalId, true, admin(), 'looks good')).toMatchObject({ ok: true });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.map((e) => e.type)).toContain('approval.requested');
    expect(done.events.find((e) => e.type === 'approval.decided')?.data).toMatchObject({
      approved: true,
      decidedBy: ws.userId,
      comment: 'looks good',
    });
    const { rows } = await tx((c) =>
      c.query('SELECT status, decided_by, comment FROM approvals WHERE id = $1', [approvalId]),
    );
    expect(rows[0]).toEqual({ status: 'APPROVED', decided_by: ws.userId, comment: 'looks good' });
    expect(await decide(approvalId, true, admin())).toMatchObject({ ok: false, code: 'INVALID_STATE' });
  });

  it('a rejection fails the run', async () => {
    const id = await start(gated());
    const approvalId = await approvalOf(id);
    expect(await decide(approvalId, false, admin(), 'not today')).toMatchObject({ ok: true });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.ship?.status).toBe('PENDING');
    expect(done.steps.ok?.error).toContain('not today');
  });

  it('expires after expiresInMs', async () => {
    const id = await start(gated({ expiresInMs: 300 }));
    const approvalId = await approvalOf(id);
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.ok?.error).toBe('approval expired');
    expect(await decide(approvalId, true, admin())).toMatchObject({ ok: false, code: 'INVALID_STATE' });
  });
});
