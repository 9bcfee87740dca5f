import { compareToFixture, type RegressionChange } from '@weft/engine';
import { builder } from '../builder.ts';
import { inTenant } from '../context.ts';
import { ExecutionRef } from './refs.ts';

const RegressionChangeKindEnum = builder.enumType('RegressionChangeKind', {
  values: ['INPUT', 'ADDED', 'REMOVED', 'OUTPUT'] as const,
});

const RegressionChangeRef = builder.objectRef<RegressionChange>('RegressionChange').implement({
  description: 'One difference between a replay and its fixture.',
  fields: (t) => ({
    stepId: t.exposeString('stepId', { nullable: true, description: 'Null for the final output.' }),
    kind: t.field({ type: RegressionChangeKindEnum, resolve: (c) => c.kind }),
    expected: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.expected }),
    actual: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.actual }),
  }),
});

interface RegressionReport {
  finished: boolean;
  succeeded: boolean;
  changes: RegressionChange[];
}

const RegressionReportRef = builder.objectRef<RegressionReport>('RegressionReport').implement({
  fields: (t) => ({
    finished: t.exposeBoolean('finished', { description: 'Whether the replay has ended (the report is final).' }),
    succeeded: t.exposeBoolean('succeeded'),
    passed: t.boolean({
      description: 'Ended successfully with no change.',
      resolve: (r) => r.finished && r.succeeded && r.changes.length === 0,
    }),
    changes: t.field({ type: [RegressionChangeRef], resolve: (r) => r.changes }),
  }),
});

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK']);

builder.objectFields(ExecutionRef, (t) => ({
  regression: t.field({
    type: RegressionReportRef,
    nullable: true,
    description: 'For a run started by `startRegressionTest`: what changed against its fixture; null otherwise.',
    resolve: async (e, _args, ctx) => {
      const fixture = e.dryRunOptions?.fixture;
      if (fixture === undefined) return null;
      const { rows } = await inTenant(ctx, e.workspaceId, (client) =>
        client.query<{ step_id: string; input: unknown; status: string }>(
          `SELECT step_id, input, status FROM step_runs WHERE execution_id = $1 AND status NOT IN ('PENDING', 'SKIPPED')
            ORDER BY step_id`,
          [e.id],
        ),
      );
      return {
        finished: FINISHED.has(e.status),
        succeeded: e.status === 'SUCCEEDED',
        changes: compareToFixture(fixture, {
          output: e.output,
          steps: rows.map((r) => ({ stepId: r.step_id, input: r.input, status: r.status })),
        }),
      };
    },
  }),
}));
