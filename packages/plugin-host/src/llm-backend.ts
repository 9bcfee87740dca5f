/** The `llm` capability's host side: the openai SDK against OpenAI or any compatible server. */
import type { LlmCall } from '@weft/plugin-sdk/sandbox';
import OpenAI from 'openai';

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
