import { type EditorState, type Extension, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView } from '@codemirror/view';
import CodeMirror from '@uiw/react-codemirror';
import planSchema from '@weft/engine/plan.schema.json' with { type: 'json' };
import { jsonSchema } from 'codemirror-json-schema';
import { useEffect, useMemo, useState } from 'react';
import type { PlacedError } from './spec-paths.ts';

// The heavy part of the spec editor (CodeMirror and the schema tooling), loaded only when a page
// shows an editor; see spec-editor.tsx.

/** The server's errors of the last save, replaced as a whole by each save. */
const setServerErrors = StateEffect.define<readonly PlacedError[]>();

function errorLines(state: EditorState, errors: readonly PlacedError[]): DecorationSet {
  const byLine = new Map<number, string[]>();
  for (const e of errors) {
    const line = Math.min(Math.max(e.line, 1), state.doc.lines);
    byLine.set(line, [...(byLine.get(line) ?? []), e.message]);
  }
  const builder = new RangeSetBuilder<Decoration>();
  for (const line of [...byLine.keys()].sort((a, b) => a - b)) {
    const message = (byLine.get(line) ?? []).join(' ');
    builder.add(
      state.doc.line(line).from,
      state.doc.line(line).from,
      Decoration.line({ class: 'cm-server-error', attributes: { title: message, 'data-server-error': message } }),
    );
  }
  return builder.finish();
}

/** Marked lines follow the text as it is edited, until the next save replaces them. */
const serverErrorLines = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(lines, tr) {
    let next = lines.map(tr.changes);
    for (const effect of tr.effects) if (effect.is(setServerErrors)) next = errorLines(tr.state, effect.value);
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * The plan's JSON Schema as the engine publishes it: completion, hover and client-side checks
 * while typing. The server stays the judge (tools, references): its errors mark lines too.
 */
const SCHEMA = planSchema as unknown as Parameters<typeof jsonSchema>[0];

export default function PlanEditor(props: {
  value: string;
  onChange: (text: string) => void;
  errors: readonly PlacedError[];
  label: string;
  readOnly?: boolean;
}) {
  const [view, setView] = useState<EditorView | null>(null);
  const extensions = useMemo<Extension[]>(
    () => [
      jsonSchema(SCHEMA),
      serverErrorLines,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': props.label }),
    ],
    [props.label],
  );
  useEffect(() => {
    view?.dispatch({ effects: setServerErrors.of(props.errors) });
  }, [view, props.errors]);
  return (
    <CodeMirror
      className="plan-editor"
      value={props.value}
      onChange={props.onChange}
      extensions={extensions}
      readOnly={props.readOnly ?? false}
      onCreateEditor={setView}
      minHeight="200px"
      maxHeight="560px"
      basicSetup={{ foldGutter: true, autocompletion: true }}
    />
  );
}
