import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { baseToolName, type ToolCatalogueEntry } from '../catalogue.ts';
import { draftPlan } from '../draft-plan.ts';
import type { LlmConfig, ValidatePlan } from '../types.ts';

/** One request of the evaluation set and what a correct answer uses. */
export interface EvalCase {
  request: string;
  /** The set of tools a correct plan uses, no more and no fewer. */
  tools: string[];
  /** Nothing in the catalogue can do it: the correct answer is a refusal. */
  needsLlm?: boolean;
  /** Per tool: input values that some step calling it must have (other fields are free). */
  inputs?: Record<string, Record<string, unknown>>;
}

export interface EvalOutcome {
  request: string;
  correct: boolean;
  expected: string[];
  /** Tools the plan used, or the error code. */
  got: string[] | string;
}

export interface EvalReport {
  planner: 'llm' | 'deterministic';
  total: number;
  correct: number;
  accuracy: number;
  outcomes: EvalOutcome[];
}

/** Reads `catalogue.json` and `requests.json` from a fixture folder. */
export async function loadEvalFixtures(dir: string): Promise<{ tools: ToolCatalogueEntry[]; cases: EvalCase[] }> {
  const catalogue = JSON.parse(await readFile(join(dir, 'catalogue.json'), 'utf8')) as { tools: ToolCatalogueEntry[] };
  const requests = JSON.parse(await readFile(join(dir, 'requests.json'), 'utf8')) as { cases: EvalCase[] };
  return { tools: catalogue.tools, cases: requests.cases };
}

/** Drafts every case and scores it: the plan must validate and use exactly the expected tools. */
export async function evaluatePlanner(
  cases: EvalCase[],
  tools: ToolCatalogueEntry[],
  validate: ValidatePlan,
  llm: LlmConfig | null = null,
): Promise<EvalReport> {
  const outcomes: EvalOutcome[] = [];
  for (const c of cases) {
    const result = await draftPlan({ request: c.request, tools, validate, llm });
    const expected = [...new Set(c.tools)].sort();
    if (!result.ok) {
      // A refusal is right only as a judgement about the tools; a provider failure never is.
      const refused = ['NEEDS_LLM', 'NO_SUITABLE_TOOLS', 'PLAN_INVALID'].includes(result.error.code);
      outcomes.push({ request: c.request, correct: c.needsLlm === true && refused, expected, got: result.error.code });
      continue;
    }
    const used = [...new Set(result.spec.steps.flatMap((s) => (s.tool ? [baseToolName(s.tool)] : [])))].sort();
    const inputsMatch = Object.entries(c.inputs ?? {}).every(([tool, want]) =>
      result.spec.steps.some(
        (s) =>
          s.tool !== undefined &&
          baseToolName(s.tool) === tool &&
          Object.entries(want).every(([k, v]) => isDeepStrictEqual(s.input?.[k], v)),
      ),
    );
    const correct =
      !c.needsLlm && inputsMatch && used.length === expected.length && used.every((t, i) => t === expected[i]);
    outcomes.push({ request: c.request, correct, expected, got: used });
  }
  const correct = outcomes.filter((o) => o.correct).length;
  return {
    planner: llm ? 'llm' : 'deterministic',
    total: outcomes.length,
    correct,
    accuracy: outcomes.length === 0 ? 0 : correct / outcomes.length,
    outcomes,
  };
}
