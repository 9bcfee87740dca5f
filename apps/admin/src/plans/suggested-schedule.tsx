import { useMutation } from '@apollo/client/react';
import { Alert, Anchor, Button, Code, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { attempt } from '../errors.ts';
import { CREATE_SCHEDULE } from '../graphql/operations.ts';
import { paths } from '../paths.ts';

/** The planner's schedule suggestion, carried from the draft to the saved plan's page. */
export interface ScheduleSuggestion {
  cron: string;
  timezone: string;
  description: string;
}

/** Reads a suggestion from router state (any page could navigate here with any state). */
export function suggestionFrom(state: unknown): ScheduleSuggestion | null {
  if (typeof state !== 'object' || state === null || !('schedule' in state)) return null;
  const s = state.schedule;
  if (typeof s !== 'object' || s === null) return null;
  const { cron, timezone, description } = s as Record<string, unknown>;
  return typeof cron === 'string' && typeof timezone === 'string' && typeof description === 'string'
    ? { cron, timezone, description }
    : null;
}

/**
 * Offers the schedule the request asked for ("every Monday at 9") once the plan exists: one click
 * creates it with the suggested cron and zone; nothing is created without that click.
 */
export function SuggestedSchedule(props: {
  slug: string;
  planId: string;
  suggestion: ScheduleSuggestion;
  disabledReason: string | null;
}) {
  const [createSchedule, creating] = useMutation(CREATE_SCHEDULE);
  const [outcome, setOutcome] = useState<{ problem: string | null; done: boolean }>({ problem: null, done: false });
  const { cron, timezone, description } = props.suggestion;

  async function create() {
    const { problem, value } = await attempt(
      () => createSchedule({ variables: { input: { planId: props.planId, cron, timezone } } }),
      (r) => ({ userErrors: r.data?.createSchedule.userErrors, value: r.data?.createSchedule.schedule ?? undefined }),
    );
    setOutcome({ problem, done: problem === null && value !== undefined });
  }

  return (
    <Alert color="blue" title="Suggested schedule" mb="xs" className="suggested-schedule">
      <Text size="sm">
        The request said it runs {description}: <Code>{cron}</Code> ({timezone}).
      </Text>
      {outcome.done ? (
        <Text size="sm" mt="xs" role="status">
          Schedule created.{' '}
          <Anchor component={Link} to={paths.schedules(props.slug)}>
            See the schedules
          </Anchor>
        </Text>
      ) : (
        <Group mt="xs" gap="xs">
          <Button
            size="xs"
            onClick={() => void create()}
            loading={creating.loading}
            disabled={props.disabledReason !== null}
            title={props.disabledReason ?? undefined}
          >
            Create this schedule
          </Button>
          {outcome.problem !== null && (
            <Text size="sm" c="red" role="alert">
              {outcome.problem}
            </Text>
          )}
        </Group>
      )}
    </Alert>
  );
}
