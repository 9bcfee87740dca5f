import {
  createTestDatabase,
  type ServerProcess,
  startServerProcess,
  TEST_SECRET_KEY,
  type TestDatabase,
} from '@weft/test-utils';

// What the run page's browser test and its API test share: a real API process with in-process
// workers (runs really execute), a workspace with an admin (Alice) and a viewer (Bob), and two plans.
export const PASSWORD = 'correct horse battery staple';

export interface RunFixture {
  db: TestDatabase;
  server: ServerProcess;
  alice: string;
  bob: string;
  workspaceId: string;
  /** wait (4 s) → flaky (fails its first attempt, logs why, succeeds on retry) → done (echo). */
  flakyPlanId: string;
  /** An approval gate, then an echo: stays WAITING_APPROVAL. */
  gatePlanId: string;
  graphql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T>;
  /** The error code of a request expected to fail. */
  errorCode(query: string, variables: Record<string, unknown>, token: string): Promise<string | undefined>;
  signUp(email: string): Promise<string>;
  start(planId: string, input: unknown): Promise<string>;
  statusOf(id: string): Promise<string>;
  stop(): Promise<void>;
}

export const RUN_STATUS = 'query($id: ID!) { node(id: $id) { ... on Execution { status input } } }';

export async function startRunFixture(): Promise<RunFixture> {
  const db = await createTestDatabase();
  const server = await startServerProcess({
    env: { DATABASE_URL: db.ownerUrl, SECRET_KEY: TEST_SECRET_KEY, WORKERS: '2' },
  });
  async function post(query: string, variables: Record<string, unknown>, token?: string) {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  }
  async function graphql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
    const body = await post(query, variables, token);
    if (body.data === undefined || body.data === null || body.errors !== undefined) {
      throw new Error(`GraphQL failed: ${JSON.stringify(body)}`);
    }
    return body.data as T;
  }
  const errorCode = async (query: string, variables: Record<string, unknown>, token: string) =>
    (await post(query, variables, token)).errors?.[0]?.extensions?.code;
  const signUp = async (email: string) =>
    (
      await graphql<{ signUp: { token: string } }>(
        'mutation($input: SignUpInput!) { signUp(input: $input) { token } }',
        {
          input: { email, password: PASSWORD, name: email.split('@')[0] },
        },
      )
    ).signUp.token;

  const alice = await signUp('alice@example.com');
  const bob = await signUp('bob@example.com');
  const ws = await graphql<{ createWorkspace: { workspace: { id: string } } }>(
    'mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } } }',
    { input: { slug: 'acme', name: 'Acme' } },
    alice,
  );
  const workspaceId = ws.createWorkspace.workspace.id;
  await graphql(
    'mutation($input: AddMemberInput!) { addMember(input: $input) { userErrors { message } } }',
    { input: { workspaceId, email: 'bob@example.com', role: 'VIEWER' } },
    alice,
  );
  const createPlan = async (name: string, spec: unknown) =>
    (
      await graphql<{ createPlan: { plan: { id: string } } }>(
        'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { message } } }',
        { input: { workspaceId, name, spec } },
        alice,
      )
    ).createPlan.plan.id;
  const flakyPlanId = await createPlan('Flaky', {
    steps: [
      { id: 'wait', tool: 'core.sleep', input: { ms: 4000 } },
      {
        id: 'flaky',
        tool: 'core.fail',
        input: { message: 'the upstream said no', failTimes: 1 },
        after: ['wait'],
        retry: { maxAttempts: 3, delayMs: 100 },
      },
      { id: 'done', tool: 'core.echo', input: { text: '{{ input.text }}' }, after: ['flaky'] },
    ],
  });
  const gatePlanId = await createPlan('Gate', {
    steps: [
      { id: 'ok', type: 'approval', message: 'Go on?' },
      { id: 'after', tool: 'core.echo', input: {}, after: ['ok'] },
    ],
  });
  const start = async (planId: string, input: unknown) =>
    (
      await graphql<{ startExecution: { execution: { id: string } } }>(
        'mutation($input: StartExecutionInput!) { startExecution(input: $input) { execution { id } userErrors { message } } }',
        { input: { planId, input } },
        alice,
      )
    ).startExecution.execution.id;
  const statusOf = async (id: string) =>
    (await graphql<{ node: { status: string } }>(RUN_STATUS, { id }, alice)).node.status;
  return {
    db,
    server,
    alice,
    bob,
    workspaceId,
    flakyPlanId,
    gatePlanId,
    graphql,
    errorCode,
    signUp,
    start,
    statusOf,
    async stop() {
      await server.stop();
      await db.drop();
    },
  };
}
