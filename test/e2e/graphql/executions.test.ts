import { randomBytes, randomUUID } from 'node:crypto';
import { gql } from '@apollo/client';
import { encodeTenantId, parseTenantId } from '@weft/schema';
import { codes, signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import type { DocumentNode } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ADD_MEMBER,
  APPROVAL_SPEC,
  AUDIT_LOG,
  CANCEL_EXECUTION,
  CREATE_API_TOKEN,
  CREATE_PLAN,
  CREATE_WORKSPACE,
  DECIDE_APPROVAL,
  EXECUTION,
  PAUSE_EXECUTION,
  REMOVE_MEMBER,
  RESUME_EXECUTION,
  RETRY_EXECUTION,
  REVOKE_TOKEN,
  ROLLBACK_EXECUTION,
  START_EXECUTION,
  UPDATE_PLAN,
} from './operations.ts';
import { type Stream, sseStream, wsStream } from './streams.ts';

// Runs through GraphQL on a real API with one in-process worker: start, watch, decide, control.

interface Event {
  seq: number;
  type: string;
  stepId: string | null;
  data: Record<string, unknown> | null;
}
interface Step {
  stepId: string;
  status: string;
  attempts: number;
  output: unknown;
  error: string | null;
  cacheHit: boolean;
}
interface Execution {
  id: string;
  status: string;
  mode: string;
  input: unknown;
  output: unknown;
  error: string | null;
  traceId: string | null;
  finishedAt: string | null;
  planVersion: { number: number };
  steps: Step[];
  events: Event[];
  approvals: { id: string; stepId: string; status: string; approvers: string[]; comment: string | null }[];
}
type Payload = { execution: Execution | null; userErrors: { code: string; field: string[] | null }[] };

const EVENTS = `subscription($id: ID!, $after: Int) {
  executionEvents(executionId: $id, afterSeq: $after) { seq type stepId data }
}`;
const STATUSES = 'subscription($ws: ID!) { workspaceExecutions(workspaceId: $ws) { id status } }';

let api: TestApi;
let admin: TestUser;
let member: TestUser;
let workspaceId: string;
const slug = `runs-${randomBytes(3).toString('hex')}`;
const streams: Stream[] = [];

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  const anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'admin');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: 'Runs' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  member = await addMember('member');
});
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});
afterAll(() => api?.close());

async function addMember(label: string): Promise<TestUser> {
  const user = await signUpUser(new TestClient(api.url), label);
  const added = await admin.client.mutate(ADD_MEMBER, { input: { workspaceId, email: user.email, role: 'MEMBER' } });
  expect(added.errors).toEqual([]);
  return user;
}

async function createPlan(spec: object, client = admin.client): Promise<string> {
  const r = await client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(CREATE_PLAN, {
    input: { workspaceId, name: `plan-${randomBytes(4).toString('hex')}`, spec },
  });
  expect(r.data?.createPlan.userErrors).toEqual([]);
  return r.data?.createPlan.plan?.id ?? '';
}

async function start(planId: string, extra: Record<string, unknown> = {}, client = admin.client): Promise<Execution> {
  const r = await client.mutate<{ startExecution: Payload }>(START_EXECUTION, { input: { planId, ...extra } });
  expect(r.errors).toEqual([]);
  expect(r.data?.startExecution.userErrors).toEqual([]);
  const execution = r.data?.startExecution.execution;
  if (!execution) throw new Error('no execution');
  return execution;
}

async function control(doc: DocumentNode, id: string, client = admin.client) {
  const r = await client.mutate<Record<string, Payload>>(doc, { input: { id } });
  expect(r.errors).toEqual([]);
  const payload = Object.values(r.data ?? {})[0];
  if (!payload) throw new Error('no payload');
  return payload;
}

