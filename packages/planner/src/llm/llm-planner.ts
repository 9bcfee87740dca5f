import type { PlanIssue, PlanSpec } from '@weft/engine';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import { type PlannerError, PlannerErrorCode, plannerError } from '../errors.ts';
import type { ScheduleSuggestion } from '../schedule-phrase.ts';
import type { LlmConfig, PlannerHints, TokenUsage, ValidatePlan } from '../types.ts';
import { completePlan, createClient, LLM_DEFAULTS } from './chat.ts';
import { readModelPlan } from './model-plan.ts';
import { initialMessages, repairMessages } from './prompt.ts';

export type LlmDraft =
  | {
      ok: true;
      spec: PlanSpec;
      explanation: string;
      schedule: ScheduleSuggestion | null;
      attempts: number;
      usage: TokenUsage;
    }
  | { ok: false; error: PlannerError; attempts: number; usage: TokenUsage };

/**
 * Asks the model for a plan; when the answer does not validate, sends the issues back and asks
 * again, at most `maxRepairs` times.
 */
export async function draftWithLlm(
  config: LlmConfig,
  request: string,
  tools: ToolCatalogueEntry[],
  validate: ValidatePlan,
  hints?: PlannerHints,
  signal?: AbortSignal,
): Promise<LlmDraft> {
  const client = createClient(config);
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, requests: 0 };
  const maxRepairs = config.maxRepairs ?? LLM_DEFAULTS.maxRepairs;
  const messages = initialMessages(request, tools, hints);
  let lastIssues: PlanIssue[] = [];
  for (let attempt = 1; attempt <= maxRepairs + 1; attempt++) {
    const answer = await completePlan(client, config, messages, usage, signal);
    if (!answer.ok) return { ok: false, error: answer.error, attempts: attempt, usage };
    const read = readModelPlan(answer.content);
    if (read.ok && read.spec.steps.length === 0) {
      const error = plannerError(
        PlannerErrorCode.NO_SUITABLE_TOOLS,
        `the model found no tools for this request: ${read.explanation || 'no reason given'}`,
      );
      return { ok: false, error, attempts: attempt, usage };
    }
    const issues = read.ok ? await validate(read.spec) : read.issues;
    if (read.ok && issues.length === 0)
      return {
        ok: true,
        spec: read.spec,
        explanation: read.explanation,
        schedule: read.schedule,
        attempts: attempt,
        usage,
      };
    lastIssues = issues;
    messages.push(...repairMessages(answer.content, issues));
  }
  const attempts = maxRepairs + 1;
  const first = lastIssues[0];
  const summary = first ? ` (first: ${first.path.join('.') || 'plan'}: ${first.message})` : '';
  return {
    ok: false,
    error: plannerError(
      PlannerErrorCode.PLAN_INVALID,
      `the model's plan still had ${lastIssues.length} validation issue(s) after ${attempts} attempts${summary}`,
      lastIssues,
    ),
    attempts,
    usage,
  };
}
