import {
  PLAN_STATS_MAX_BUCKETS,
  type PlanStatsBucket,
  type PlanStatsBucketSize,
  type PlanTotals,
  planStats,
  planStatsWindowIssue,
  planTotals,
} from '@weft/engine';
import { builder } from '../builder.ts';
import { inTenant } from '../context.ts';
import { invalidArgument } from '../errors.ts';
import { tenantKey } from '../ids.ts';
import { PlanRef, WorkspaceRef } from './refs.ts';

// A plan's runs over time, for the console's analytics charts. The engine owns the counting (one
// definition, shared with nothing else that could drift); this file only checks the arguments.

const StatsBucketEnum = builder.enumType('StatsBucket', {
  description: 'The width of a statistics bucket; boundaries are in UTC.',
  values: ['HOUR', 'DAY'] as const satisfies readonly PlanStatsBucketSize[],
});

const PlanStatsBucketRef = builder.objectRef<PlanStatsBucket>('PlanStatsBucket').implement({
  description: "One hour or day of a plan's runs, by the time they were created.",
  fields: (t) => ({
    start: t.field({ type: 'DateTime', description: "The bucket's first instant.", resolve: (b) => b.start }),
    runs: t.exposeInt('runs', { description: 'Runs created in the bucket.' }),
    finished: t.exposeInt('finished', { description: 'Runs created in the bucket that are in a terminal state.' }),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed', { description: 'FAILED or ROLLED_BACK.' }),
    successRate: t.float({
      nullable: true,
      description: 'succeeded / finished; null before any finished.',
      resolve: (b) => (b.finished === 0 ? null : b.succeeded / b.finished),
    }),
    p50Ms: t.exposeFloat('p50Ms', { nullable: true, description: 'Median start-to-finish time of the finished runs.' }),
    p95Ms: t.exposeFloat('p95Ms', { nullable: true }),
  }),
});

builder.objectFields(PlanRef, (t) => ({
  stats: t.field({
    type: [PlanStatsBucketRef],
    description: `The plan's runs per hour or day from \`since\` (rounded down to its bucket) until \`until\` (default now), every bucket present, oldest first; at most ${PLAN_STATS_MAX_BUCKETS} buckets.`,
    args: {
      since: t.arg({ type: 'DateTime', required: true }),
      until: t.arg({ type: 'DateTime', required: false }),
      bucket: t.arg({ type: StatsBucketEnum, required: true }),
    },
    resolve: (p, args, ctx) => {
      const window = { since: args.since, until: args.until ?? new Date(), bucket: args.bucket };
      const issue = planStatsWindowIssue(window);
      if (issue !== null) throw invalidArgument(issue, args.until == null ? 'since' : 'until');
      return inTenant(ctx, p.workspaceId, (client) => planStats(client, { ...window, planId: p.id }));
    },
  }),
}));

const PlanTotalsRef = builder.objectRef<PlanTotals & { workspaceId: string }>('PlanTotals').implement({
  description: "One plan's runs created in a window, as a whole; counted like `Plan.stats`.",
  fields: (t) => ({
    plan: t.field({ type: PlanRef, resolve: (p) => tenantKey(p.workspaceId, p.planId) }),
    runs: t.exposeInt('runs'),
    finished: t.exposeInt('finished'),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed', { description: 'FAILED or ROLLED_BACK.' }),
    successRate: t.float({
      nullable: true,
      description: 'succeeded / finished; null before any finished.',
      resolve: (p) => (p.finished === 0 ? null : p.succeeded / p.finished),
    }),
    p50Ms: t.exposeFloat('p50Ms', { nullable: true }),
    p95Ms: t.exposeFloat('p95Ms', { nullable: true }),
  }),
});

builder.objectFields(WorkspaceRef, (t) => ({
  planStats: t.field({
    type: [PlanTotalsRef],
    description: `Every plan with runs created from \`since\` until \`until\` (default now), most runs first; at most ${PLAN_STATS_MAX_BUCKETS} days.`,
    args: {
      since: t.arg({ type: 'DateTime', required: true }),
      until: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: (w, args, ctx) => {
      const window = { since: args.since, until: args.until ?? new Date() };
      const issue = planStatsWindowIssue({ ...window, bucket: 'DAY' });
      if (issue !== null) throw invalidArgument(issue, args.until == null ? 'since' : 'until');
      return inTenant(ctx, w.id, async (client) =>
        (await planTotals(client, window)).map((p) => ({ ...p, workspaceId: w.id })),
      );
    },
  }),
}));
