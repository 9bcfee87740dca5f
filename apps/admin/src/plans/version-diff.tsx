import { useQuery } from '@apollo/client/react';
import { Badge, Code, Group, Paper, Select, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { ErrorNote, Loading } from '../components/states.tsx';
import { PLAN_VERSION_DIFF } from '../graphql/operations.ts';
import { changedFields, stepsById } from './step-changes.ts';

type Change = 'added' | 'removed' | 'changed' | 'same';
const COLOURS: Record<Change, string> = { added: 'green', removed: 'red', changed: 'yellow', same: 'gray' };

/** One version's steps in order, each marked with how it differs in the comparison. */
function Side(props: { title: string; spec: unknown; other: unknown; change: (id: string) => Change }) {
  const others = stepsById(props.other);
  return (
    <Stack gap={6} miw={0} className="diff-side" aria-label={props.title}>
      <Title order={5}>{props.title}</Title>
      {[...stepsById(props.spec)].map(([id, step]) => {
        const c = props.change(id);
        const fields = c === 'changed' ? changedFields(step, others.get(id) ?? {}) : [];
        return (
          <Paper
            key={id}
            withBorder
            p={6}
            className="diff-step"
            data-step={id}
            data-change={c}
            style={{ borderColor: `var(--mantine-color-${COLOURS[c]}-5)`, borderWidth: c === 'same' ? 1 : 2 }}
          >
            <Group gap={6} mb={4}>
              <strong>{id}</strong>
              {c !== 'same' && (
                <Badge size="xs" color={COLOURS[c]}>
                  {c}
                </Badge>
              )}
              {fields.length > 0 && (
                <Text span size="xs" c="dimmed" className="changed-fields">
                  {fields.join(', ')}
                </Text>
              )}
            </Group>
            <Code block className="wrap">
              {JSON.stringify(step, null, 2)}
            </Code>
          </Paper>
        );
      })}
    </Stack>
  );
}

/**
 * Two versions of a plan side by side: the steps the API says were added, removed or changed
 * (`PlanVersion.diff`), and both specs with those steps marked.
 */
export function VersionDiff({ planId, numbers }: { planId: string; numbers: number[] }) {
  const newest = Math.max(...numbers);
  const [from, setFrom] = useState(String(Math.max(1, newest - 1)));
  const [to, setTo] = useState(String(newest));
  const options = [...numbers].sort((a, b) => b - a).map((n) => ({ value: String(n), label: `v${n}` }));
  const same = from === to;
  const { data, loading, error } = useQuery(PLAN_VERSION_DIFF, {
    variables: { planId, from: Number(from), to: Number(to) },
    skip: same,
  });
  const node = data?.node;
  const plan = node && 'to' in node ? node : null;
  const diff = plan?.to?.diff;
  const change = (id: string): Change =>
    diff?.added.includes(id)
      ? 'added'
      : diff?.removed.includes(id)
        ? 'removed'
        : diff?.changed.includes(id)
          ? 'changed'
          : 'same';
  return (
    <Stack gap="sm" className="version-diff">
      <Group gap="sm" wrap="wrap">
        <Select
          label="From"
          data={options}
          value={from}
          onChange={(v) => v && setFrom(v)}
          w={110}
          allowDeselect={false}
        />
        <Select label="To" data={options} value={to} onChange={(v) => v && setTo(v)} w={110} allowDeselect={false} />
      </Group>
      {same && <Text c="dimmed">Pick two different versions to compare.</Text>}
      {error !== undefined && <ErrorNote error={error} />}
      {!same && loading && !data && <Loading what="the comparison" />}
      {diff !== undefined && plan?.from && plan.to && (
        <>
          <Group gap="xs" className="diff-summary" aria-label="Differences">
            {(['added', 'removed', 'changed'] as const).map((kind) => (
              <Badge key={kind} color={COLOURS[kind]} variant="light" tt="none" data-kind={kind}>
                {kind}: {diff[kind].length === 0 ? 'none' : diff[kind].join(', ')}
              </Badge>
            ))}
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Side
              title={`v${plan.from.number}`}
              spec={plan.from.spec}
              other={plan.to.spec}
              change={(id) => (change(id) === 'added' ? 'same' : change(id))}
            />
            <Side
              title={`v${plan.to.number}`}
              spec={plan.to.spec}
              other={plan.from.spec}
              change={(id) => (change(id) === 'removed' ? 'same' : change(id))}
            />
          </SimpleGrid>
        </>
      )}
    </Stack>
  );
}
