import OpenAI from 'openai';

/**
 * What a user may learn of a failed model call: one of a few coarse kinds with a fixed message.
 * The provider's own text (which can name the operator's account, organisation, key prefix,
 * quota or internal hosts) goes only to the operator's log, through `LlmFailureLog`.
 */
export type LlmFailureKind = 'LLM_RATE_LIMITED' | 'LLM_TIMEOUT' | 'LLM_UNAVAILABLE' | 'LLM_REFUSED' | 'LLM_CANCELLED';

export interface LlmFailure {
  kind: LlmFailureKind;
  /** Safe to show to any user of any workspace. */
  message: string;
}

/** Where the full provider error goes (the API logs it with the workspace). */
export type LlmFailureLog = (detail: { kind: LlmFailureKind; status: number | null; providerMessage: string }) => void;

const MESSAGES: Record<LlmFailureKind, string> = {
  LLM_RATE_LIMITED: 'the model provider is rate limiting requests; try again later',
  LLM_TIMEOUT: 'the model provider did not answer in time; try again later',
  LLM_UNAVAILABLE: 'the model provider is unavailable; try again later',
  LLM_REFUSED: 'the model refused this request',
  LLM_CANCELLED: 'the model call was cancelled',
};

export function llmFailure(kind: LlmFailureKind): LlmFailure {
  return { kind, message: MESSAGES[kind] };
}

/** The coarse kind of whatever the openai SDK threw. */
export function classifyLlmError(error: unknown): LlmFailure {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return llmFailure('LLM_TIMEOUT');
  if (error instanceof OpenAI.APIUserAbortError) return llmFailure('LLM_CANCELLED');
  if (error instanceof OpenAI.RateLimitError) return llmFailure('LLM_RATE_LIMITED');
  // 400 with a content-policy or safety code is the provider declining the prompt itself.
  if (error instanceof OpenAI.BadRequestError && /content.?(policy|filter)|safety/i.test(String(error.code ?? '')))
    return llmFailure('LLM_REFUSED');
  return llmFailure('LLM_UNAVAILABLE');
}

/** Classifies `error` and hands its full text to `log` (never to the caller). */
export function reportLlmError(error: unknown, log: LlmFailureLog | undefined): LlmFailure {
  const failure = classifyLlmError(error);
  log?.({
    kind: failure.kind,
    status: error instanceof OpenAI.APIError ? (error.status ?? null) : null,
    providerMessage: error instanceof Error ? error.message : String(error),
  });
  return failure;
}
