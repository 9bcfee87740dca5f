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
import { type ApprovalPolicyInput, defaultApprovalPolicy } from './approval-policy.ts';
import { createEngine, type Engine } from './engine.ts';
import type { Actor, TenantClient } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const asked: ApprovalPolicyInput[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 6 });
  engine = createEngine({
    pools: db.pools,
    stepLeaseMs: 2000,
    workerConcurrency: 2,
    pollIntervalMs: 200,
    // Only the workspace's own user may decide, whatever the gate's approvers and the actor's role.
    approvalPolicy: async (input) => {
      asked.push(input);
      return input.actor.userId === ws.userId;
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

describe('approvalPolicy', () => {
  it('decides instead of the role check, with the gate and the actor it is asked about', async () => {
    const executionId = await startRun(db.pools, engine, ws, {
      steps: [
        { id: 'gate', type: 'approval', message: 'Ship it?', approvers: ['ADMIN'] },
        { id: 'ship', tool: 'core.echo', input: { shipped: true }, after: ['gate'] },
      ],
    });
    const approvalId = await eventually(async () => {
      const { rows } = await tx((c) =>
        c.query<{ id: string }>(`SELECT id FROM approvals WHERE execution_id = $1 AND status = 'PENDING'`, [
          executionId,
        ]),
      );
      return rows[0]?.id;
    });
    const decide = (actor: Actor) =>
      tx((c) => engine.decideApproval(c, ws.workspaceId, approvalId, { approve: true, actor }));

    const unlistedAdmin: Actor = { userId: randomUUID(), role: 'ADMIN' };
    expect(await decide(unlistedAdmin)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    const pending = await tx((c) => c.query('SELECT status, decided_by FROM approvals WHERE id = $1', [approvalId]));
    expect(pending.rows[0]).toEqual({ status: 'PENDING', decided_by: null });
    expect((await readExecution(db.pools, ws.workspaceId, executionId)).status).toBe('WAITING_APPROVAL');

    // The default rule would refuse a VIEWER on an ADMIN-only gate; the policy lets this user through.
    const listedViewer: Actor = { userId: ws.userId, role: 'VIEWER' };
    expect(await decide(listedViewer)).toMatchObject({ ok: true });
    const done = await waitForExecution(db.pools, ws.workspaceId, executionId);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.ship?.output).toEqual({ shipped: true });
    const decided = await tx((c) => c.query('SELECT status, decided_by FROM approvals WHERE id = $1', [approvalId]));
    expect(decided.rows[0]).toEqual({ status: 'APPROVED', decided_by: ws.userId });

    const gate = {
      workspaceId: ws.workspaceId,
      executionId,
      stepId: 'gate',
      approvers: ['ADMIN'],
      startedBy: ws.userId,
      approve: true,
    };
    expect(asked).toEqual([
      { ...gate, actor: unlistedAdmin },
      { ...gate, actor: listedViewer },
    ]);
  });

  it("applies the plan's selfApproval: false before any policy: the starter may reject, not approve", async () => {
    const executionId = await startRun(db.pools, engine, ws, {
      approval: { selfApproval: false },
      steps: [{ id: 'gate', type: 'approval', message: 'Pay?' }],
    });
    const approvalId = await eventually(async () => {
      const { rows } = await tx((c) =>
        c.query<{ id: string }>(`SELECT id FROM approvals WHERE execution_id = $1 AND status = 'PENDING'`, [
          executionId,
        ]),
      );
      return rows[0]?.id;
    });
    const starter: Actor = { userId: ws.userId, role: 'ADMIN' };
    const askedBefore = asked.length;
    const approved = await tx((c) =>
      engine.decideApproval(c, ws.workspaceId, approvalId, { approve: true, actor: starter }),
    );
    expect(approved).toMatchObject({ ok: false, code: 'FORBIDDEN', message: expect.stringContaining('selfApproval') });
    // The configured policy (which would let this user through) was not even asked.
    expect(asked.length).toBe(askedBefore);
    const pending = await tx((c) => c.query('SELECT status, decided_by FROM approvals WHERE id = $1', [approvalId]));
    expect(pending.rows[0]).toEqual({ status: 'PENDING', decided_by: null });

    const rejected = await tx((c) =>
      engine.decideApproval(c, ws.workspaceId, approvalId, { approve: false, actor: starter }),
    );
    expect(rejected).toMatchObject({ ok: true });
    expect((await waitForExecution(db.pools, ws.workspaceId, executionId)).status).toBe('FAILED');
  });

  it('exports the default rule: a role among approvers, ADMIN or MEMBER when none are named', () => {
    const ask = (approvers: ApprovalPolicyInput['approvers'], role: Actor['role']) =>
      defaultApprovalPolicy({
        workspaceId: randomUUID(),
        executionId: randomUUID(),
        stepId: 'gate',
        approvers,
        actor: { userId: randomUUID(), role },
        startedBy: null,
        approve: true,
      });
    expect([ask([], 'ADMIN'), ask([], 'MEMBER'), ask([], 'VIEWER'), ask([], null)]).toEqual([true, true, false, false]);
    expect([ask(['ADMIN'], 'ADMIN'), ask(['ADMIN'], 'MEMBER'), ask(['VIEWER'], 'VIEWER')]).toEqual([true, false, true]);
  });
});
