import type { Queryable } from '@weft/db';
import type { EngineApi } from '@weft/engine';
import { toCatalogue } from './catalogue.ts';
import { draftPlan } from './draft-plan.ts';
import { type LearnOptions, learnHints } from './learning/hints.ts';
import { toolStats } from './learning/tool-stats.ts';
import type { DraftPlanResult, LlmConfig } from './types.ts';

/** What the planner needs from the engine; `EngineApi` satisfies it. */
export type PlannerEngine = Pick<EngineApi, 'listTools' | 'validatePlan'>;

export interface WorkspaceDraftOptions {
  engine: PlannerEngine;
  /** From `llmConfigFromEnv()`; null plans deterministically. */
  llm: LlmConfig | null;
  learn?: LearnOptions;
  signal?: AbortSignal;
}

/**
 * `draftPlan` for one workspace, wired the way the API's `draftPlan` mutation needs it: the
 * workspace's tools with their statistics, the learning engine's hints, the engine's validation,
 * and usage stored through `client`. `client` must be inside the workspace's tenant transaction.
 */
export async function draftPlanForWorkspace(
  client: Queryable,
  workspaceId: string,
  request: string,
  options: WorkspaceDraftOptions,
): Promise<DraftPlanResult> {
  const definitions = await options.engine.listTools(workspaceId);
  const tools = toCatalogue(definitions, await toolStats(client));
  const hints = await learnHints(client, tools, options.learn);
  return draftPlan({
    request,
    tools,
    validate: async (spec) => (await options.engine.validatePlan(workspaceId, spec)).issues,
    llm: options.llm,
    hints: { preferred: hints.preferred, unreliable: hints.unreliable, sequences: hints.sequences },
    usageStore: { client, workspaceId },
    ...(options.learn?.seed !== undefined ? { seed: options.learn.seed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
