import { describe, expect, it } from 'vitest';
import { planGraph } from './plan-edges.ts';

describe('planGraph', () => {
  it('joins steps by `after` and by the steps their templates read, ignoring unknown ids', () => {
    const graph = planGraph({
      steps: [
        { id: 'a', tool: 'core.echo' },
        { id: 'b', tool: 'core.echo', input: { text: '{{ steps.a.output.text }}' } },
        { id: 'c', type: 'approval', after: ['a', 'ghost'], if: 'steps.b.output.ok' },
      ],
    });
    expect(graph.nodes).toEqual([
      { id: 'a', label: 'core.echo' },
      { id: 'b', label: 'core.echo' },
      { id: 'c', label: 'approval' },
    ]);
    expect(graph.edges).toEqual([
      { from: 'a', to: 'b' },
      { from: 'a', to: 'c' },
      { from: 'b', to: 'c' },
    ]);
  });

  it('answers an empty graph for a spec it cannot read', () => {
    expect(planGraph(null)).toEqual({ nodes: [], edges: [] });
    expect(planGraph({ steps: 'no' })).toEqual({ nodes: [], edges: [] });
  });
});
