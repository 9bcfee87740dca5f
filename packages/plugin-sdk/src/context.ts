/**
 * What a tool sees while it runs. Every function here is a plain function: the sandbox marshals
 * copies of arguments and results to the host, which checks each call against the capabilities the
 * installation was granted.
 */

/** @public Log levels accepted by {@link ToolContext.log}. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** @public Options of {@link ToolContext.fetch}; bodies are strings (JSON.stringify objects yourself). */
export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** @public The answer of {@link ToolContext.fetch}, already read in full by the host. */
export interface FetchResponse {
  status: number;
  statusText: string;
  ok: boolean;
  url: string;
  headers: Record<string, string>;
  text(): Promise<string>;
  json<T = unknown>(): Promise<T>;
}

/** @public A cancellation signal (the sandbox has no DOM `AbortSignal`, this is its shape). */
export interface ToolSignal {
  readonly aborted: boolean;
  readonly reason: string | undefined;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
  throwIfAborted(): void;
}

/** @public One chat message for {@link ToolContext.llm}. */
export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** @public A completion request through the host's LLM configuration (capability `llm`). */
export interface LlmRequest {
  prompt?: string;
  system?: string;
  messages?: LlmMessage[];
  maxTokens?: number;
  temperature?: number;
}

/** @public A completion answer. */
export interface LlmResult {
  text: string;
  model: string;
  usage?: { promptTokens: number; completionTokens: number };
}

/**
 * @public The second argument of every tool's `run`.
 * @example
 * run: async (input, ctx) => {
 *   ctx.log('info', 'fetching', { url: input.url });
 *   const res = await ctx.fetch(input.url); // needs capability `http:<host>`
 *   return { status: res.status };
 * }
 */
export interface ToolContext {
  /** The run this call belongs to (for logs and idempotency keys). */
  run: { executionId: string; stepId: string; attempt: number; mode: 'LIVE' | 'DRY_RUN' };
  /** HTTP to hosts granted as `http:<host>` (or `http:*.<domain>`); redirects are checked too. */
  fetch(url: string, init?: FetchInit): Promise<FetchResponse>;
  /** Workspace secrets granted as `secrets:<NAME>`; decrypted in the host only for this call. */
  secrets: { get(name: string): Promise<string> };
  /** A key-value store private to this installation (capability `kv`). Values are JSON. */
  kv: {
    get<T = unknown>(key: string): Promise<T | undefined>;
    set(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<boolean>;
  };
  /** The run's shared context, read and written by every step of the execution. */
  context: { get<T = unknown>(key: string): Promise<T | undefined>; set(key: string, value: unknown): Promise<void> };
  /** Completions through the host's LLM configuration (capability `llm`). */
  llm: { complete(request: LlmRequest): Promise<LlmResult> };
  /** Structured log line attached to the step. */
  log(level: LogLevel, message: string, data?: unknown): void;
  /** Aborted when the run is cancelled or the step times out: stop promptly. */
  signal: ToolSignal;
}
