import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { type PlannerError, PlannerErrorCode, plannerError } from '../errors.ts';
import type { LlmConfig, TokenUsage } from '../types.ts';
import { MODEL_PLAN_FORMAT_NAME, MODEL_PLAN_SCHEMA } from './model-plan.ts';
import type { ChatMessage } from './prompt.ts';
import { type LlmFailureLog, llmFailure, reportLlmError } from './provider-failure.ts';

export const LLM_DEFAULTS = {
  timeoutMs: 30_000,
  maxRepairs: 2,
  maxRateLimitRetries: 2,
  maxRetryAfterMs: 10_000,
} as const;

export type ChatAnswer = { ok: true; content: string } | { ok: false; error: PlannerError };

export function createClient(config: LlmConfig): OpenAI {
  // The SDK's own retries are off: they would retry timeouts (multiplying the wait the user
  // configured) and accept a retry-after of up to a minute. 429s are waited out below instead,
  // with our bound.
  return new OpenAI({
    apiKey: config.apiKey,
    ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    timeout: config.timeoutMs ?? LLM_DEFAULTS.timeoutMs,
    maxRetries: 0,
  });
}

/** Milliseconds the provider asks us to wait, from `retry-after-ms` or `retry-after` (seconds or a date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | null {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function addUsage(total: TokenUsage, usage: OpenAI.CompletionUsage | undefined): void {
  if (!usage) return;
  total.promptTokens += usage.prompt_tokens;
  total.completionTokens += usage.completion_tokens;
  total.totalTokens += usage.total_tokens;
}

/**
 * One chat completion in the plan format. Never hangs: the SDK's timeout bounds each request, and
 * 429s are retried only a bounded number of times, each waiting at most `maxRetryAfterMs`.
 */
export async function completePlan(
  client: OpenAI,
  config: LlmConfig,
  messages: ChatMessage[],
  usage: TokenUsage,
  signal?: AbortSignal,
): Promise<ChatAnswer> {
  const timeoutMs = config.timeoutMs ?? LLM_DEFAULTS.timeoutMs;
  const maxRetries = config.maxRateLimitRetries ?? LLM_DEFAULTS.maxRateLimitRetries;
  const maxWait = config.maxRetryAfterMs ?? LLM_DEFAULTS.maxRetryAfterMs;
  for (let rateLimited = 0; ; rateLimited++) {
    usage.requests += 1;
    try {
      const completion = await client.chat.completions.create(
        {
          model: config.model,
          messages,
          response_format: {
            type: 'json_schema',
            json_schema: { name: MODEL_PLAN_FORMAT_NAME, schema: MODEL_PLAN_SCHEMA, strict: true },
          },
        },
        signal ? { signal } : {},
      );
      addUsage(usage, completion.usage);
      const message = completion.choices[0]?.message;
      if (!message)
        return { ok: false, error: plannerError(PlannerErrorCode.LLM_ERROR, 'the model returned no choice') };
      if (message.refusal) {
        // The refusal's wording is the provider's; the user learns only that it refused.
        config.onFailure?.({ kind: 'LLM_REFUSED', status: null, providerMessage: message.refusal });
        return { ok: false, error: plannerError(PlannerErrorCode.LLM_ERROR, llmFailure('LLM_REFUSED').message) };
      }
      return { ok: true, content: message.content ?? '' };
    } catch (error) {
      if (error instanceof OpenAI.RateLimitError) {
        const wait = retryAfterMs(error.headers);
        const delay = wait ?? 500 * 2 ** rateLimited;
        if (rateLimited >= maxRetries || delay > maxWait) {
          const failure = reportLlmError(error, config.onFailure);
          // How long the provider asks us to wait is a number the user can act on, not its text.
          const asked = wait === null ? '' : `, asked to wait ${Math.ceil(wait / 1000)} s`;
          return {
            ok: false,
            error: plannerError(
              PlannerErrorCode.LLM_RATE_LIMITED,
              `${failure.message} (tried ${rateLimited + 1} times${asked})`,
            ),
          };
        }
        await sleep(delay, undefined, signal ? { signal } : {}).catch(() => {});
        if (signal?.aborted)
          return { ok: false, error: plannerError(PlannerErrorCode.LLM_ERROR, 'drafting was cancelled') };
        continue;
      }
      return { ok: false, error: toPlannerError(error, timeoutMs, config.onFailure) };
    }
  }
}

/**
 * Maps whatever the SDK threw to the planner's error codes, with a coarse message: the provider's
 * own text goes to `log` only (see provider-failure.ts).
 */
export function toPlannerError(error: unknown, timeoutMs: number, log?: LlmFailureLog): PlannerError {
  const failure = reportLlmError(error, log);
  switch (failure.kind) {
    case 'LLM_TIMEOUT':
      return plannerError(PlannerErrorCode.LLM_TIMEOUT, `the model did not answer within ${timeoutMs} ms`);
    case 'LLM_RATE_LIMITED':
      return plannerError(PlannerErrorCode.LLM_RATE_LIMITED, failure.message);
    case 'LLM_CANCELLED':
      return plannerError(PlannerErrorCode.LLM_ERROR, 'drafting was cancelled');
    default:
      return plannerError(PlannerErrorCode.LLM_ERROR, failure.message);
  }
}
