import { fixtureIssues, type RegressionFixture } from '@weft/engine';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { canIn } from '../authorize.ts';
import { builder } from '../builder.ts';
import { SchemaErrorCode, userError } from '../errors.ts';
import { parseTenantId } from '../ids.ts';
import { inputSizeErrors } from '../input-size.ts';
import { ExecutionPayload, type ExecutionPayloadShape, StartRegressionTestInput } from '../types/engine-payloads.ts';
import { startRun } from './executions.ts';

builder.mutationFields((t) => ({
  startRegressionTest: t.field({
    type: ExecutionPayload,
    description:
      "Replays a recorded run against a plan version as a dry run: the fixture's input, and each recorded step answered with its recorded output. `Execution.regression` then says which steps' inputs or the final output changed.",
    authScopes: canIn(
      MUTATION_PERMISSIONS.startRegressionTest,
      (args: { input: { planId: string } }) => parseTenantId(args.input.planId, 'Plan').workspaceId,
    ),
    args: { input: t.arg({ type: StartRegressionTestInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<ExecutionPayloadShape> => {
      // The fixture is stored with the run and its outputs become step outputs: the input's limits apply.
      const tooLarge = inputSizeErrors(input.fixture).map((e) => ({
        ...e,
        field: ['fixture', ...(e.field ?? []).slice(1)],
      }));
      if (tooLarge.length > 0) return { userErrors: tooLarge };
      const issues = fixtureIssues(input.fixture);
      if (issues.length > 0) {
        return {
          userErrors: issues.map((i) => userError(SchemaErrorCode.INVALID_INPUT, ['fixture', ...i.path], i.message)),
        };
      }
      const fixture = input.fixture as RegressionFixture;
      const mocks = Object.fromEntries(Object.entries(fixture.steps).map(([id, step]) => [id, step.output]));
      return startRun(ctx, {
        planId: String(input.planId),
        version: input.version,
        input: fixture.input ?? null,
        mode: 'DRY_RUN',
        dryRun: {
          mocks,
          fixture: { input: fixture.input ?? null, output: fixture.output ?? null, steps: fixture.steps },
        },
        action: 'execution.regression_test',
      });
    },
  }),
}));
