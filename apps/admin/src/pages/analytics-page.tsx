import { useQuery } from '@apollo/client/react';
import { Group, Select, Stack } from '@mantine/core';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { PlanOverview } from '../analytics/plan-overview.tsx';
import { PlanTrends } from '../analytics/plan-trends.tsx';
import { DEFAULT_RANGE, isRangeKey, RANGES, windowOf } from '../analytics/ranges.ts';
import { ToolTable } from '../analytics/tool-table.tsx';
import { VersionComparison } from '../analytics/version-comparison.tsx';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { PLANS } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';

/** A version number from the URL, or the fallback when it is missing or not one of 1..latest. */
function versionParam(value: string | null, latest: number, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= latest ? n : fallback;
}

/**
 * How the workspace's plans and tools are doing: every plan's runs in the range, one plan's runs,
 * success rate and duration over time, an A/B comparison of two of its versions, and every tool's record. The plan, range and
 * versions live in the URL (`?plan=<id>&range=7d&a=1&b=2`), so a view can be shared and a plan's
 * page links straight to its section.
 */
export function AnalyticsPage() {
  const { workspace } = useWorkspace();
  const [params, setParams] = useSearchParams();
  const set = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) next.delete(key);
      else next.set(key, value);
    }
    setParams(next, { replace: true });
  };
  const plans = useQuery(PLANS, { variables: { slug: workspace.slug } });
  const rangeParam = params.get('range');
  const range = isRangeKey(rangeParam) ? rangeParam : DEFAULT_RANGE;
  const window = useMemo(() => windowOf(range), [range]);

  const list = (plans.data?.workspace?.plans.edges ?? []).map((e) => e.node);
  const plan = list.find((p) => p.id === params.get('plan')) ?? list[0];
  const latest = plan?.latestVersion.number ?? 1;
  const b = versionParam(params.get('b'), latest, latest);
  const a = versionParam(params.get('a'), latest, Math.max(1, latest - 1));
  return (
    <Stack gap="lg">
      <Group gap="xs" wrap="wrap" align="flex-end" role="group" aria-label="What to show">
        <Select
          label="Plan"
          searchable
          allowDeselect={false}
          data={list.map((p) => ({ value: p.id, label: p.name }))}
          value={plan?.id ?? null}
          onChange={(id) => set({ plan: id, a: null, b: null })}
          miw={200}
        />
        <Select
          label="Range"
          allowDeselect={false}
          data={Object.entries(RANGES).map(([value, r]) => ({ value, label: r.label }))}
          value={range}
          onChange={(v) => set({ range: v })}
          miw={220}
        />
      </Group>
      <PlanOverview
        slug={workspace.slug}
        since={window.since}
        until={window.until}
        selected={plan?.id ?? null}
        onSelect={(id) => set({ plan: id, a: null, b: null })}
      />
      {plans.error ? (
        <ErrorNote error={plans.error} />
      ) : plans.loading && !plans.data ? (
        <Loading what="plans" />
      ) : plan === undefined ? (
        <Empty>No plans yet: analytics appear once a plan has runs.</Empty>
      ) : (
        <>
          <PlanTrends planId={plan.id} {...window} />
          {latest > 1 ? (
            <VersionComparison
              planId={plan.id}
              latest={latest}
              a={a}
              b={b}
              since={window.since}
              onChange={(nextA, nextB) => set({ a: String(nextA), b: String(nextB) })}
            />
          ) : (
            <Empty>{plan.name} has one version: saving another lets you compare them here.</Empty>
          )}
        </>
      )}
      <ToolTable slug={workspace.slug} />
    </Stack>
  );
}