async function read(id: string, client = admin.client): Promise<Execution> {
  const r = await client.query<{ node: Execution }>(EXECUTION, { id });
  expect(r.errors).toEqual([]);
  if (!r.data?.node) throw new Error('no execution');
  return r.data.node;
}

/** Polls the execution through the API until `done` holds (deadline 20 s). */
async function waitFor(id: string, done: (e: Execution) => boolean): Promise<Execution> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const execution = await read(id);
    if (done(execution)) return execution;
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(execution)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const status = (s: string) => (e: Execution) => e.status === s;

function watch(stream: Stream): Stream {
  streams.push(stream);
  return stream;
}

function seqsOf(events: { seq: number }[]): number[] {
  return events.map((e) => e.seq);
}

function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** How many times the API's RLS-bound pool hands out a connection within `ms`. */
async function appPoolCheckoutsDuring(ms: number): Promise<number> {
  let count = 0;
  const onAcquire = () => count++;
  const pool = api.running.pools.app;
  pool.on('acquire', onAcquire);
  await new Promise((r) => setTimeout(r, ms));
  pool.off('acquire', onAcquire);
  return count;
}

/** The API's gauge of open subscriptions (ended when the server side of a stream is gone). */
async function openSubscriptions(): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  return Number(/^weft_graphql_subscriptions_open (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

const has = (type: string) => (s: Stream) => s.items<Event>('executionEvents').some((e) => e.type === type);

describe('a gated run, end to end', () => {
  it('streams live events, refuses a MEMBER the ADMIN-only gate, and succeeds once an ADMIN approves', async () => {
    const planId = await createPlan({
      name: 'release',
      steps: [
        { id: 'build', tool: 'core.echo', input: { artifact: '{{ input.artifact }}' } },
        { id: 'ok', type: 'approval', approvers: ['ADMIN'], message: 'Ship it?', after: ['build'] },
        { id: 'ship', tool: 'core.echo', input: { shipped: '{{ steps.build.output.artifact }}' }, after: ['ok'] },
      ],
    });
    const started = await start(planId, { input: { artifact: 'v1.2.3' } });
    expect(started).toMatchObject({ status: 'RUNNING', mode: 'LIVE', planVersion: { number: 1 } });

    const stream = watch(wsStream(api.url, admin.token, EVENTS, { id: started.id, after: 0 }));
    await stream.until(has('approval.requested'));
    const gated = await read(started.id);
    expect(gated.status).toBe('WAITING_APPROVAL');
    const approval = gated.approvals[0];
    expect(approval).toMatchObject({ stepId: 'ok', status: 'PENDING', approvers: ['ADMIN'] });
    const pending = await admin.client.query<{ workspace: { approvals: { edges: { node: { id: string } }[] } } }>(
      gql`query Pending($slug: String!) { workspace(slug: $slug) { approvals(status: PENDING) { edges { node { id } } } } }`,
      { slug },
    );
    expect(pending.data?.workspace.approvals.edges.map((e) => e.node.id)).toContain(approval?.id);

    // CASL lets members decide approvals; this step's `approvers` does not.
    const refused = await member.client.mutate(DECIDE_APPROVAL, {
      input: { approvalId: approval?.id, approve: true, comment: 'me neither' },
    });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    expect((await read(started.id)).approvals[0]?.status).toBe('PENDING');

    const decided = await admin.client.mutate<{
      decideApproval: { approval: Record<string, unknown>; userErrors: unknown[] };
    }>(DECIDE_APPROVAL, { input: { approvalId: approval?.id, approve: true, comment: 'ship it' } });
    expect(decided.errors).toEqual([]);
    expect(decided.data?.decideApproval).toMatchObject({
      approval: { status: 'APPROVED', comment: 'ship it', decidedBy: { email: admin.email } },
      userErrors: [],
    });

    await stream.until(has('execution.succeeded'));
    const events = stream.items<Event>('executionEvents');
    expect(seqsOf(events)).toEqual(oneTo(events.length));
    expect(events.at(-1)?.type).toBe('execution.succeeded');
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['execution.started', 'step.succeeded', 'approval.requested', 'approval.decided']),
    );

    const done = await read(started.id);
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      input: { artifact: 'v1.2.3' },
      output: { ship: { shipped: 'v1.2.3' } },
      error: null,
    });
    expect(done.finishedAt).not.toBeNull();
    expect(done.steps.map((s) => [s.stepId, s.status])).toEqual(
      expect.arrayContaining([
        ['build', 'SUCCEEDED'],
        ['ok', 'SUCCEEDED'],
        ['ship', 'SUCCEEDED'],
      ]),
    );
    expect(seqsOf(done.events)).toEqual(seqsOf(events));
    // traceId is what tracing stored for the run.
    const traceId = randomBytes(16).toString('hex');
    await api.db.pools.owner.query('UPDATE executions SET trace_id = $1 WHERE id = $2', [
      traceId,
      parseTenantId(started.id, 'Execution').id,
    ]);
    expect((await read(started.id)).traceId).toBe(traceId);

    const audit = await admin.client.query<{
      workspace: {
        auditLog: { edges: { node: { action: string; targetId: string; actor: { email: string }; data: unknown } }[] };
      };
    }>(AUDIT_LOG, { slug });
    const actions = audit.data?.workspace.auditLog.edges.map((e) => e.node) ?? [];
    expect(actions.filter((a) => a.targetId === started.id).map((a) => a.action)).toEqual(['execution.start']);
    const decisions = actions.filter((a) => a.targetId === approval?.id);
    expect(decisions).toEqual([
      {
        action: 'approval.decide',
        targetId: approval?.id,
        actor: { email: admin.email },
        data: {
          before: { status: 'PENDING' },
          after: { status: 'APPROVED', comment: 'ship it', execution: started.id, executionStatus: 'RUNNING' },
        },
      },
    ]);
  });

  it('lists executions by status', async () => {
    const planId = await createPlan(APPROVAL_SPEC);
    const gated = await start(planId);
    await waitFor(gated.id, status('WAITING_APPROVAL'));
    const lists = await admin.client.query<{
      workspace: { waiting: { edges: { node: { id: string } }[] }; done: { edges: { node: { id: string } }[] } };
    }>(
      gql`query Lists($slug: String!) { workspace(slug: $slug) {
        waiting: executions(status: WAITING_APPROVAL) { edges { node { id } } }
        done: executions(status: SUCCEEDED) { edges { node { id } } } } }`,
      { slug },
    );
    expect(lists.data?.workspace.waiting.edges.map((e) => e.node.id)).toContain(gated.id);
    expect(lists.data?.workspace.done.edges.map((e) => e.node.id)).not.toContain(gated.id);
  });
});

