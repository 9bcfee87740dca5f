import { Alert, Button, Grid, Group, Stack, TextInput } from '@mantine/core';
import { type FormEvent, type ReactNode, useRef, useState } from 'react';
import { ConfirmButton } from '../components/confirm-button.tsx';
import type { UserError } from '../errors.ts';
import { SpecEditor } from './spec-editor.tsx';
import { SpecErrors } from './spec-errors.tsx';
import { type PlacedError, parseSpecText, placeSpecErrors } from './spec-paths.ts';
import { UnsavedGuard } from './unsaved-guard.tsx';

export interface SaveOutcome {
  problem: string | null;
  userErrors: UserError[];
}

const message = (errors: readonly UserError[], field: string) =>
  errors
    .filter((e) => e.field?.[0] === field)
    .map((e) => e.message)
    .join(' ') || null;

/**
 * A spec in the JSON editor and what saving it asks for (a message; a name for a new plan). The
 * server's errors land beside what they are about: spec errors on their lines and in a list next
 * to the editor, name and message errors under those fields, anything else above the button.
 * The parent owns the text, so it can draw the graph of what is being edited.
 */
export function SpecSaveForm(props: {
  text: string;
  onText: (text: string) => void;
  /** The text to go back to on "Discard changes"; null: nothing to discard to. */
  savedText: string | null;
  askName?: { initial: string } | undefined;
  saveLabel: string;
  disabledReason: string | null;
  onSave: (values: { spec: unknown; name: string; message: string }) => Promise<SaveOutcome>;
  aside?: ReactNode;
}) {
  const [name, setName] = useState(props.askName?.initial ?? '');
  const [note, setNote] = useState('');
  const [specErrors, setSpecErrors] = useState<readonly PlacedError[]>([]);
  const [others, setOthers] = useState<UserError[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // While a save is under way the parent may navigate to what it saved: that is not leaving edits.
  const saveInFlight = useRef(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    const parsed = parseSpecText(props.text);
    if (!parsed.ok) {
      setSpecErrors([]);
      setOthers([]);
      setProblem(parsed.message);
      return;
    }
    setSaving(true);
    saveInFlight.current = true;
    const outcome = await props.onSave({ spec: parsed.spec, name, message: note }).finally(() => {
      saveInFlight.current = false;
    });
    setSaving(false);
    const placed = placeSpecErrors(props.text, outcome.userErrors);
    setSpecErrors(placed.inSpec);
    setOthers(placed.others);
    const rest = placed.others.filter((e) => !['name', 'message'].includes(e.field?.[0] ?? ''));
    setProblem(
      outcome.userErrors.length === 0 ? outcome.problem : rest.length > 0 ? rest.map((e) => e.message).join(' ') : null,
    );
  }

  const dirty = props.savedText !== null && props.text !== props.savedText;
  return (
    <form onSubmit={(e) => void save(e)} className="spec-form" aria-label="Plan spec">
      <UnsavedGuard when={() => dirty && !saveInFlight.current} />
      <Grid>
        <Grid.Col span={{ base: 12, md: 8 }} miw={0}>
          <SpecEditor
            value={props.text}
            onChange={props.onText}
            errors={specErrors}
            label="Plan spec (JSON)"
            readOnly={props.disabledReason !== null}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }} miw={0}>
          <Stack gap="sm">
            <SpecErrors errors={specErrors} />
            {props.aside}
          </Stack>
        </Grid.Col>
      </Grid>
      <Stack gap="xs" mt="sm" maw={560}>
        {props.askName !== undefined && (
          <TextInput
            label="Name"
            required
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={message(others, 'name')}
          />
        )}
        <TextInput
          label="Version message"
          description="What changed and why; shown in the versions list."
          maxLength={2000}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          error={message(others, 'message')}
        />
        {problem !== null && (
          <Alert color="red" role="alert" className="form-error">
            {problem}
          </Alert>
        )}
        <Group gap="xs">
          <Button
            type="submit"
            loading={saving}
            disabled={props.disabledReason !== null}
            title={props.disabledReason ?? undefined}
          >
            {props.saveLabel}
          </Button>
          {dirty && props.savedText !== null && (
            <ConfirmButton
              label="Discard changes"
              question="Your edits to the spec will be lost."
              variant="default"
              size="sm"
              onConfirm={() => {
                props.onText(props.savedText ?? '');
                setSpecErrors([]);
                setProblem(null);
              }}
            />
          )}
        </Group>
        {props.disabledReason !== null && <span className="hint">{props.disabledReason}</span>}
      </Stack>
    </form>
  );
}
