import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type StepSpec, type ToolDefinition, validatePlanSpec } from '@weft/engine';
import { baseToolName, type ToolCatalogueEntry } from '../catalogue.ts';
import { draftPlan } from '../draft-plan.ts';
import type { LlmConfig, ValidatePlan } from '../types.ts';

/** One request of the evaluation set and what a correct answer uses. */
export interface EvalCase {
  request: string;
  /**
   * The set of tools a correct plan uses, no more and no fewer; steps that call no tool count by
   * their kind with an `@` (`@sleep`, `@wait`, `@plan`, `@map`). Approvals are not counted.
   */
  tools: string[];
  /** Nothing in the catalogue can do it: the correct answer is a refusal. */
  needsLlm?: boolean;
  /** Per tool: input values that some step calling it must have (other fields are free); per `@kind`: step fields. */
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
  /** Plans returned (not refusals). */
  plans: number;
  /** Right plans among them. */
  rightPlans: number;
  /** Cases that have a right plan (not `needsLlm`). */
  answerable: number;
  /** Right plans / plans returned: how far a returned plan can be trusted (1 when none returned). */
  precision: number;
  /** Right plans / cases that have a right plan: how often the planner helps. */
  recall: number;
  /** Cases marked `needsLlm` that were refused, of all such cases. */
  refusals: { right: number; of: number };
  outcomes: EvalOutcome[];
}

export interface EvalFixtures {
  tools: ToolCatalogueEntry[];
  /** `requests.json`: the set the planner's matcher and confidence threshold are tuned on. */
  cases: EvalCase[];
  /**
   * `requests.heldout.json`: written before tuning and never tuned on, so its scores say how the
   * planner does on phrasings nobody adjusted it for. Do not change the planner to pass a case here.
   */
  heldOut: EvalCase[];
}

/** Reads `catalogue.json`, `requests.json` and the held-out `requests.heldout.json` from a fixture folder. */
export async function loadEvalFixtures(dir: string): Promise<EvalFixtures> {
  const read = async <T>(file: string): Promise<T> => JSON.parse(await readFile(join(dir, file), 'utf8')) as T;
  const catalogue = await read<{ tools: ToolCatalogueEntry[] }>('catalogue.json');
  const tuning = await read<{ cases: EvalCase[] }>('requests.json');
  const heldOut = await read<{ cases: EvalCase[] }>('requests.heldout.json');
  return { tools: catalogue.tools, cases: tuning.cases, heldOut: heldOut.cases };
}

/**
 * The engine's own plan validation (`validatePlanSpec`) over a catalogue, so the evaluation counts
 * as valid exactly what a workspace with these tools would accept. The tools are never run.
 */
export function catalogueValidator(tools: readonly ToolCatalogueEntry[]): ValidatePlan {
  const definitions: ToolDefinition[] = tools.map((t) => ({
    name: t.name,
    version: '1.0.0',
    description: t.description,
    inputSchema: t.inputSchema,
    ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}),
    ...(t.provides ? { provides: t.provides } : {}),
    run: () => Promise.reject(new Error('the planner evaluation validates plans; it never runs a tool')),
  }));
  return async (spec) => validatePlanSpec(spec, definitions).issues;
}

/** What a step counts as in `EvalCase.tools`: its tool, or `@kind` for a step that calls none. */
function usedBy(step: StepSpec): string[] {
  if (step.tool !== undefined && step.type !== 'map') return [baseToolName(step.tool)];
  if (step.type === undefined || step.type === 'tool' || step.type === 'approval') return [];
  return [`@${step.type}`];
}

/** Drafts every case and scores it: the plan must validate and use exactly the expected tools. */
export async function evaluatePlanner(
  cases: EvalCase[],
  tools: ToolCatalogueEntry[],
  validate: ValidatePlan,
  llm: LlmConfig | null = null,
): Promise<EvalReport> {
  const outcomes: EvalOutcome[] = [];
  let plans = 0;
  for (const c of cases) {
    const result = await draftPlan({ request: c.request, tools, validate, llm });
    const expected = [...new Set(c.tools)].sort();
    if (!result.ok) {
      // A refusal is right only as a judgement about the tools; a provider failure never is.
      const refused = ['NEEDS_LLM', 'NO_SUITABLE_TOOLS', 'PLAN_INVALID'].includes(result.error.code);
      outcomes.push({ request: c.request, correct: c.needsLlm === true && refused, expected, got: result.error.code });
      continue;
    }
    plans++;
    const used = [...new Set(result.spec.steps.flatMap(usedBy))].sort();
    const inputsMatch = Object.entries(c.inputs ?? {}).every(([tool, want]) =>
      result.spec.steps.some((s) => {
        if (!usedBy(s).includes(tool)) return false;
        const fields: Record<string, unknown> = tool.startsWith('@') ? { ...s } : (s.input ?? {});
        return Object.entries(want).every(([k, v]) => isDeepStrictEqual(fields[k], v));
      }),
    );
    const correct =
      !c.needsLlm && inputsMatch && used.length === expected.length && used.every((t, i) => t === expected[i]);
    outcomes.push({ request: c.request, correct, expected, got: used });
  }
  const correct = outcomes.filter((o) => o.correct).length;
  const rightPlans = outcomes.filter((o) => o.correct && Array.isArray(o.got)).length;
  const answerable = cases.filter((c) => !c.needsLlm).length;
  const refusable = cases.filter((c) => c.needsLlm).length;
  return {
    planner: llm ? 'llm' : 'deterministic',
    total: outcomes.length,
    correct,
    accuracy: outcomes.length === 0 ? 0 : correct / outcomes.length,
    plans,
    rightPlans,
    answerable,
    // No plan returned means none was wrong: precision is about trusting what is returned.
    precision: plans === 0 ? 1 : rightPlans / plans,
    recall: answerable === 0 ? 1 : rightPlans / answerable,
    refusals: { right: correct - rightPlans, of: refusable },
    outcomes,
  };
}