describe('controls', () => {
  it('pauses (running steps finish, nothing new starts) and resumes from the checkpoint', async () => {
    const planId = await createPlan({
      steps: [
        { id: 'a', tool: 'core.sleep', input: { ms: 1500 } },
        { id: 'b', tool: 'core.echo', input: { after: 'a' }, after: ['a'] },
      ],
    });
    const run = await start(planId);
    await waitFor(run.id, (e) => e.events.some((ev) => ev.type === 'step.started'));
    const paused = await control(PAUSE_EXECUTION, run.id);
    expect(paused).toMatchObject({ execution: { status: 'PAUSED' }, userErrors: [] });
    const held = await waitFor(run.id, (e) => e.steps.find((s) => s.stepId === 'a')?.status === 'SUCCEEDED');
    await new Promise((r) => setTimeout(r, 300));
    const still = await read(run.id);
    expect(still.status).toBe('PAUSED');
    expect(still.steps.find((s) => s.stepId === 'b')?.status).toBe('PENDING');
    expect(held.status).toBe('PAUSED');

    const resumed = await control(RESUME_EXECUTION, run.id);
    expect(resumed.userErrors).toEqual([]);
    const done = await waitFor(run.id, status('SUCCEEDED'));
    expect(done.steps.find((s) => s.stepId === 'a')?.attempts).toBe(1);
    expect(done.events.map((e) => e.type)).toEqual(expect.arrayContaining(['execution.paused', 'execution.resumed']));

    // Wrong state is a userError, and nothing is written.
    const again = await control(RESUME_EXECUTION, run.id);
    expect(again).toEqual({
      execution: null,
      userErrors: [expect.objectContaining({ code: 'INVALID_STATE', field: ['id'] })],
    });
    expect((await read(run.id)).events).toHaveLength(done.events.length);

    // Each accepted control left one audit row with the status before and after; the refused one none.
    const audit = await admin.client.query<{
      workspace: { auditLog: { edges: { node: { action: string; targetId: string; data: unknown } }[] } };
    }>(AUDIT_LOG, { slug });
    const rows = (audit.data?.workspace.auditLog.edges ?? []).map((e) => e.node).filter((a) => a.targetId === run.id);
    expect(rows.reverse()).toEqual([
      { action: 'execution.start', targetId: run.id, actor: { email: admin.email }, data: expect.anything() },
      {
        action: 'execution.pause',
        targetId: run.id,
        actor: { email: admin.email },
        data: { before: { status: 'RUNNING' }, after: { status: 'PAUSED' } },
      },
      {
        action: 'execution.resume',
        targetId: run.id,
        actor: { email: admin.email },
        data: { before: { status: 'PAUSED' }, after: { status: 'RUNNING' } },
      },
    ]);
  });

  it('cancels a running step at once and ends with execution.cancelled', async () => {
    const planId = await createPlan({ steps: [{ id: 'long', tool: 'core.sleep', input: { ms: 60_000 } }] });
    const run = await start(planId);
    await waitFor(run.id, (e) => e.events.some((ev) => ev.type === 'step.started'));
    const cancelled = await control(CANCEL_EXECUTION, run.id);
    expect(cancelled).toMatchObject({ execution: { status: 'CANCELLED' }, userErrors: [] });
    const after = await read(run.id);
    expect(after.steps[0]?.status).toBe('CANCELLED');
    expect(after.events.at(-1)?.type).toBe('execution.cancelled');
    expect((await control(CANCEL_EXECUTION, run.id)).userErrors[0]?.code).toBe('INVALID_STATE');
    // A cancelled run is final: retry (re-run what failed) is refused, and nothing changes.
    const retried = await control(RETRY_EXECUTION, run.id);
    expect(retried.userErrors).toEqual([
      { code: 'INVALID_STATE', field: ['id'], message: expect.stringContaining('cancelled execution') },
    ]);
    const unchanged = await read(run.id);
    expect(unchanged.status).toBe('CANCELLED');
    expect(unchanged.steps[0]?.status).toBe('CANCELLED');
    expect(unchanged.events.at(-1)?.type).toBe('execution.cancelled');
  });

  it('retries only the failed step; its attempts go on counting', async () => {
    const planId = await createPlan({
      steps: [
        { id: 'first', tool: 'core.echo', input: { n: 1 } },
        { id: 'flaky', tool: 'core.fail', input: { message: 'boom', failTimes: 1 }, after: ['first'] },
      ],
    });
    const run = await start(planId);
    const failed = await waitFor(run.id, status('FAILED'));
    expect(failed.error).toContain('boom');
    const retried = await control(RETRY_EXECUTION, run.id);
    expect(retried.userErrors).toEqual([]);
    expect(retried.execution?.status).toBe('RUNNING');
    const done = await waitFor(run.id, status('SUCCEEDED'));
    const steps = Object.fromEntries(done.steps.map((s) => [s.stepId, s]));
    expect(steps.flaky).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: { ok: true } });
    expect(steps.first?.attempts).toBe(1);
    expect((await control(RETRY_EXECUTION, run.id)).userErrors[0]?.code).toBe('INVALID_STATE');
  });

  it('rolls back: compensates completed steps in reverse order', async () => {
    const planId = await createPlan({
      steps: [
        { id: 'reserve', tool: 'core.echo', input: { seat: 1 }, compensate: { tool: 'core.echo', input: { undo: 1 } } },
        {
          id: 'charge',
          tool: 'core.echo',
          input: { amount: 5 },
          after: ['reserve'],
          compensate: { tool: 'core.echo', input: { refund: 5 } },
        },
      ],
    });
    const run = await start(planId);
    await waitFor(run.id, status('SUCCEEDED'));
    const rolling = await control(ROLLBACK_EXECUTION, run.id);
    expect(rolling).toMatchObject({ execution: { status: 'ROLLING_BACK' }, userErrors: [] });
    const done = await waitFor(run.id, status('ROLLED_BACK'));
    expect(done.steps.every((s) => s.status === 'COMPENSATED')).toBe(true);
    const compensated = done.events.filter((e) => e.type === 'step.compensated').map((e) => e.stepId);
    expect(compensated).toEqual(['charge', 'reserve']);
    expect(done.events.at(-1)?.type).toBe('execution.rolled_back');
    expect((await control(ROLLBACK_EXECUTION, run.id)).userErrors[0]?.code).toBe('INVALID_STATE');
  });

  it('dry-runs with the plan’s mocks instead of the tool, and runs any saved version', async () => {
    const planId = await createPlan({
      steps: [{ id: 'charge', tool: 'core.fail', input: { message: 'a live run charges a card' } }],
      mocks: { charge: { charged: 'nothing' } },
    });
    const dry = await start(planId, { mode: 'DRY_RUN' });
    expect(dry.mode).toBe('DRY_RUN');
    const dryDone = await waitFor(dry.id, status('SUCCEEDED'));
    expect(dryDone.steps[0]).toMatchObject({ status: 'SUCCEEDED', output: { charged: 'nothing' } });
    const live = await start(planId);
    expect((await waitFor(live.id, status('FAILED'))).error).toContain('a live run charges a card');

    const updated = await admin.client.mutate(UPDATE_PLAN, {
      input: { planId, spec: { steps: [{ id: 'charge', tool: 'core.echo', input: { v: 2 } }] } },
    });
    expect(updated.errors).toEqual([]);
    expect((await start(planId)).planVersion.number).toBe(2);
    const v1 = await start(planId, { version: 1, mode: 'DRY_RUN' });
    expect(v1.planVersion.number).toBe(1);

    const before = await api.db.pools.owner.query('SELECT count(*) FROM executions');
    const missing = await admin.client.mutate<{ startExecution: Payload }>(START_EXECUTION, {
      input: { planId, version: 7 },
    });
    expect(missing.data?.startExecution).toMatchObject({
      execution: null,
      userErrors: [{ code: 'NOT_FOUND', field: ['version'] }],
    });
    expect((await api.db.pools.owner.query('SELECT count(*) FROM executions')).rows).toEqual(before.rows);
  });
});

