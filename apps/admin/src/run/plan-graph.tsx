import dagre from '@dagrejs/dagre';
import { Background, Controls, type Edge, MarkerType, type Node, ReactFlow } from '@xyflow/react';
import { useMemo } from 'react';
import { statusColour } from '../components/status-chip.tsx';
import { planGraph } from './plan-edges.ts';

const WIDTH = 170;
const HEIGHT = 54;

/** Mantine's palette names as colours the graph's borders can use (CSS variables of the theme). */
const cssColour = (name: string) => `var(--mantine-color-${name}-6)`;

/** Node positions from dagre, top to bottom, so any plan lays out without hand placement. */
function layout(spec: unknown): { nodes: { id: string; label: string; x: number; y: number }[]; edges: Edge[] } {
  const graph = planGraph(spec);
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: WIDTH, height: HEIGHT });
  for (const e of graph.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  return {
    nodes: graph.nodes.map((n) => {
      const at = g.node(n.id);
      return { ...n, x: at.x - WIDTH / 2, y: at.y - HEIGHT / 2 };
    }),
    edges: graph.edges.map((e) => ({
      id: `${e.from}->${e.to}`,
      source: e.from,
      target: e.to,
      markerEnd: { type: MarkerType.ArrowClosed },
    })),
  };
}

/** The plan's DAG, each step coloured by its status in this run; clicking a step selects it. */
export function PlanGraph(props: {
  spec: unknown;
  /** Each step's status in a run; null draws the plan alone (no statuses). */
  statuses: Record<string, string> | null;
  selected: string | null;
  onSelect: (stepId: string) => void;
}) {
  const laid = useMemo(() => layout(props.spec), [props.spec]);
  const nodes: Node[] = laid.nodes.map((n) => {
    const status = props.statuses === null ? null : (props.statuses[n.id] ?? 'PENDING');
    const colour = status === null ? 'indigo' : statusColour(status);
    return {
      id: n.id,
      position: { x: n.x, y: n.y },
      data: {
        label: (
          <div className="step-node" data-step={n.id} data-status={status ?? undefined}>
            <strong>{n.id}</strong>
            <small>
              {n.label}
              {status === null ? '' : ` · ${status}`}
            </small>
          </div>
        ),
      },
      connectable: false,
      draggable: false,
      ariaLabel: status === null ? `Step ${n.id}` : `Step ${n.id}: ${status}`,
      style: {
        width: WIDTH,
        borderColor: cssColour(colour),
        borderWidth: props.selected === n.id ? 3 : 2,
        background: `var(--mantine-color-${colour}-0)`,
        padding: 4,
      },
    };
  });
  return (
    <section className="plan-graph" aria-label="Plan graph">
      <ReactFlow
        nodes={nodes}
        edges={laid.edges}
        fitView
        nodesConnectable={false}
        nodesDraggable={false}
        onNodeClick={(_e, node) => props.onSelect(node.id)}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </section>
  );
}
