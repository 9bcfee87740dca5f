import { signWebhook } from '@weft/api';
import type { TestUser } from '@weft/test-utils';
import { expect } from 'vitest';
import { CREATE_PLAN, CREATE_WEBHOOK, CREATE_WORKSPACE } from './operations.ts';

/** A webhook's id and its secret, as `createWebhook` shows it once. */
export interface Hook {
  id: string;
  secret: string;
}

/** A new workspace (as `admin`) holding one plan with `spec`, and a webhook that starts it. */
export async function createHookedPlan(admin: TestUser, slug: string, spec: object): Promise<Hook> {
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: slug },
  });
  const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(
    CREATE_PLAN,
    { input: { workspaceId: ws.data?.createWorkspace.workspace.id, name: slug, spec } },
  );
  expect(plan.data?.createPlan.userErrors).toEqual([]);
  const hook = await admin.client.mutate<{ createWebhook: { webhook: Hook } }>(CREATE_WEBHOOK, {
    input: { planId: plan.data?.createPlan.plan?.id },
  });
  const webhook = hook.data?.createWebhook.webhook;
  if (!webhook) throw new Error(JSON.stringify(hook));
  return webhook;
}

/** Delivers `input` to the webhook on the API at `apiUrl`, signed, and returns the started run's id. */
export async function startHookedRun(apiUrl: string, hook: Hook, input: unknown): Promise<string> {
  const body = JSON.stringify(input);
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await fetch(`${apiUrl}/hooks/${encodeURIComponent(hook.id)}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'weft-timestamp': ts,
      'weft-signature': signWebhook(hook.secret, ts, body),
    },
    body,
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { executionId: string }).executionId;
}
