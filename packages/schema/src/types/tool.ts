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

/** The workspace's tools (the engine's, built-ins included) with the engine's statistics. */
export async function toolsOf(ctx: SchemaContext, workspaceId: string): Promise<ToolShape[]> {
  const { listTools, engine } = ctx.options;
  const tools: ToolInfo[] = await listTools(workspaceId);
  const stats = await inTenant(ctx, workspaceId, (client) => engine.toolStats(client, workspaceId));
  const byTool = new Map(stats.map((s) => [s.tool, s]));
  return tools.map((tool) => ({ workspaceId, tool, stats: byTool.get(tool.name) ?? null }));
}

const ToolStatsRef = builder.objectRef<StatsShape>('ToolStats').implement({
  description:
    "The tool's finished calls in this workspace, as the engine counts them: calls succeeded, failed or lost; failures are failed or lost; cache hits and compensations are not calls.",
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
