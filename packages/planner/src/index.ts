export {
  chooseVersion,
  compareVersions,
  type VersionAssignment,
  type VersionComparison,
  type VersionResults,
  type VersionSplit,
} from './ab-test.ts';
export { baseToolName, type ToolCatalogueEntry, toCatalogue } from './catalogue.ts';
export { draftPlan, llmConfigFromEnv, MAX_REQUEST_LENGTH } from './draft-plan.ts';
export { type PlannerError, PlannerErrorCode, plannerError } from './errors.ts';
export {
  catalogueValidator,
  type EvalCase,
  type EvalFixtures,
  type EvalOutcome,
  type EvalReport,
  evaluatePlanner,
  loadEvalFixtures,
} from './eval/evaluate.ts';
export { type Arm, type BanditChoice, type BanditStrategy, chooseArm } from './learning/bandit.ts';
export {
  armsFor,
  chooseToolForCapability,
  type LearnedHints,
  type LearnOptions,
  learnHints,
} from './learning/hints.ts';
export {
  type FailingSubject,
  type FrequentSequence,
  failingSubjects,
  frequentSequences,
  type PatternOptions,
} from './learning/patterns.ts';
export {
  type HistoryWindow,
  type StepPatternRecord,
  stepPatternStats,
  type ToolRecord,
  toolStats,
} from './learning/tool-stats.ts';
export {
  classifyLlmError,
  type LlmFailure,
  type LlmFailureKind,
  type LlmFailureLog,
  llmFailure,
  reportLlmError,
} from './llm/provider-failure.ts';
export { addLlmTokens, checkLlmQuota, type LlmQuotaExceeded } from './llm-quota.ts';
export { extractSchedule, nextRunsOf, type ScheduleExtraction, type ScheduleSuggestion } from './schedule-phrase.ts';
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
export { draftPlanForWorkspace, type PlannerEngine, type WorkspaceDraftOptions } from './workspace-draft.ts';
