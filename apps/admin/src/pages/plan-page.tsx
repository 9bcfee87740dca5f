import { useQuery } from '@apollo/client/react';
import { Alert, Anchor, Badge, Group, Stack, Tabs, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router';
import { cannotEditPlansReason, cannotRunReason } from '../components/role-hint.ts';
import { ErrorNote, Loading } from '../components/states.tsx';
import { PLAN_PAGE } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import { RunInputForm } from '../plans/run-input-form.tsx';
import { formatSpec, parseSpecText } from '../plans/spec-paths.ts';
import { SpecSaveForm } from '../plans/spec-save-form.tsx';
import { StepsTable } from '../plans/steps-table.tsx';
import { SuggestedSchedule, suggestionFrom } from '../plans/suggested-schedule.tsx';
import { useSavePlan } from '../plans/use-save-plan.ts';
import { VersionDiff } from '../plans/version-diff.tsx';
import { VersionsTable } from '../plans/versions-table.tsx';
import { PlanGraph } from '../run/plan-graph.tsx';

const TABS = ['overview', 'edit', 'run', 'compare'] as const;
type Tab = (typeof TABS)[number];
const isTab = (v: string | null): v is Tab => TABS.some((t) => t === v);

/**
 * One plan: its latest version's steps as the run page's graph (uncoloured) with each tool's
 * statistics and the versions; the JSON editor that saves the next version; a run form built from
 * the inputs the steps read; two versions side by side. The tab is in the URL (`?tab=edit`).
 */
export function PlanPage() {
  // Keyed by plan: a link from one plan to another starts with no edits carried over.
  const planId = useParams().id ?? '';
  return <OnePlan key={planId} planId={planId} />;
}

function OnePlan({ planId }: { planId: string }) {
  const { workspace } = useWorkspace();
  const slug = workspace.slug;
  const [search, setSearch] = useSearchParams();
  const asked = search.get('tab');
  const tab: Tab = isTab(asked) ? asked : 'overview';
  const { data, loading, error } = useQuery(PLAN_PAGE, { variables: { planId }, fetchPolicy: 'cache-and-network' });
  // null: the editor shows the latest version as saved; a string: the user's edits.
  const [edited, setEdited] = useState<string | null>(null);
  const [saved, setSaved] = useState<number | null>(null);
  const save = useSavePlan();
  const location = useLocation();
  const suggestion = suggestionFrom(location.state);

  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="the plan" />;
  const node = data?.node;
  const plan = node && 'latestVersion' in node ? node : null;
  if (plan === null) return <Alert color="yellow">No such plan in this workspace.</Alert>;
  const latest = plan.latestVersion;
  const savedText = formatSpec(latest.spec);
  const text = edited ?? savedText;
  const parsed = parseSpecText(text);
  const versions = plan.versions.edges.map((e) => e.node);

  return (
    <section className="plan-page">
      <Group gap="sm" wrap="wrap" mb="xs">
        <Anchor component={Link} to={paths.plans(slug)}>
          ← Plans
        </Anchor>
        <Title order={3}>{plan.name}</Title>
        <Badge variant="light" className="latest-version">
          v{latest.number}
        </Badge>
      </Group>
      <Text size="sm" c="dimmed" mb="xs">
        Latest: v{latest.number} by {latest.createdBy?.email ?? 'unknown'},{' '}
        {new Date(latest.createdAt).toLocaleString()}
        {latest.message ? ` — ${latest.message}` : ''}
      </Text>
      {suggestion !== null && (
        <SuggestedSchedule
          slug={slug}
          planId={plan.id}
          suggestion={suggestion}
          disabledReason={cannotEditPlansReason(workspace.viewerRole)}
        />
      )}
      {saved !== null && (
        <Alert color="green" role="status" withCloseButton onClose={() => setSaved(null)} mb="xs" className="saved">
          Saved v{saved}.
        </Alert>
      )}
      <Tabs
        value={tab}
        onChange={(v) =>
          // The router state (a schedule suggestion) stays with the page across tabs.
          setSearch(v === 'overview' || v === null ? {} : { tab: v }, { state: location.state })
        }
        keepMounted={false}
      >
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="edit">Edit</Tabs.Tab>
          <Tabs.Tab value="run">Run</Tabs.Tab>
          <Tabs.Tab value="compare">Compare versions</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="sm">
          <Stack gap="sm">
            <PlanGraph spec={latest.spec} statuses={null} selected={null} onSelect={() => undefined} />
            <StepsTable slug={slug} spec={latest.spec} />
            <Text size="sm">
              <Anchor component={Link} to={paths.analytics(slug, plan.id)}>
                Analytics of {plan.name}
              </Anchor>
              : runs, success rate and duration over time, and its versions compared.
            </Text>
            <Title order={4}>Versions</Title>
            <VersionsTable slug={slug} planId={plan.id} name={plan.name} versions={versions} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="edit" pt="sm">
          <SpecSaveForm
            text={text}
            onText={setEdited}
            savedText={savedText}
            saveLabel={`Save as v${latest.number + 1}`}
            disabledReason={cannotEditPlansReason(workspace.viewerRole)}
            aside={
              parsed.ok ? (
                <PlanGraph spec={parsed.spec} statuses={null} selected={null} onSelect={() => undefined} />
              ) : null
            }
            onSave={async ({ spec, message }) => {
              const outcome = await save.update({ planId: plan.id, spec, message });
              if (outcome.value !== undefined) {
                setEdited(null);
                setSaved(outcome.value.number);
              }
              return outcome;
            }}
          />
        </Tabs.Panel>
        <Tabs.Panel value="run" pt="sm">
          <RunInputForm
            slug={slug}
            planId={plan.id}
            version={latest.number}
            spec={latest.spec}
            disabledReason={cannotRunReason(workspace.viewerRole)}
          />
        </Tabs.Panel>
        <Tabs.Panel value="compare" pt="sm">
          {versions.length > 1 ? (
            <VersionDiff planId={plan.id} numbers={versions.map((v) => v.number)} />
          ) : (
            <Text c="dimmed">Only one version so far: save an edit to have two to compare.</Text>
          )}
        </Tabs.Panel>
      </Tabs>
    </section>
  );
}
