import { useMutation } from '@apollo/client/react';
import { Button, Group, JsonInput, Modal, Select, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { attempt, describeError, type UserError } from '../errors.ts';
import {
  CANCEL_EXECUTION,
  PAUSE_EXECUTION,
  RERUN_EXECUTION,
  RESUME_EXECUTION,
  RETRY_EXECUTION,
  ROLLBACK_EXECUTION,
} from '../graphql/operations.ts';
import { paths } from '../paths.ts';

interface Control {
  label: string;
  // Every control's document answers the same shape (its field aliased `payload`, operations.ts).
  document: typeof PAUSE_EXECUTION;
  /** Destructive controls ask first, with this question. */
  confirm?: string;
}

const PAUSE: Control = { label: 'Pause', document: PAUSE_EXECUTION };
const RESUME: Control = { label: 'Resume', document: RESUME_EXECUTION };
const CANCEL: Control = {
  label: 'Cancel',
  document: CANCEL_EXECUTION,
  confirm: 'Steps not started will never start and running ones are aborted. A cancelled run cannot be resumed.',
};
const RETRY: Control = { label: 'Retry', document: RETRY_EXECUTION };
const ROLLBACK: Control = {
  label: 'Roll back',
  document: ROLLBACK_EXECUTION,
  confirm: 'Runs the compensation of every completed step, newest first. This cannot be undone.',
};

/** The controls the engine accepts in each status (anything else would come back INVALID_STATE). */
export const CONTROLS_BY_STATUS: Record<string, Control[]> = {
  QUEUED: [PAUSE, CANCEL],
  RUNNING: [PAUSE, CANCEL],
  WAITING_APPROVAL: [PAUSE, CANCEL],
  PAUSED: [RESUME, CANCEL],
  FAILED: [RETRY, ROLLBACK],
  CANCELLED: [ROLLBACK],
  SUCCEEDED: [ROLLBACK],
};

function ControlButton(props: {
  control: Control;
  executionId: string;
  disabledReason: string | null;
  onDone: (problem: string | null) => void;
}) {
  const [run, { loading }] = useMutation(props.control.document);
  async function click() {
    const { problem } = await attempt(
      () => run({ variables: { input: { id: props.executionId } } }),
      (result) => ({ userErrors: result.data?.payload.userErrors }),
    );
    props.onDone(problem);
  }
  if (props.control.confirm !== undefined) {
    return (
      <ConfirmButton
        label={props.control.label}
        question={props.control.confirm}
        color="red"
        loading={loading}
        disabledReason={props.disabledReason}
        onConfirm={click}
      />
    );
  }
  return (
    <Button
      size="xs"
      variant="light"
      loading={loading}
      disabled={props.disabledReason !== null}
      title={props.disabledReason ?? undefined}
      onClick={() => void click()}
    >
      {props.control.label}
    </Button>
  );
}

/** Re-run: a new run of the same version and mode, with the input edited first (checked as JSON before it is sent). */
function RerunButton(props: {
  slug: string;
  executionId: string;
  input: unknown;
  stepIds: string[];
  disabledReason: string | null;
}) {
  const [fromStep, setFromStep] = useState<string | null>(null);
  const [opened, { open, close }] = useDisclosure(false);
  const [text, setText] = useState(() => JSON.stringify(props.input ?? {}, null, 2));
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [stepError, setStepError] = useState<string | null>(null);
  const [rerun, { loading }] = useMutation(RERUN_EXECUTION);
  const navigate = useNavigate();
  async function submit() {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (error) {
      setFieldError(`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    setFieldError(null);
    try {
      const result = await rerun({
        variables: {
          input: { id: props.executionId, input, ...(fromStep === null ? {} : { fromStepId: fromStep }) },
        },
      });
      const payload = result.data?.rerunExecution;
      const errors: UserError[] = payload?.userErrors ?? [];
      const onInput = errors.filter((e) => e.field?.[0] === 'input');
      const onStep = errors.filter((e) => e.field?.[0] === 'fromStepId');
      const others = errors.filter((e) => e.field?.[0] !== 'input' && e.field?.[0] !== 'fromStepId');
      setFieldError(onInput.length > 0 ? onInput.map((e) => e.message).join('; ') : null);
      setStepError(onStep.length > 0 ? onStep.map((e) => e.message).join('; ') : null);
      setProblem(others.length > 0 ? others.map((e) => e.message).join('; ') : null);
      if (errors.length === 0 && payload?.execution) {
        close();
        navigate(paths.run(props.slug, payload.execution.id));
      }
    } catch (error) {
      setProblem(describeError(error));
    }
  }
  return (
    <>
      <Button
        size="xs"
        variant="light"
        disabled={props.disabledReason !== null}
        title={props.disabledReason ?? undefined}
        onClick={open}
      >
        Re-run
      </Button>
      <Modal opened={opened} onClose={close} title="Re-run with input" centered size="lg">
        <Text size="sm" mb="xs">
          Starts a new run of the same plan version and mode. This run stays as it is.
        </Text>
        <Select
          label="From step"
          description="That step and every step after it run again; the others keep this run's outputs."
          placeholder="the whole run"
          clearable
          data={props.stepIds}
          value={fromStep}
          onChange={setFromStep}
          error={stepError}
          comboboxProps={{ withinPortal: false }}
          mb="xs"
        />
        {/* The input checks JSON itself on blur; while the text is invalid its message wins over `error`. */}
        <JsonInput
          label="Input"
          autosize
          minRows={4}
          maxRows={16}
          value={text}
          onChange={setText}
          validationError="Not valid JSON"
          error={fieldError}
        />
        {problem !== null && (
          <Text c="red" size="sm" role="alert" mt="xs">
            {problem}
          </Text>
        )}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={close}>
            Close
          </Button>
          <Button loading={loading} onClick={() => void submit()}>
            Start the new run
          </Button>
        </Group>
      </Modal>
    </>
  );
}

/** Every control the run's status allows; for a role that may not use them they stay visible, disabled, with why. */
export function RunControls(props: {
  slug: string;
  executionId: string;
  status: string;
  input: unknown;
  stepIds: string[];
  disabledReason: string | null;
  onDone: (problem: string | null) => void;
}) {
  return (
    <div>
      <Group gap="xs" wrap="wrap" aria-label="Run controls" role="group">
        {(CONTROLS_BY_STATUS[props.status] ?? []).map((c) => (
          <ControlButton
            key={c.label}
            control={c}
            executionId={props.executionId}
            disabledReason={props.disabledReason}
            onDone={props.onDone}
          />
        ))}
        <RerunButton
          slug={props.slug}
          executionId={props.executionId}
          input={props.input}
          stepIds={props.stepIds}
          disabledReason={props.disabledReason}
        />
      </Group>
      {props.disabledReason !== null && (
        <Text size="sm" c="dimmed" className="hint" mt={4}>
          {props.disabledReason}
        </Text>
      )}
    </div>
  );
}
