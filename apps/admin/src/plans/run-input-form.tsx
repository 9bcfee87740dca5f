import { useMutation } from '@apollo/client/react';
import { Alert, Button, Group, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { attempt } from '../errors.ts';
import { START_EXECUTION } from '../graphql/operations.ts';
import { paths } from '../paths.ts';
import { inputFromFields, inputKeys, inputReaders } from './input-refs.ts';

/**
 * Starts a run of one version with an input built from a form: one field per top-level key the
 * spec's templates read (`{{ input.customer.id }}` asks for `customer`). Opens the new run's page.
 */
export function RunInputForm(props: {
  slug: string;
  planId: string;
  version: number;
  spec: unknown;
  disabledReason: string | null;
}) {
  const keys = inputKeys(props.spec);
  const readers = inputReaders(props.spec);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [mode, setMode] = useState<'LIVE' | 'DRY_RUN'>('LIVE');
  const [problem, setProblem] = useState<string | null>(null);
  const [start, starting] = useMutation(START_EXECUTION);
  const navigate = useNavigate();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const { problem: failed, value } = await attempt(
      () =>
        start({
          variables: {
            input: { planId: props.planId, version: props.version, mode, input: inputFromFields(fields) },
          },
        }),
      (result) => ({
        userErrors: result.data?.startExecution.userErrors,
        value: result.data?.startExecution.execution ?? undefined,
      }),
    );
    setProblem(failed);
    if (failed === null && value !== undefined) navigate(paths.run(props.slug, value.id));
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-label={`Run v${props.version}`} className="run-input-form">
      <Stack gap="xs" maw={560}>
        {keys.length === 0 ? (
          <Text size="sm" c="dimmed">
            This version reads no input ({'{{ input.… }}'}); it runs as it is.
          </Text>
        ) : (
          <Text size="sm" c="dimmed">
            One field for each input the steps read. Plain text is sent as a string; JSON (42, true, {'{"a": 1}'}) as
            that value. Empty fields are left out.
          </Text>
        )}
        {keys.map((key) => (
          <TextInput
            key={key}
            label={`input.${key}`}
            description={readers[key] === undefined ? undefined : `Read by ${readers[key].join(', ')}`}
            value={fields[key] ?? ''}
            onChange={(e) => {
              const value = e.currentTarget.value;
              setFields((f) => ({ ...f, [key]: value }));
            }}
          />
        ))}
        <SegmentedControl
          aria-label="Mode"
          value={mode}
          onChange={(v) => setMode(v === 'DRY_RUN' ? 'DRY_RUN' : 'LIVE')}
          data={[
            { value: 'LIVE', label: 'Live run' },
            { value: 'DRY_RUN', label: 'Dry run' },
          ]}
        />
        {problem !== null && (
          <Alert color="red" role="alert">
            {problem}
          </Alert>
        )}
        <Group>
          <Button
            type="submit"
            loading={starting.loading}
            disabled={props.disabledReason !== null}
            title={props.disabledReason ?? undefined}
          >
            {mode === 'DRY_RUN' ? `Dry run v${props.version}` : `Run v${props.version}`}
          </Button>
        </Group>
        {props.disabledReason !== null && <span className="hint">{props.disabledReason}</span>}
      </Stack>
    </form>
  );
}
