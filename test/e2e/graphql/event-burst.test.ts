import { randomBytes } from 'node:crypto';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CREATE_PLAN, CREATE_WORKSPACE, DECIDE_APPROVAL, EXECUTION, START_EXECUTION } from './operations.ts';
import type { Stream, WsConnection } from './streams.ts';
import { wsConnection } from './streams.ts';

// A burst of events (a long chain of no-op steps released at once by an approval) to several
// graphql-ws subscribers, several per socket, with different selections: the fan-out shares
// results and batches each socket's writes, and still every subscriber must get every event once,
// in order, and a subscriber joining mid-burst with `afterSeq` must continue exactly after it.

const STEPS = 60;
const SOCKETS = 4;
const LEAN = `subscription($id: ID!, $after: Int) { executionEvents(executionId: $id, afterSeq: $after) { seq type } }`;
const FULL = `subscription($id: ID!, $after: Int) {
  executionEvents(executionId: $id, afterSeq: $after) { seq type stepId data }
}`;

interface Event {
  seq: number;
  type: string;
  stepId?: string | null;
  data?: unknown;
}

let api: TestApi;
let user: TestUser;
let workspaceId: string;
const connections: WsConnection[] = [];

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  user = await signUpUser(new TestClient(api.url), 'burst');
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: `burst-${randomBytes(3).toString('hex')}`, name: 'Burst' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
});
afterAll(async () => {
  for (const c of connections) c.close();
  await api?.close();
});

function connect(): WsConnection {
  const connection = wsConnection(api.url, user.token);
  connections.push(connection);
  return connection;
}

const events = (s: Stream) => s.items<Event>('executionEvents');
const ended = (s: Stream) => events(s).some((e) => e.type === 'execution.succeeded');

it('a burst reaches every subscriber complete, in order, once, and afterSeq resumes mid-burst', async () => {
  const steps: Record<string, unknown>[] = [{ id: 'gate', type: 'approval', message: 'go?' }];
  for (let i = 0; i < STEPS; i++) {
    steps.push({ id: `s${i}`, tool: 'core.echo', input: { i }, after: [i === 0 ? 'gate' : `s${i - 1}`] });
  }
  const plan = await user.client.mutate<{ createPlan: { plan: { id: string } | null } }>(CREATE_PLAN, {
    input: { workspaceId, name: 'burst', spec: { name: 'burst', steps } },
  });
  const started = await user.client.mutate<{ startExecution: { execution: { id: string } | null } }>(START_EXECUTION, {
    input: { planId: plan.data?.createPlan.plan?.id },
  });
  const runId = started.data?.startExecution.execution?.id ?? '';
  expect(runId).not.toBe('');

  // Per socket: two subscriptions with one selection (their results are shared) and one with
  // another selection; all from the start.
  const streams: Stream[] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const c = connect();
    streams.push(c.subscribe(LEAN, { id: runId, after: 0 }));
    streams.push(c.subscribe(LEAN, { id: runId, after: 0 }));
    streams.push(c.subscribe(FULL, { id: runId, after: 0 }));
  }
  for (const s of streams) await s.until((x) => events(x).some((e) => e.type === 'approval.requested'));

  const gated = await user.client.query<{ node: { approvals: { id: string }[] } }>(EXECUTION, { id: runId });
  const approvalId = gated.data?.node.approvals[0]?.id;
  const decided = await user.client.mutate<{ decideApproval: { userErrors: unknown[] } }>(DECIDE_APPROVAL, {
    input: { approvalId, approve: true },
  });
  expect(decided.data?.decideApproval.userErrors).toEqual([]);

  // Joins while the burst goes on, on a socket that already carries a subscription, resuming
  // after an event it claims to have seen.
  const first = streams[0] as Stream;
  await first.until((x) => events(x).length >= 20);
  const resumeAfter = 10;
  const late = connect().subscribe(LEAN, { id: runId, after: resumeAfter });

  for (const s of [...streams, late]) await s.until(ended, 30_000);

  const stored = await user.client.query<{ node: { events: Event[] } }>(EXECUTION, { id: runId });
  const all = stored.data?.node.events ?? [];
  // Two events per step at least (started, succeeded): a real burst, not a trickle.
  expect(all.length).toBeGreaterThan(2 * STEPS);
  const expected = all.map((e) => ({ seq: e.seq, type: e.type }));
  expect(expected.map((e) => e.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
  for (const s of streams) {
    expect(events(s).map((e) => ({ seq: e.seq, type: e.type }))).toEqual(expected);
    expect(s.results.every((r) => r.errors === undefined)).toBe(true);
  }
  // The full selection carries the same step ids and data as the stored events.
  for (const s of streams.filter((_, i) => i % 3 === 2)) {
    expect(events(s)).toEqual(all.map((e) => ({ seq: e.seq, type: e.type, stepId: e.stepId, data: e.data })));
  }
  expect(events(late).map((e) => ({ seq: e.seq, type: e.type }))).toEqual(expected.slice(resumeAfter));
});
