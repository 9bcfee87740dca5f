/** A plan's steps and the edges between them, read from its spec as the API returns it (JSON). */
export interface PlanNode {
  id: string;
  label: string;
}
export interface PlanEdge {
  from: string;
  to: string;
}

const STEP_REFERENCE = /steps\.([A-Za-z0-9_-]+)/g;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Dependencies are a step's `after` plus every step its templates and `if` read
 * (`{{ steps.fetch.output }}`): the same edges the engine waits on.
 */
export function planGraph(spec: unknown): { nodes: PlanNode[]; edges: PlanEdge[] } {
  const steps = isRecord(spec) && Array.isArray(spec.steps) ? spec.steps.filter(isRecord) : [];
  const ids = new Set(steps.map((s) => String(s.id)));
  const nodes: PlanNode[] = [];
  const edges: PlanEdge[] = [];
  for (const step of steps) {
    const id = String(step.id);
    const kind = typeof step.type === 'string' && step.type !== 'tool' ? step.type : undefined;
    const tool = typeof step.tool === 'string' ? step.tool : undefined;
    nodes.push({ id, label: tool ?? kind ?? '' });
    const from = new Set<string>(Array.isArray(step.after) ? step.after.map(String) : []);
    const { id: _id, after: _after, ...rest } = step;
    for (const match of JSON.stringify(rest).matchAll(STEP_REFERENCE)) {
      if (match[1] !== undefined) from.add(match[1]);
    }
    for (const dep of from) if (dep !== id && ids.has(dep)) edges.push({ from: dep, to: id });
  }
  return { nodes, edges };
}
