import { join } from 'node:path';
import { REPO_ROOT } from '@weft/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import { draftPlan } from '../draft-plan.ts';
import { catalogueValidator, loadEvalFixtures } from '../eval/evaluate.ts';
import type { DraftPlanResult } from '../types.ts';
import { waitLimitMs } from './time-steps.ts';

let tools: ToolCatalogueEntry[] = [];
beforeAll(async () => {
  tools = (await loadEvalFixtures(join(REPO_ROOT, 'test/fixtures/planner'))).tools;
});

async function plan(request: string, catalogue = tools): Promise<DraftPlanResult> {
  return draftPlan({ request, tools: catalogue, validate: catalogueValidator(catalogue) });
}

function ok(result: DraftPlanResult) {
  if (!result.ok) throw new Error(`expected a plan, got ${result.error.code}: ${result.error.message}`);
  return result;
}

describe('time in requests, without an LLM', () => {
  it('the README example: the rhythm becomes a schedule suggestion, the work becomes the plan', async () => {
    const result = ok(await plan('Every Monday at 9, fetch https://billing.example.com/invoices?status=open'));
    expect(result.schedule).toMatchObject({ cron: '0 9 * * 1', timezone: 'UTC' });
    expect(result.schedule?.nextRuns).toHaveLength(3);
    expect(result.spec.steps.map((s) => s.tool)).toEqual(['http.request']);
    expect(result.explanation).toContain('cron "0 9 * * 1"');
  });

  it('a wait longer than core.sleep may hold becomes a durable sleep step', async () => {
    const limit = waitLimitMs(tools.find((t) => t.name === 'core.sleep') as ToolCatalogueEntry);
    expect(limit).not.toBeNull();
    const result = ok(await plan('Sleep for 2 hours, then send a GET to https://example.com/cron'));
    expect(result.spec.steps[0]).toEqual({ id: 'sleep', type: 'sleep', durationMs: 7_200_000 });
    expect(result.spec.steps[1]).toMatchObject({ tool: 'http.request', after: ['sleep'] });
  });

  it('a short wait stays a core.sleep call', async () => {
    const result = ok(await plan('wait 5 seconds'));
    expect(result.spec.steps).toEqual([{ id: 'sleep', tool: 'core.sleep', input: { ms: 5000 } }]);
  });

  it('"wait until <date-time>" sleeps until then', async () => {
    const result = ok(await plan('wait until 2027-01-04T09:00:00Z, then echo "new year"'));
    expect(result.spec.steps[0]).toEqual({ id: 'sleep', type: 'sleep', until: '2027-01-04T09:00:00Z' });
  });

  it('"when the … event arrives" waits for that event, and the next step reads its data', async () => {
    const result = ok(await plan('When the invoice.paid event arrives, echo it'));
    expect(result.spec.steps[0]).toEqual({ id: 'wait', type: 'wait', event: 'invoice.paid' });
    expect(JSON.stringify(result.spec.steps[1]?.input)).toContain('steps.wait.output');
  });

  it('a schedule with nothing to do is a refusal, not an empty plan', async () => {
    const result = await plan('every Monday at 9');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('NEEDS_LLM');
  });
});
