import { useMutation } from '@apollo/client/react';
import { Alert, Button, Grid, Group, List, Stack, Text, Textarea, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { cannotEditPlansReason } from '../components/role-hint.ts';
import { attempt } from '../errors.ts';
import type { DraftPlanMutation } from '../graphql/generated/graphql.ts';
import { DRAFT_PLAN } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import { sentences } from '../plans/explanation.ts';
import { formatSpec, parseSpecText } from '../plans/spec-paths.ts';
import { SpecSaveForm } from '../plans/spec-save-form.tsx';
import { StepsTable } from '../plans/steps-table.tsx';
import { useSavePlan } from '../plans/use-save-plan.ts';
import { PlanGraph } from '../run/plan-graph.tsx';

type Draft = DraftPlanMutation['draftPlan'];

/** What the editor starts with when nothing was described: one step that shows the input form at work. */
const STARTER = formatSpec({
  steps: [{ id: 'hello', tool: 'core.echo', input: { text: 'Hello, {{ input.name }}' } }],
});

const REQUEST_LIMIT = 4000;

function nameOf(spec: unknown): string {
  return typeof spec === 'object' && spec !== null && 'name' in spec && typeof spec.name === 'string' ? spec.name : '';
}

/** The planner's answer: why these steps and tools, and the schedule it suggests, if any. */
function DraftNotes({ draft }: { draft: Draft }) {
  const why = sentences(draft.explanation);
  return (
    <Alert color="blue" title={`Draft by the ${draft.planner ?? ''} planner`} className="draft-explanation">
      <List size="sm" spacing={2}>
        {why.map((s) => (
          <List.Item key={s}>{s}</List.Item>
        ))}
      </List>
      {draft.schedule && (
        <Text size="sm" mt="xs" className="draft-schedule">
          Suggested schedule: {draft.schedule.description} (<code>{draft.schedule.cron}</code>,{' '}
          {draft.schedule.timezone}); next {draft.schedule.nextRuns.map((t) => new Date(t).toLocaleString()).join(', ')}
          . Create it on the Schedules page once the plan is saved.
        </Text>
      )}
    </Alert>
  );
}

/**
 * A new plan: described in words and drafted by the planner (nothing is saved by drafting), or
 * written as JSON; either way edited in the editor, named, and saved as version 1.
 */
export function PlanNewPage() {
  const { workspace } = useWorkspace();
  const navigate = useNavigate();
  const cannotEdit = cannotEditPlansReason(workspace.viewerRole);
  const [request, setRequest] = useState('');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [draftProblem, setDraftProblem] = useState<string | null>(null);
  const [text, setText] = useState(STARTER);
  // The form remounts on each draft, so its name field starts from the draft's name.
  const [draftCount, setDraftCount] = useState(0);
  const [draftPlan, drafting] = useMutation(DRAFT_PLAN);
  const save = useSavePlan();
  const parsed = parseSpecText(text);

  async function describe(event: FormEvent) {
    event.preventDefault();
    const { problem, value } = await attempt(
      () => draftPlan({ variables: { input: { workspaceId: workspace.id, request } } }),
      (r) => ({ userErrors: r.data?.draftPlan.userErrors, value: r.data?.draftPlan }),
    );
    setDraftProblem(problem);
    if (problem !== null || value === undefined || value.spec === null) return;
    setDraft(value);
    setText(formatSpec(value.spec));
    setDraftCount((c) => c + 1);
  }

  return (
    <section className="plan-new-page">
      <Title order={3} mb="xs">
        New plan
      </Title>
      <form onSubmit={(e) => void describe(e)} aria-label="Describe it">
        <Stack gap="xs" maw={720}>
          <Textarea
            label="Describe it"
            description="What should happen, in words: “echo hello then wait 2 seconds”. The planner drafts steps over this workspace's tools; nothing is saved until you save."
            autosize
            minRows={2}
            maxLength={REQUEST_LIMIT}
            value={request}
            onChange={(e) => setRequest(e.currentTarget.value)}
            error={draftProblem}
          />
          <Group>
            <Button
              type="submit"
              variant="light"
              loading={drafting.loading}
              disabled={request.trim() === '' || cannotEdit !== null}
              title={cannotEdit ?? undefined}
            >
              Draft the plan
            </Button>
          </Group>
        </Stack>
      </form>
      {draft !== null && (
        <Stack gap="sm" mt="md">
          <DraftNotes draft={draft} />
        </Stack>
      )}
      <Grid mt="md">
        <Grid.Col span={{ base: 12, md: 6 }} miw={0}>
          <Title order={4} mb="xs">
            Preview
          </Title>
          {parsed.ok ? (
            <PlanGraph spec={parsed.spec} statuses={null} selected={null} onSelect={() => undefined} />
          ) : (
            <Text c="dimmed">The preview returns once the JSON is valid.</Text>
          )}
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }} miw={0}>
          <Title order={4} mb="xs">
            Steps and their tools
          </Title>
          {parsed.ok && (
            <StepsTable slug={workspace.slug} spec={parsed.spec} explanation={draft?.explanation ?? null} />
          )}
        </Grid.Col>
      </Grid>
      <Title order={4} mt="md" mb="xs">
        Spec
      </Title>
      <SpecSaveForm
        key={draftCount}
        text={text}
        onText={setText}
        savedText={draft === null ? STARTER : formatSpec(draft.spec)}
        askName={{ initial: draft === null ? '' : nameOf(draft.spec) }}
        saveLabel="Save plan"
        disabledReason={cannotEdit}
        onSave={async ({ spec, name, message }) => {
          const outcome = await save.create({ workspaceId: workspace.id, name, spec, message });
          // The schedule suggestion travels with the navigation: the plan page offers to create it.
          const state = draft?.schedule ? { schedule: draft.schedule } : null;
          if (outcome.value !== undefined) navigate(paths.plan(workspace.slug, outcome.value.planId), { state });
          return outcome;
        }}
      />
    </section>
  );
}
