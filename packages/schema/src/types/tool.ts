import type { ToolDefinition } from '@weft/engine';
import { builder } from '../builder.ts';
import { inTenant, type SchemaContext } from '../context.ts';
import { PluginVersionRef } from './refs.ts';

export type ToolInfo = Pick<ToolDefinition, 'name' | 'description' | 'inputSchema' | 'outputSchema'> & {
  plugin?: ToolDefinition['plugin'];
};

interface StatsShape {
  calls: number;
  failures: number;
  retries?: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

interface ToolShape {
  workspaceId: string;
  tool: ToolInfo;
  stats: StatsShape | null;
  /** For a version's declared tools (`PluginVersion.tools`), which are not installed anywhere. */
  pluginVersionId?: string;
}

const object = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
});

/** The built-ins (docs/contract.md "Built-in tools"), listed until the engine that runs them is connected. */
export const BUILT_IN_TOOLS: ToolInfo[] = [
  { name: 'core.echo', description: 'Returns its input as output.', inputSchema: { type: 'object' } },
  {
    name: 'core.sleep',
    description: 'Waits `ms` milliseconds; honours cancel.',
    inputSchema: object({ ms: { type: 'integer', minimum: 0 } }, ['ms']),
    outputSchema: object({ sleptMs: { type: 'integer' } }, ['sleptMs']),
  },
  {
    name: 'core.fail',
    description: 'Fails the first `failTimes` attempts (always when absent) with `message`.',
    inputSchema: object({ message: { type: 'string' }, failTimes: { type: 'integer', minimum: 0 } }),
    outputSchema: object({ ok: { type: 'boolean' } }),
  },
  {
    name: 'core.context.set',
    description: "Writes a key of the execution's shared context.",
    inputSchema: object({ key: { type: 'string' }, value: {} }, ['key']),
  },
  {
    name: 'core.context.get',
    description: "Reads a key of the execution's shared context.",
    inputSchema: object({ key: { type: 'string' } }, ['key']),
  },
];

/** The workspace's tools (injected source, else the engine, else the built-ins) with recorded stats. */
export async function toolsOf(ctx: SchemaContext, workspaceId: string): Promise<ToolShape[]> {
  const { listTools, engine } = ctx.options;
  const tools: ToolInfo[] = listTools
    ? await listTools(workspaceId)
    : engine
      ? await engine.listTools(workspaceId)
      : BUILT_IN_TOOLS;
  const stats = await inTenant(ctx, workspaceId, async (client) => {
    if (engine) {
      const list = await engine.toolStats(client, workspaceId);
      return new Map(list.map((s) => [s.tool, s]));
    }
    const { rows } = await client.query<{
      tool: string;
      calls: number;
      failures: number;
      p50: number | null;
      p95: number | null;
    }>(
      `SELECT tool, count(*)::int AS calls, count(*) FILTER (WHERE status = 'FAILED')::int AS failures,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
         FROM step_attempts WHERE tool IS NOT NULL GROUP BY tool`,
    );
    return new Map(rows.map((r) => [r.tool, { calls: r.calls, failures: r.failures, p50Ms: r.p50, p95Ms: r.p95 }]));
  });
  return tools.map((tool) => ({ workspaceId, tool, stats: stats.get(tool.name) ?? null }));
}

const ToolStatsRef = builder.objectRef<StatsShape>('ToolStats').implement({
  description: "Recorded attempts of the tool in this workspace (the engine's statistics; cache hits excluded).",
  fields: (t) => ({
    calls: t.exposeInt('calls'),
    failures: t.exposeInt('failures'),
    retries: t.int({ nullable: true, resolve: (s) => s.retries ?? null }),
    p50Ms: t.exposeFloat('p50Ms', { nullable: true }),
    p95Ms: t.exposeFloat('p95Ms', { nullable: true }),
  }),
});

export const ToolRef = builder.objectRef<ToolShape>('Tool').implement({
  fields: (t) => ({
    name: t.string({ resolve: (s) => s.tool.name }),
    description: t.string({ resolve: (s) => s.tool.description }),
    inputSchema: t.field({ type: 'JSON', resolve: (s) => s.tool.inputSchema }),
    outputSchema: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.tool.outputSchema ?? null }),
    plugin: t.field({
      type: PluginVersionRef,
      nullable: true,
      description: 'The plugin version providing the tool; null for built-ins.',
      resolve: (s) => s.pluginVersionId ?? s.tool.plugin?.pluginVersionId ?? null,
    }),
    stats: t.field({ type: ToolStatsRef, nullable: true, resolve: (s) => s.stats }),
  }),
});
