import { describe, expect, it } from 'vitest';
import { builtinTools } from './builtin-tools.ts';
import { diffPlans } from './plan-diff.ts';
import { inferDependencies } from './plan-graph.ts';
import type { StepSpec } from './types.ts';
import { validatePlanSpec } from './validate-plan.ts';

function issues(...steps: unknown[]) {
  return validatePlanSpec({ steps }, builtinTools).issues.map((i) => `${i.code} ${i.path.join('.')}: ${i.message}`);
}

describe('sleep and wait steps in plans', () => {
  it('accepts a sleep by duration or until (literal or templated), and a wait with match and timeout', () => {
    const steps: StepSpec[] = [
      { id: 'a', type: 'sleep', durationMs: 86_400_000 },
      { id: 'b', type: 'sleep', until: '2030-01-01T09:00:00+02:00' },
      { id: 'c', type: 'sleep', until: '{{ input.at }}' },
      { id: 'w', type: 'wait', event: 'order.paid', match: { orderId: '{{ input.id }}', n: 1 }, timeoutMs: 5000 },
      { id: 'd', tool: 'core.echo', input: { paid: '{{ steps.w.output.amount }}' } },
    ];
    expect(validatePlanSpec({ steps }, builtinTools)).toEqual({ spec: { steps }, issues: [] });
  });

  it('a sleep takes exactly one of durationMs and until, and until must be an ISO date-time with a zone', () => {
    expect(issues({ id: 's', type: 'sleep' })).toEqual([
      'SCHEMA steps.0.durationMs: a sleep step takes exactly one of "durationMs" and "until"',
    ]);
    expect(issues({ id: 's', type: 'sleep', durationMs: 5, until: '2030-01-01T00:00:00Z' })).toEqual([
      'SCHEMA steps.0.until: a sleep step takes exactly one of "durationMs" and "until"',
    ]);
    expect(issues({ id: 's', type: 'sleep', until: 'next tuesday' })).toEqual([
      'SCHEMA steps.0.until: "until" must be an ISO 8601 date-time with a time zone (e.g. "2030-01-01T09:00:00Z"), or a template',
    ]);
    expect(issues({ id: 's', type: 'sleep', until: '2030-01-01T09:00:00' })).toHaveLength(1);
  });

  it('a wait needs its event; fields of other kinds are refused on their path', () => {
    expect(issues({ id: 'w', type: 'wait' })).toEqual(['SCHEMA steps.0.event: a wait step needs "event"']);
    expect(
      issues({ id: 'w', type: 'wait', event: 'e', tool: 'core.echo', durationMs: 3, retry: { maxAttempts: 2 } }),
    ).toEqual([
      'SCHEMA steps.0.tool: "tool" does not apply to a wait step',
      'SCHEMA steps.0.retry: "retry" does not apply to a wait step',
      'SCHEMA steps.0.durationMs: "durationMs" does not apply to a wait step',
    ]);
    expect(issues({ id: 's', type: 'sleep', durationMs: 1, timeoutMs: 5 })).toEqual([
      'SCHEMA steps.0.timeoutMs: "timeoutMs" does not apply to a sleep step',
    ]);
    expect(issues({ id: 't', tool: 'core.echo', input: {}, event: 'x' })).toEqual([
      'SCHEMA steps.0.event: "event" applies only to wait steps (set "type")',
    ]);
    expect(issues({ id: 'w', type: 'wait', event: 'has space' })).toHaveLength(1);
  });

  it('checks templates in until and match like input references, and makes them dependencies', () => {
    expect(
      issues(
        { id: 's', type: 'sleep', until: '{{ steps.nope.output.at }}' },
        { id: 'w', type: 'wait', event: 'e', match: { id: '{{ steps.w.output.id }}', bad: '{{ oops' } },
      ),
    ).toEqual([
      'UNKNOWN_REFERENCE steps.0.until: {{ steps.nope.output.at }} references unknown step "nope"',
      'STEP_NOT_UPSTREAM steps.1.match.id: {{ steps.w.output.id }}: a step cannot use its own output as input',
      'BAD_REFERENCE steps.1.match.bad: {{ oops: unterminated "{{"',
    ]);
    const deps = inferDependencies({
      steps: [
        { id: 'a', tool: 'core.echo', input: {} },
        { id: 's', type: 'sleep', until: '{{ steps.a.output.at }}' },
        { id: 'w', type: 'wait', event: 'e', match: { k: '{{ steps.s.output.sleptMs }}' } },
      ],
    });
    expect(deps.get('s')).toEqual(['a']);
    expect(deps.get('w')).toEqual(['s']);
  });

  it('caps core.sleep at 60 s with an issue that points at type "sleep"', () => {
    expect(issues({ id: 'nap', tool: 'core.sleep', input: { ms: 60_000 } })).toEqual([]);
    expect(issues({ id: 'nap', tool: 'core.sleep', input: { ms: 7_200_000 } })).toEqual([
      'INVALID_TOOL_INPUT steps.0.input.ms: core.sleep holds a worker slot and is capped at 60000 ms; for longer waits use a durable sleep step: { "id": "nap", "type": "sleep", "durationMs": 7200000 }',
    ]);
  });

  it('diffs the new fields like any other', () => {
    const before: StepSpec[] = [{ id: 'w', type: 'wait', event: 'a', match: { x: 1 } }];
    const after: StepSpec[] = [{ id: 'w', type: 'wait', event: 'a', match: { x: 2 }, timeoutMs: 10 }];
    expect(diffPlans({ steps: before }, { steps: after })).toEqual({
      added: [],
      removed: [],
      changed: ['w'],
      changedFields: { w: ['match', 'timeoutMs'] },
    });
  });
});
