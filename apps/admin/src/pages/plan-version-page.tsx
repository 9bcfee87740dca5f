import { useQuery } from '@apollo/client/react';
import { Alert, Anchor, Badge, Code, Grid, Group, Stack, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { cannotRunReason } from '../components/role-hint.ts';
import { ErrorNote, Loading } from '../components/states.tsx';
import { PLAN_VERSION } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import { RunInputForm } from '../plans/run-input-form.tsx';
import { SpecEditor } from '../plans/spec-editor.tsx';
import { formatSpec } from '../plans/spec-paths.ts';
import { StepsTable } from '../plans/steps-table.tsx';
import { PlanGraph } from '../run/plan-graph.tsx';

const NO_ERRORS: [] = [];

/** One saved version as it is (versions never change): who saved it and why, its steps, its spec, and a run of it. */
export function PlanVersionPage() {
  const { workspace } = useWorkspace();
  const slug = workspace.slug;
  const { id: planId = '', number = '' } = useParams();
  const n = Number(number);
  const valid = Number.isInteger(n) && n > 0;
  const { data, loading, error } = useQuery(PLAN_VERSION, { variables: { planId, number: n }, skip: !valid });
  if (!valid) return <Alert color="yellow">Versions are numbered from 1.</Alert>;
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="the version" />;
  const node = data?.node;
  const plan = node && 'version' in node ? node : null;
  const version = plan?.version ?? null;
  if (plan === null || version === null) return <Alert color="yellow">No such plan version in this workspace.</Alert>;
  return (
    <section className="plan-version-page">
      <Group gap="sm" wrap="wrap" mb="xs">
        <Anchor component={Link} to={paths.plan(slug, planId)}>
          ← {plan.name}
        </Anchor>
        <Title order={3}>
          {plan.name} v{version.number}
        </Title>
        {version.number === plan.latestVersion.number && <Badge variant="light">latest</Badge>}
      </Group>
      <Text size="sm" c="dimmed" mb="xs">
        Saved by {version.createdBy?.email ?? 'unknown'}, {new Date(version.createdAt).toLocaleString()}
        {version.parentNumber === null ? '' : `, from v${version.parentNumber}`}
        {version.message ? ` — ${version.message}` : ''} · <Code>{version.contentHash.slice(0, 12)}</Code>
      </Text>
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }} miw={0}>
          <Stack gap="sm">
            <PlanGraph spec={version.spec} statuses={null} selected={null} onSelect={() => undefined} />
            <StepsTable slug={slug} spec={version.spec} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }} miw={0}>
          <Title order={4} mb="xs">
            Run v{version.number}
          </Title>
          <RunInputForm
            slug={slug}
            planId={planId}
            version={version.number}
            spec={version.spec}
            disabledReason={cannotRunReason(workspace.viewerRole)}
          />
        </Grid.Col>
      </Grid>
      <Title order={4} mt="md" mb="xs">
        Spec
      </Title>
      <SpecEditor
        value={formatSpec(version.spec)}
        onChange={() => undefined}
        errors={NO_ERRORS}
        label={`Spec of v${version.number} (read only)`}
        readOnly
      />
    </section>
  );
}
