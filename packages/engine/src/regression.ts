import { canonicalJson } from './canonical-json.ts';

/** @public A recorded run: its input, each step's input and output, and its final output. */
export interface RegressionFixture {
  input: unknown;
  output: unknown;
  steps: Record<string, { input?: unknown; output: unknown }>;
}

/** @public One difference between a replay and its fixture. */
export interface RegressionChange {
  stepId: string | null;
  /** INPUT: the step was called with other input; ADDED/REMOVED: a step the fixture lacks/has; OUTPUT: the run's final output. */
  kind: 'INPUT' | 'ADDED' | 'REMOVED' | 'OUTPUT';
  expected: unknown;
  actual: unknown;
}

/**
 * @public What changed between a fixture and a replay that answered every recorded step with its
 * recorded output: outputs of recorded steps cannot differ, so a changed input or final output is
 * the plan's doing (its templates, wiring or steps).
 */
export function compareToFixture(
  fixture: RegressionFixture,
  replay: { output: unknown; steps: readonly { stepId: string; input: unknown; status: string }[] },
): RegressionChange[] {
  const changes: RegressionChange[] = [];
  const seen = new Set<string>();
  for (const step of replay.steps) {
    seen.add(step.stepId);
    const recorded = fixture.steps[step.stepId];
    if (recorded === undefined) {
      changes.push({ stepId: step.stepId, kind: 'ADDED', expected: null, actual: step.input ?? null });
    } else if (
      Object.hasOwn(recorded, 'input') &&
      canonicalJson(recorded.input) !== canonicalJson(step.input ?? null)
    ) {
      changes.push({ stepId: step.stepId, kind: 'INPUT', expected: recorded.input, actual: step.input ?? null });
    }
  }
  for (const [stepId, recorded] of Object.entries(fixture.steps)) {
    if (!seen.has(stepId)) changes.push({ stepId, kind: 'REMOVED', expected: recorded.input ?? null, actual: null });
  }
  if (canonicalJson(fixture.output ?? null) !== canonicalJson(replay.output ?? null)) {
    changes.push({ stepId: null, kind: 'OUTPUT', expected: fixture.output ?? null, actual: replay.output ?? null });
  }
  return changes;
}

/** @public Problems with a fixture's shape (the API's size limits apply separately). */
export function fixtureIssues(value: unknown): { path: string[]; message: string }[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ path: [], message: 'A fixture is an object with "input", "output" and "steps".' }];
  }
  const steps = (value as { steps?: unknown }).steps;
  if (typeof steps !== 'object' || steps === null || Array.isArray(steps)) {
    return [{ path: ['steps'], message: '"steps" maps step ids to { input, output }.' }];
  }
  const issues: { path: string[]; message: string }[] = [];
  for (const [id, step] of Object.entries(steps)) {
    if (typeof step !== 'object' || step === null || !Object.hasOwn(step, 'output')) {
      issues.push({ path: ['steps', id], message: `Step "${id}" needs an "output".` });
    }
  }
  return issues;
}
