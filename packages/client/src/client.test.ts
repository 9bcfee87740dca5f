/** The client against a real API over HTTP and graphql-ws, including a dropped event stream. */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { startTestApi, type TestApi } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WeftClient } from './client.ts';
import { GraphQLRequestError, UserInputError } from './errors.ts';
import {
  CreatePlanDocument,
  CreateWorkspaceDocument,
  type EventFieldsFragment,
  ExecutionDocument,
  SignUpDocument,
  StartExecutionDocument,
  ViewerDocument,
} from './generated/operations.ts';

let api: TestApi;
let client: WeftClient;
let workspaceId: string;

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1' } });
  const anonymous = new WeftClient({ url: api.url });
  const signUp = await anonymous.mutate(SignUpDocument, 'signUp', {
    input: { email: `client-${Date.now()}@example.com`, password: 'correct horse battery', name: 'client' },
  });
  client = anonymous.withToken(signUp.token ?? '');
  const created = await client.mutate(CreateWorkspaceDocument, 'createWorkspace', {
    input: { slug: `client-${Date.now()}`, name: 'Client' },
  });
  workspaceId = created.workspace?.id ?? '';
});

afterAll(async () => {
  await api?.close();
});

async function startSleeps(count: number): Promise<string> {
  const steps = Array.from({ length: count }, (_, i) => ({
    id: `s${i}`,
    tool: 'core.sleep',
    input: { ms: 150 },
    ...(i > 0 ? { after: [`s${i - 1}`] } : {}),
  }));
  const plan = await client.mutate(CreatePlanDocument, 'createPlan', {
    input: { workspaceId, name: `sleeps-${count}-${Date.now()}`, spec: { steps } },
  });
  const started = await client.mutate(StartExecutionDocument, 'startExecution', {
    input: { planId: plan.plan?.id ?? '' },
  });
  return started.execution?.id ?? '';
}

it('reads typed data and turns GraphQL errors and userErrors into typed errors', async () => {
  const { viewer } = await client.request(ViewerDocument);
  expect(viewer?.memberships.map((m) => m.role)).toEqual(['ADMIN']);

  const signedOut = new WeftClient({ url: api.url });
  const refused = await signedOut
    .mutate(CreatePlanDocument, 'createPlan', { input: { workspaceId, name: 'x', spec: { steps: [] } } })
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(GraphQLRequestError);
  expect((refused as GraphQLRequestError).code).toBe('UNAUTHENTICATED');

  const invalid = await client
    .mutate(CreatePlanDocument, 'createPlan', {
      input: { workspaceId, name: 'bad', spec: { steps: [{ id: 'a', tool: 'no.such.tool' }] } },
    })
    .catch((e: unknown) => e);
  expect(invalid).toBeInstanceOf(UserInputError);
  expect((invalid as UserInputError).userErrors[0]?.field).toEqual(['spec', 'steps', '0', 'tool']);
});

it('follows a run to its terminal event, each event once and in order', async () => {
  const id = await startSleeps(2);
  const events: EventFieldsFragment[] = [];
  for await (const event of client.follow(id)) events.push(event);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.at(-1)?.type).toBe('execution.succeeded');
  const { node } = await client.request(ExecutionDocument, { id });
  expect(node && 'status' in node ? node.status : null).toBe('SUCCEEDED');
});

/** A TCP relay to the API whose open connections the test can cut, as a flaky network would. */
async function startRelay(target: URL): Promise<{ url: string; cut(): void; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection(Number(target.port), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no relay port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

it('resumes after a dropped connection with afterSeq: no event lost, none repeated', async () => {
  const relay = await startRelay(new URL(api.url));
  try {
    const viaRelay = new WeftClient({ url: relay.url, token: client.token });
    const id = await startSleeps(4);
    const reconnects: number[] = [];
    const events: EventFieldsFragment[] = [];
    for await (const event of viaRelay.follow(id, { onReconnect: (after) => reconnects.push(after) })) {
      events.push(event);
      // Cut the socket right after the first step starts: later events arrive on a new connection.
      if (event.type === 'step.started' && reconnects.length === 0) relay.cut();
    }
    expect(reconnects.length).toBeGreaterThanOrEqual(1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'step.succeeded').map((e) => e.stepId)).toEqual(['s0', 's1', 's2', 's3']);
    expect(events.at(-1)?.type).toBe('execution.succeeded');
  } finally {
    relay.cut();
    relay.server.close();
  }
});
