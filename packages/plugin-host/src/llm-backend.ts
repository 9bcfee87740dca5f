/** The `llm` capability's host side: the openai SDK against OpenAI or any compatible server. */
import { withTenant } from '@weft/db';
import { addLlmTokens, checkLlmQuota, type LlmFailureLog, reportLlmError } from '@weft/planner';
import { CapabilityError, type LlmCall, SandboxErrorCode } from '@weft/plugin-sdk/sandbox';
import OpenAI from 'openai';
import type pg from 'pg';

/** Where completions go; `OPENAI_*` environment variables by default. */
export interface LlmOptions {
  apiKey?: string;
  baseURL?: string;
  model?: string;
  timeoutMs?: number;
}

export type LlmBackend = (request: LlmCall) => Promise<{
  text: string;
  model: string;
  usage?: { promptTokens: number; completionTokens: number };
}>;

/** Undefined when neither a key nor a base URL is configured (calls then fail clearly). */
export function createLlmBackend(options: LlmOptions): LlmBackend | undefined {
  if (options.apiKey === undefined && options.baseURL === undefined) return undefined;
  const client = new OpenAI({
    // A local OpenAI-compatible server may need no key; the SDK insists on one.
    apiKey: options.apiKey ?? 'none',
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    timeout: options.timeoutMs ?? 60_000,
    maxRetries: 1,
  });
  const model = options.model ?? 'gpt-4o-mini';
  return async (request) => {
    const completion = await client.chat.completions.create({
      model,
      messages: request.messages,
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    });
    const text = completion.choices[0]?.message?.content ?? '';
    const usage = completion.usage;
    return {
      text,
      model: completion.model,
      ...(usage === undefined
        ? {}
        : { usage: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } }),
    };
  };
}

/**
 * One workspace's view of the backend: refused without calling the provider once the workspace
 * has used `tokensPerDay` today (0: no limit), the provider's reported usage added to the same
 * daily count the planner uses, and provider failures turned into a coarse code and message (the
 * full text goes to `log` only: plugin authors and workspace members never see it).
 */
export function meteredLlm(
  backend: LlmBackend,
  pool: pg.Pool,
  workspaceId: string,
  options: { tokensPerDay: number; log?: LlmFailureLog },
): LlmBackend {
  const tenant = <T>(work: (client: pg.PoolClient) => Promise<T>) => withTenant(pool, { workspaceId }, work);
  return async (request) => {
    const exceeded = await tenant((client) => checkLlmQuota(client, workspaceId, options.tokensPerDay));
    if (exceeded !== null)
      throw new CapabilityError(SandboxErrorCode.CAPABILITY_FAILED, `${exceeded.code}: ${exceeded.message}`);
    let answer: Awaited<ReturnType<LlmBackend>>;
    try {
      answer = await backend(request);
    } catch (error) {
      const failure = reportLlmError(error, options.log);
      throw new CapabilityError(SandboxErrorCode.CAPABILITY_FAILED, `${failure.kind}: ${failure.message}`);
    }
    const tokens = (answer.usage?.promptTokens ?? 0) + (answer.usage?.completionTokens ?? 0);
    await tenant((client) => addLlmTokens(client, workspaceId, tokens));
    return answer;
  };
}
