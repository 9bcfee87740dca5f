import { draftDeterministic } from './deterministic/deterministic-planner.ts';
import { PlannerErrorCode, plannerError } from './errors.ts';
import { draftWithLlm } from './llm/llm-planner.ts';
import { addLlmTokens, checkLlmQuota } from './llm-quota.ts';
import { extractSchedule } from './schedule-phrase.ts';
import type { DraftPlanOptions, DraftPlanResult, LlmConfig } from './types.ts';
import { recordPlannerUsage } from './usage-store.ts';

/** Longest request we send anywhere; longer ones are refused rather than truncated. */
export const MAX_REQUEST_LENGTH = 4000;

/**
 * Drafts a plan for a natural-language request: with an LLM key, the model plans (repairing
 * invalid answers); without one, the deterministic planner does, or says the request needs an LLM.
 * Every returned spec has passed `validate`. Expected failures are values (`ok: false`).
 */
export async function draftPlan(options: DraftPlanOptions): Promise<DraftPlanResult> {
  const request = options.request.trim();
  const planner = options.llm?.apiKey ? 'llm' : 'deterministic';
  if (request.length === 0)
    return fail(planner, PlannerErrorCode.BAD_REQUEST, 'the request is empty: say what the plan should do');
  if (request.length > MAX_REQUEST_LENGTH)
    return fail(planner, PlannerErrorCode.BAD_REQUEST, `the request is longer than ${MAX_REQUEST_LENGTH} characters`);

  if (!options.llm?.apiKey) {
    // "every Monday at 9, …": the rhythm becomes a schedule suggestion; the rest is planned.
    const { rest, schedule } = extractSchedule(request);
    const draft = await draftDeterministic(rest, options.tools, options.validate, {
      ...(options.hints ? { hints: options.hints } : {}),
      seed: options.seed ?? 1,
    });
    if (!draft.ok || schedule === null) return draft;
    return {
      ...draft,
      schedule,
      explanation: `${draft.explanation} Runs ${schedule.description}: create a schedule with cron "${schedule.cron}" for it.`,
    };
  }
  const llm = options.llm;
  const store = options.usageStore;
  if (store) {
    // Refused before the provider is called; nothing is recorded (no tokens were used).
    const exceeded = await checkLlmQuota(store.client, store.workspaceId, llm.tokensPerDay ?? 0);
    if (exceeded) return fail(planner, PlannerErrorCode.LLM_QUOTA_EXCEEDED, exceeded.message);
  }
  const draft = await draftWithLlm(llm, request, options.tools, options.validate, options.hints, options.signal);
  if (store) {
    await recordPlannerUsage(store.client, store.workspaceId, {
      model: llm.model,
      outcome: draft.ok ? 'OK' : draft.error.code,
      attempts: draft.attempts,
      usage: draft.usage,
    });
    await addLlmTokens(store.client, store.workspaceId, draft.usage.totalTokens);
  }
  if (!draft.ok) return { ok: false, error: draft.error, planner, attempts: draft.attempts, usage: draft.usage };
  return {
    ok: true,
    spec: draft.spec,
    explanation: draft.explanation,
    planner,
    attempts: draft.attempts,
    usage: draft.usage,
    choices: [],
    schedule: draft.schedule,
  };
}

function fail(planner: 'llm' | 'deterministic', code: PlannerErrorCode, message: string): DraftPlanResult {
  return { ok: false, error: plannerError(code, message), planner, attempts: 0, usage: null };
}

/** The LLM configuration from the environment (names in docs/contract.md "Processes and configuration"), or null without a key. */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | null {
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (!apiKey) return null;
  return {
    apiKey,
    model: env.OPENAI_MODEL?.trim() || 'gpt-4o-mini',
    ...(env.OPENAI_BASE_URL?.trim() ? { baseURL: env.OPENAI_BASE_URL.trim() } : {}),
  };
}
