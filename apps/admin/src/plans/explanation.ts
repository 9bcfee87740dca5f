/**
 * The planner explains a draft in sentences; those about one step (naming it or its tool, and no
 * other step) are shown beside that step, so the reader sees why each tool was chosen where it is
 * used. Sentences about the whole plan stay in the general explanation.
 */
export function sentences(explanation: string | null | undefined): string[] {
  if (!explanation) return [];
  return explanation
    .split(/(?<=[.!?])\s+(?=[A-Z])/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Case-insensitive: the planner starts a sentence with the step's id capitalised ("Set reads …").
const names = (text: string, name: string) =>
  new RegExp(`(^|[^\\w.-])${escapeRegExp(name)}($|[^\\w-])`, 'i').test(text);

export interface StepRef {
  id: string;
  tool: string | null;
}

export function sentencesAbout(all: readonly string[], step: StepRef, steps: readonly StepRef[]): string[] {
  const others = steps.filter((s) => s.id !== step.id);
  return all.filter(
    (s) =>
      (names(s, step.id) || (step.tool !== null && names(s, step.tool))) &&
      !others.some((o) => names(s, o.id) || (o.tool !== null && o.tool !== step.tool && names(s, o.tool))),
  );
}
