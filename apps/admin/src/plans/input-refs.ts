/**
 * The top-level keys of the execution input a spec reads: every `{{ input.<key>... }}` in its
 * templates (step inputs, conditions, messages). The run form asks for one field per key.
 */
const INPUT_REFERENCE = /\{\{\s*input\.([A-Za-z_$][\w$-]*)/g;

export function inputKeys(spec: unknown): string[] {
  const keys = new Set<string>();
  for (const match of JSON.stringify(spec ?? null).matchAll(INPUT_REFERENCE)) {
    if (match[1] !== undefined) keys.add(match[1]);
  }
  return [...keys].sort();
}

/**
 * A field's text as the value sent: JSON when it parses (`42`, `true`, `{"a":1}`, `"quoted"`),
 * the text itself otherwise, so a plain word needs no quotes. Empty fields are left out.
 */
export function inputFromFields(fields: Record<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(fields)) {
    if (text.trim() === '') continue;
    try {
      input[key] = JSON.parse(text);
    } catch {
      input[key] = text;
    }
  }
  return input;
}

/** For each input key, the ids of the steps that read it, so each field says where it goes. */
export function inputReaders(spec: unknown): Record<string, string[]> {
  const steps = typeof spec === 'object' && spec !== null && 'steps' in spec ? spec.steps : [];
  const readers: Record<string, string[]> = {};
  for (const step of Array.isArray(steps) ? steps : []) {
    const id = typeof step === 'object' && step !== null && 'id' in step ? String(step.id) : '?';
    for (const key of inputKeys(step)) readers[key] = [...(readers[key] ?? []), id];
  }
  return readers;
}
