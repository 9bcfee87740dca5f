// A failed step says why as data over the API (`StepRun.errorDetail`): its code, whether such a
// failure is retried, and the plugin's `cause`, which crosses the sandbox as capped data. The
// `error` string stays what it was.
import { gql } from '@apollo/client';
import { eventually, startTestApi, type TestApi, type TestUser } from '@weft/test-utils';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInlinePlugin } from './inline-plugin.ts';
import { CREATE_PLAN, START_EXECUTION } from './operations.ts';

const FAILING = `
import { definePlugin, defineTool, NonRetriableError, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: 'billing',
  version: '1.0.0',
  description: 'Fails the ways a real integration does',
  capabilities: [],
  tools: [
    defineTool({
      name: 'charge',
      description: 'refuses the charge, saying why underneath',
      input: Type.Object({}),
      run: async () => {
        const declined = new Error('card declined: ' + 'x'.repeat(5000));
        declined.name = 'PaymentError';
        declined.code = 'E_DECLINED';
        throw new NonRetriableError('charge refused', { cause: declined });
      },
    }),
    defineTool({
      name: 'export',
      description: 'returns more than a step may',
      input: Type.Object({}),
      run: async () => ({ rows: 'x'.repeat(1_500_000) }),
    }),
  ],
});
`;

const STEP_ERRORS = gql`
  query StepErrors($id: ID!) {
    node(id: $id) {
      ... on Execution {
        status
        steps {
          stepId
          status
          attempts
          error
          errorDetail { code message retriable cause { name code message } }
        }
      }
    }
  }
`;

interface StepRunResult {
  stepId: string;
  status: string;
  attempts: number;
  error: string | null;
  errorDetail: {
    code: string;
    message: string;
    retriable: boolean;
    cause: { name: string | null; code: string | null; message: string } | null;
  } | null;
}

let api: TestApi;
let user: TestUser;
let workspaceId: string;

/** Runs a one-step plan over the API and answers its step once the run has ended. */
async function failedStep(step: Record<string, unknown>): Promise<StepRunResult> {
  const created = await user.client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(
    CREATE_PLAN,
    { input: { workspaceId, name: `errors ${Math.random()}`, spec: { name: 'errors', steps: [step] } } },
  );
  expect(created.data?.createPlan.userErrors).toEqual([]);
  const started = await user.client.mutate<{ startExecution: { execution: { id: string } | null } }>(START_EXECUTION, {
    input: { planId: created.data?.createPlan.plan?.id },
  });
  const id = started.data?.startExecution.execution?.id ?? '';
  const run = await eventually(
    async () => {
      const r = await user.client.query<{ node: { status: string; steps: StepRunResult[] } }>(STEP_ERRORS, { id });
      const node = r.data?.node;
      return node !== undefined && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(node.status) ? node : undefined;
    },
    30_000,
    'the run to end',
  );
  expect(run.status).toBe('FAILED');
  const only = run.steps[0];
  if (only === undefined) throw new Error('no step');
  expect(only.status).toBe('FAILED');
  return only;
}

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  ({ user, workspaceId } = await installInlinePlugin(api, FAILING, 'step-errors'));
}, 120_000);
afterAll(() => api?.close());

describe('StepRun.errorDetail', () => {
  it("a plugin's non-retriable error fails at once and keeps its cause, capped", async () => {
    const step = await failedStep({ id: 'charge', tool: 'billing.charge', input: {}, retry: { maxAttempts: 3 } });
    expect(step.attempts).toBe(1);
    expect(step.error).toBe('billing.charge: charge refused');
    expect(step.errorDetail).toMatchObject({
      code: 'NON_RETRIABLE',
      message: 'billing.charge: charge refused',
      retriable: false,
      cause: { name: 'PaymentError', code: 'E_DECLINED' },
    });
    expect(step.errorDetail?.cause?.message).toMatch(/^card declined: x+$/);
    expect(step.errorDetail?.cause?.message.length).toBe(1000);
  });

  it('a step past its timeoutMs is a retriable TIMEOUT', async () => {
    const step = await failedStep({
      id: 'wait',
      tool: 'core.sleep',
      input: { ms: 20_000 },
      timeoutMs: 200,
      retry: { maxAttempts: 2, backoff: 'fixed', delayMs: 10 },
    });
    expect(step.attempts).toBe(2);
    expect(step.errorDetail).toEqual({
      code: 'TIMEOUT',
      message: 'step "wait" timed out after 200 ms',
      retriable: true,
      cause: null,
    });
    expect(step.error).toBe(step.errorDetail?.message);
  });

  it('an output over the limit is OUTPUT_TOO_LARGE and not retried', async () => {
    const step = await failedStep({ id: 'export', tool: 'billing.export', input: {}, retry: { maxAttempts: 3 } });
    expect(step.attempts).toBe(1);
    expect(step.errorDetail).toMatchObject({ code: 'OUTPUT_TOO_LARGE', retriable: false, cause: null });
    expect(step.errorDetail?.message).toMatch(/billing\.export: .*(larger|limit)/);
  });
});
