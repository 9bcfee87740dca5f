import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import { draftPlan } from '../draft-plan.ts';
import { PlannerErrorCode } from '../errors.ts';
import { catalogueValidator, loadEvalFixtures } from '../eval/evaluate.ts';
import { CONFIDENCE_THRESHOLD } from './confidence.ts';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/planner/', import.meta.url));
let tools: ToolCatalogueEntry[] = [];
beforeAll(async () => {
  tools = (await loadEvalFixtures(FIXTURES)).tools;
});

const plan = (request: string) => draftPlan({ request, tools, validate: catalogueValidator(tools) });

describe('deterministic planner confidence', () => {
  it('refuses a request that only shares a word with a tool, naming the words it cannot use', async () => {
    // "fetch" names http.request, but the request is about children: a plan would fetch nothing useful.
    const result = await plan('Fetch my kids from school');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(PlannerErrorCode.NEEDS_LLM);
    expect(result.error.message).toContain('http.request');
    expect(result.error.message).toContain('"kids", "school"');
  });

  it('refuses when two tools match the same words equally, instead of picking one by rank', async () => {
    // "look at" is not "look up": only "key" and "context" match, and they match get and set alike.
    const result = await plan('Look at key region in the context');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(PlannerErrorCode.NEEDS_LLM);
    expect(result.error.message).toContain('about equally');
  });

  it('still plans requests whose words the tools account for, and says how sure it is', async () => {
    const sleep = await plan('wait 5 seconds');
    expect(sleep.ok && sleep.confidence).toBe(1);
    const echo = await plan('echo hello then wait 1 second');
    expect(echo.ok).toBe(true);
    if (!echo.ok) return;
    expect(echo.confidence).toBeGreaterThanOrEqual(CONFIDENCE_THRESHOLD);
    expect(echo.explanation).toMatch(/confidence \d\.\d\d/);
    // A model's prompt takes the whole instruction: its topic words are not unexplained.
    const llm = await plan('Ask the model to write a haiku about autumn');
    expect(llm.ok && llm.spec.steps.map((s) => s.tool)).toEqual(['llm.complete']);
  });

  it('keeps a plan only as sure as its weakest clause', async () => {
    const result = await plan('wait 5 seconds, then fetch my kids from school');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain('"fetch my kids from school"');
  });
});
