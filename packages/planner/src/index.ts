export { baseToolName, type ToolCatalogueEntry, toCatalogue } from './catalogue.ts';
export { draftPlan, llmConfigFromEnv, MAX_REQUEST_LENGTH } from './draft-plan.ts';
export { type PlannerError, PlannerErrorCode, plannerError } from './errors.ts';
export {
  type EvalCase,
  type EvalOutcome,
  type EvalReport,
  evaluatePlanner,
  loadEvalFixtures,
} from './eval/evaluate.ts';
export { type Arm, type BanditChoice, type BanditStrategy, chooseArm } from './learning/bandit.ts';
export type {
  DraftPlanOptions,
  DraftPlanResult,
  LlmConfig,
  PlannerHints,
  ProviderChoice,
  TokenUsage,
  ValidatePlan,
} from './types.ts';
export { plannerUsageTotals, recordPlannerUsage, type UsageRecord } from './usage-store.ts';