/**
 * A status stream only carries changes made after it is attached, and a client cannot tell when
 * that is: start short runs until one of them shows up. Returns the ids of the runs started.
 */
async function startUntilSeen(stream: Stream): Promise<Set<string>> {
  const planId = await createPlan({ steps: [{ id: 'e', tool: 'core.echo', input: {} }] });
  const ids = new Set<string>();
  const seen = () => stream.items<{ id: string }>('workspaceExecutions').some((e) => ids.has(e.id));
  for (let i = 0; i < 30 && !seen(); i++) {
    ids.add((await start(planId)).id);
    await stream.until(seen, 300).catch(() => {});
  }
  expect(seen()).toBe(true);
  return ids;
}

describe('subscriptions', () => {
  const chain = {
    steps: [
      { id: 's1', tool: 'core.sleep', input: { ms: 150 } },
      { id: 's2', tool: 'core.sleep', input: { ms: 150 }, after: ['s1'] },
      { id: 's3', tool: 'core.sleep', input: { ms: 150 }, after: ['s2'] },
      { id: 's4', tool: 'core.sleep', input: { ms: 150 }, after: ['s3'] },
    ],
  };

  it('a subscriber that reconnects with afterSeq of the last event it saw loses nothing and sees nothing twice', async () => {
    const run = await start(await createPlan(chain));
    const first = wsStream(api.url, member.token, EVENTS, { id: run.id, after: 0 });
    await first.until((s) => s.items('executionEvents').length >= 3);
    first.close();
    const seen = first.items<Event>('executionEvents');
    const last = seen.at(-1)?.seq ?? 0;
    // Events go on while nobody listens.
    await waitFor(run.id, (e) => e.events.length > last + 1);
    const second = watch(wsStream(api.url, member.token, EVENTS, { id: run.id, after: last }));
    await second.until(has('execution.succeeded'));
    const rest = second.items<Event>('executionEvents');
    expect(rest[0]?.seq).toBe(last + 1);
    const all = [...seen, ...rest];
    expect(seqsOf(all)).toEqual(oneTo(all.length));
    expect(all.at(-1)?.type).toBe('execution.succeeded');
  });

  it('a client that leaves a quiet stream frees it at once, without waiting for the next event', async () => {
    // Nothing else streams or runs now: the earlier tests' streams are closed and their runs done.
    const run = await start(await createPlan(APPROVAL_SPEC));
    await waitFor(run.id, status('WAITING_APPROVAL'));
    const before = await openSubscriptions();
    const quiet = wsStream(api.url, member.token, EVENTS, { id: run.id, after: 0 });
    await quiet.until(has('approval.requested'));
    await expect.poll(openSubscriptions).toBe(before + 1);
    quiet.close();
    await expect.poll(openSubscriptions, { timeout: 3000 }).toBe(before);
    // Its server side is gone too: no more access re-checks (or anything else) on the database.
    await new Promise((r) => setTimeout(r, 300));
    expect(await appPoolCheckoutsDuring(2500)).toBe(0);
  });

  it('streams the same events over SSE', async () => {
    const run = await start(await createPlan(chain));
    const stream = watch(sseStream(api.url, member.token, EVENTS, { id: run.id, after: 0 }));
    await stream.until(has('execution.succeeded'));
    const events = stream.items<Event>('executionEvents');
    expect(seqsOf(events)).toEqual(oneTo(events.length));
    expect(seqsOf((await read(run.id)).events)).toEqual(seqsOf(events));
  });

  it('follows every status change of the workspace', async () => {
    const stream = watch(wsStream(api.url, member.token, STATUSES, { ws: workspaceId }));
    const ids = await startUntilSeen(stream);
    await stream.until((s) =>
      s
        .items<{ id: string; status: string }>('workspaceExecutions')
        .some((e) => ids.has(e.id) && e.status === 'SUCCEEDED'),
    );
  });

  it('a member removed from the workspace stops receiving within 5 s (FORBIDDEN ends the stream)', async () => {
    const leaving = await addMember('leaving');
    const run = await start(await createPlan({ steps: [{ id: 'long', tool: 'core.sleep', input: { ms: 60_000 } }] }));
    const stream = watch(wsStream(api.url, leaving.token, EVENTS, { id: run.id, after: 0 }));
    await stream.until(has('execution.started'));
    const removed = await admin.client.mutate(REMOVE_MEMBER, {
      input: { workspaceId, userId: leaving.id },
    });
    expect(removed.errors).toEqual([]);
    const t0 = Date.now();
    const ended = await stream.ended(10_000);
    expect(ended - t0).toBeLessThan(5000);
    expect(stream.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await control(CANCEL_EXECUTION, run.id);
  });

  it('a revoked API token stops receiving within 5 s over SSE (UNAUTHENTICATED ends the stream)', async () => {
    const created = await member.client.mutate<{ createApiToken: { token: string; apiToken: { id: string } } }>(
      CREATE_API_TOKEN,
      { input: { workspaceId, name: 'watcher' } },
    );
    const token = created.data?.createApiToken.token ?? '';
    const stream = watch(sseStream(api.url, token, STATUSES, { ws: workspaceId }));
    await startUntilSeen(stream);
    const revoked = await member.client.mutate(REVOKE_TOKEN, {
      input: { tokenId: created.data?.createApiToken.apiToken.id },
    });
    expect(revoked.errors).toEqual([]);
    const t0 = Date.now();
    const ended = await stream.ended(10_000);
    expect(ended - t0).toBeLessThan(5000);
    expect(stream.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe("another workspace's ids", () => {
  it('are NOT_FOUND, exactly like missing ones, through node and every execution mutation', async () => {
    const mallory = await signUpUser(new TestClient(api.url), 'mallory');
    const theirs = await mallory.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
      input: { slug: `elsewhere-${randomBytes(3).toString('hex')}`, name: 'Elsewhere' },
    });
    const theirWorkspace = theirs.data?.createWorkspace.workspace.id ?? '';
    const plan = await mallory.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
      input: { workspaceId: theirWorkspace, name: 'secret', spec: APPROVAL_SPEC },
    });
    const theirPlan = plan.data?.createPlan.plan.id ?? '';
    const theirRun = await start(theirPlan, {}, mallory.client);
    const theirApproval = (await read(theirRun.id, mallory.client)).approvals[0]?.id ?? '';
    expect(theirApproval).not.toBe('');

    const ownWorkspaceUuid =
      (await api.db.pools.owner.query<{ id: string }>('SELECT id FROM workspaces WHERE slug = $1', [slug])).rows[0]
        ?.id ?? '';
    const missingRun = encodeTenantId('Execution', ownWorkspaceUuid, randomUUID());
    const missingApproval = encodeTenantId('Approval', ownWorkspaceUuid, randomUUID());
    const missingPlan = encodeTenantId('Plan', ownWorkspaceUuid, randomUUID());

    const answers: unknown[] = [];
    for (const [executionId, approvalId, planId] of [
      [theirRun.id, theirApproval, theirPlan],
      [missingRun, missingApproval, missingPlan],
    ]) {
      const calls: [DocumentNode, Record<string, unknown>][] = [
        [EXECUTION, { id: executionId }],
        [EXECUTION, { id: approvalId }],
        [START_EXECUTION, { input: { planId } }],
        [PAUSE_EXECUTION, { input: { id: executionId } }],
        [RESUME_EXECUTION, { input: { id: executionId } }],
        [CANCEL_EXECUTION, { input: { id: executionId } }],
        [RETRY_EXECUTION, { input: { id: executionId } }],
        [ROLLBACK_EXECUTION, { input: { id: executionId } }],
        [DECIDE_APPROVAL, { input: { approvalId, approve: true } }],
      ];
      const results = [];
      for (const [doc, variables] of calls) {
        const isQuery = doc === EXECUTION;
        const r = isQuery ? await admin.client.query(doc, variables) : await admin.client.mutate(doc, variables);
        results.push({ codes: codes(r), message: r.errors[0]?.message });
      }
      answers.push(results);
    }
    expect(answers[0]).toEqual(answers[1]);
    expect((answers[0] as { codes: unknown[] }[]).every((a) => a.codes.join() === 'NOT_FOUND')).toBe(true);
    const untouched = await read(theirRun.id, mallory.client);
    expect(untouched.status).toBe('WAITING_APPROVAL');
    expect(untouched.approvals[0]?.status).toBe('PENDING');
  });
});
