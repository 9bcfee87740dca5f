import { describe, expect, it } from 'vitest';
import { builtinTools } from './builtin-tools.ts';
import { resolveTemplates } from './templates.ts';
import type { StepSpec } from './types.ts';
import { validatePlanSpec } from './validate-plan.ts';

const issuesOf = (...steps: StepSpec[]) =>
  validatePlanSpec({ steps }, builtinTools).issues.map((i) => [i.code, i.path.join('.')]);

describe('plan and map step validation', () => {
  it('accepts a map over a tool or a plan with item and index in its input', () => {
    expect(
      issuesOf(
        { id: 'list', tool: 'core.echo', input: { xs: [1, 2] } },
        { id: 'a', type: 'map', over: '{{ steps.list.output.xs }}', tool: 'core.echo', input: { v: '{{ item }}' } },
        { id: 'b', type: 'map', over: '{{ input.xs }}', plan: 'other', version: 2, input: { i: '{{ index }}' } },
      ),
    ).toEqual([]);
  });

  it('rejects a map without exactly one of tool or plan, or whose over is not one reference', () => {
    expect(issuesOf({ id: 'm', type: 'map', over: '{{ input.xs }}' })).toEqual([['MISSING_TOOL', 'steps.0.tool']]);
    expect(issuesOf({ id: 'm', type: 'map', over: '{{ input.xs }}', tool: 'core.echo', plan: 'p' })).toEqual([
      ['MISSING_TOOL', 'steps.0.tool'],
    ]);
    expect(issuesOf({ id: 'm', type: 'map', over: 'items: {{ input.xs }}', tool: 'core.echo' })).toEqual([
      ['BAD_REFERENCE', 'steps.0.over'],
    ]);
    expect(issuesOf({ id: 'm', type: 'map', tool: 'core.echo' })).toEqual([['SCHEMA', 'steps.0.over']]);
  });

  it('keeps map and plan fields on their own kinds, and item/index inside a map input', () => {
    expect(issuesOf({ id: 's', tool: 'core.echo', concurrency: 2, over: '{{ input.xs }}' })).toEqual([
      ['SCHEMA', 'steps.0.over'],
      ['SCHEMA', 'steps.0.concurrency'],
    ]);
    expect(issuesOf({ id: 's', type: 'plan' })).toEqual([['MISSING_TOOL', 'steps.0.plan']]);
    expect(issuesOf({ id: 's', type: 'plan', plan: 'p', tool: 'core.echo' })).toEqual([['SCHEMA', 'steps.0.tool']]);
    expect(issuesOf({ id: 's', tool: 'core.echo', version: 1 })).toEqual([['SCHEMA', 'steps.0.version']]);
    expect(issuesOf({ id: 'm', type: 'map', over: '{{ item }}', tool: 'core.echo' })).toEqual([
      ['BAD_REFERENCE', 'steps.0.over'],
    ]);
    expect(
      issuesOf({ id: 'm', type: 'map', over: '{{ input.xs }}', tool: 'core.echo', input: { v: '{{ index.x }}' } }),
    ).toEqual([['BAD_REFERENCE', 'steps.0.input.v']]);
  });

  it('makes over a dependency like any reference', () => {
    expect(issuesOf({ id: 'm', type: 'map', over: '{{ steps.ghost.output }}', tool: 'core.echo' })).toEqual([
      ['UNKNOWN_REFERENCE', 'steps.0.over'],
    ]);
  });

  it('resolves item and index: exact references keep their type, others interpolate', () => {
    const scope = { input: {}, steps: {}, context: {}, item: { sku: 'a', n: 3 }, index: 7 };
    expect(
      resolveTemplates({ n: '{{ item.n }}', i: '{{ index }}', label: '#{{ index }} {{ item.sku }}' }, scope),
    ).toEqual({
      n: 3,
      i: 7,
      label: '#7 a',
    });
  });
});
