import type { Queryable } from '@weft/db';
import type { PlanIssue, PlanSpec } from '@weft/engine';
import type { ToolCatalogueEntry } from './catalogue.ts';
import type { PlannerError } from './errors.ts';
import type { LlmFailureLog } from './llm/provider-failure.ts';
import type { ScheduleSuggestion } from './schedule-phrase.ts';

/** How to reach an OpenAI-compatible chat-completions endpoint. */
export interface LlmConfig {
  apiKey: string;
  /** e.g. `http://127.0.0.1:8080/v1` for a local server; the SDK's default otherwise. */
  baseURL?: string;
  model: string;
  /** Per request; a request that takes longer fails with LLM_TIMEOUT. Default 30 s. */
  timeoutMs?: number;
  /** How many times invalid answers go back to the model with their issues. Default 2. */
  maxRepairs?: number;
  /** How many 429 answers are waited out per request. Default 2. */
  maxRateLimitRetries?: number;
  /** The longest `retry-after` we wait; a longer one fails at once with LLM_RATE_LIMITED. Default 10 s. */
  maxRetryAfterMs?: number;
  /** Told the provider's full error text, which users never see (the API logs it). */
  onFailure?: LlmFailureLog;
  /**
   * Tokens (as the provider reports them) one workspace may use per UTC day, shared with the `llm`
   * plugin; 0 or absent: no limit. Checked only when the draft has a `usageStore`.
   */
  tokensPerDay?: number;
}

/** The learning engine's advice, offered to both planners. */
export interface PlannerHints {
  /** For a capability several tools provide: the tool the bandit prefers, and why. */
  preferred: Array<{ capability: string; tool: string; reason: string }>;
  /** Tools and steps that often fail. */
  unreliable: Array<{ subject: string; successRate: number; runs: number; reason: string }>;
  /** Tools that often follow each other in past runs, most frequent first. */
  sequences: Array<{ tools: string[]; count: number }>;
}

/** Why the planner chose one tool among several that provide the same capability. */
export interface ProviderChoice {
  capability: string;
  tool: string;
  reason: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Chat-completion requests sent (repairs and rate-limit retries included). */
  requests: number;
}

export type ValidatePlan = (spec: PlanSpec) => Promise<PlanIssue[]>;

export interface DraftPlanOptions {
  /** The user's natural-language request. */
  request: string;
  /** The workspace's tools: built-ins and installed plugins' tools, with statistics. */
  tools: ToolCatalogueEntry[];
  /** The engine's plan validation for this workspace (issues; empty means valid). */
  validate: ValidatePlan;
  /** With a key, the model plans; without one, the deterministic planner does. */
  llm?: LlmConfig | null;
  hints?: PlannerHints;
  /** When given, token usage is stored in `planner_usage` through this tenant-scoped client. */
  usageStore?: { client: Queryable; workspaceId: string };
  /** Seeds the bandit's tie-breaks and sampling, so drafts are reproducible. */
  seed?: number;
  signal?: AbortSignal;
}

export type DraftPlanResult =
  | {
      ok: true;
      spec: PlanSpec;
      explanation: string;
      planner: 'llm' | 'deterministic';
      /** Model answers it took (1 = valid at first try); 1 for the deterministic planner. */
      attempts: number;
      usage: TokenUsage | null;
      choices: ProviderChoice[];
      /**
       * When the request says it should run on a rhythm ("every Monday at 9"): the schedule to create
       * for the saved plan (`createSchedule`). The steps never include it. Null otherwise.
       */
      schedule: ScheduleSuggestion | null;
      /**
       * The deterministic planner's confidence in the plan, 0–1 (see deterministic/confidence.ts);
       * absent for model plans. Plans below its threshold are never returned.
       */
      confidence?: number;
    }
  | {
      ok: false;
      error: PlannerError;
      planner: 'llm' | 'deterministic';
      attempts: number;
      usage: TokenUsage | null;
    };
