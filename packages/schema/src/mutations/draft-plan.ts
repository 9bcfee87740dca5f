import {
  type DraftPlanResult,
  draftPlanForWorkspace,
  MAX_REQUEST_LENGTH,
  type PlannerError,
  PlannerErrorCode,
} from '@weft/planner';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { canIn } from '../authorize.ts';
import { builder } from '../builder.ts';
import { inTenant, requireViewer } from '../context.ts';
import { type UserError, userError } from '../errors.ts';
import { parseId } from '../ids.ts';
import { DraftPlanInput, DraftPlanPayload, type DraftPlanPayloadShape } from '../types/engine-payloads.ts';

const TokenUsageRef = builder.objectRef<NonNullable<DraftPlanPayloadShape['usage']>>('PlannerUsage').implement({
  description: 'Tokens the model used for this draft (repairs and rate-limit retries included).',
  fields: (t) => ({
    promptTokens: t.exposeInt('promptTokens'),
    completionTokens: t.exposeInt('completionTokens'),
    totalTokens: t.exposeInt('totalTokens'),
    requests: t.exposeInt('requests'),
  }),
});

builder.objectFields(DraftPlanPayload, (t) => ({
  planner: t.string({
    nullable: true,
    description: '`llm` when the configured model planned, `deterministic` without OPENAI_API_KEY.',
    resolve: (p) => p.planner ?? null,
  }),
  attempts: t.int({
    nullable: true,
    description: 'Model answers it took (repairs included).',
    resolve: (p) => p.attempts ?? null,
  }),
  usage: t.field({ type: TokenUsageRef, nullable: true, resolve: (p) => p.usage ?? null }),
}));

/** Where a planner failure points: validation issues at the spec's paths, the rest at the request. */
function toUserErrors(error: PlannerError): UserError[] {
  if (error.code === 'PLAN_INVALID' && error.issues !== undefined && error.issues.length > 0) {
    return error.issues.map((issue) =>
      userError(error.code, ['spec', ...issue.path.map(String)], `${issue.message} (${issue.code})`),
    );
  }
  const field = error.code.startsWith('LLM_') ? null : ['request'];
  return [userError(error.code, field, error.message)];
}

function toPayload(result: DraftPlanResult): DraftPlanPayloadShape {
  const common = { planner: result.planner, attempts: result.attempts, usage: result.usage };
  if (!result.ok) return { ...common, userErrors: toUserErrors(result.error) };
  return { ...common, spec: result.spec, explanation: result.explanation, schedule: result.schedule, userErrors: [] };
}

builder.mutationFields((t) => ({
  draftPlan: t.field({
    type: DraftPlanPayload,
    description:
      "Turns a natural-language request into a plan spec over the workspace's tools (built-ins and installed plugins), validated by the engine. Nothing is saved: pass the spec to createPlan.",
    authScopes: canIn(MUTATION_PERMISSIONS.draftPlan, (args: { input: { workspaceId: string } }) =>
      parseId(args.input.workspaceId, 'Workspace'),
    ),
    args: { input: t.arg({ type: DraftPlanInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<DraftPlanPayloadShape> => {
      requireViewer(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      const engine = ctx.options.engine;
      // The planner refuses it too, but only after reading the workspace's tools and statistics.
      if (input.request.length > MAX_REQUEST_LENGTH) {
        const message = `the request is longer than ${MAX_REQUEST_LENGTH} characters`;
        return { userErrors: [userError(PlannerErrorCode.BAD_REQUEST, ['request'], message)] };
      }
      // One tenant transaction: statistics and hints are read, and the model's token usage is
      // stored (failed drafts included), through the same client.
      const result = await inTenant(ctx, workspaceId, (client) =>
        draftPlanForWorkspace(client, workspaceId, input.request, {
          engine,
          llm: ctx.options.llm ?? null,
        }),
      );
      return toPayload(result);
    },
  }),
}));
