import type { JsonSchema, ToolDefinition, ToolStats } from '@weft/engine';

/** What the planner knows about one tool of a workspace: enough to choose it and fill its input. */
export interface ToolCatalogueEntry {
  name: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  /** Capability key shared by interchangeable tools (e.g. `email.send`). */
  provides?: string;
  /** Recorded behaviour in this workspace, when there is any. */
  stats?: ToolStats | null;
}

/** Builds the catalogue from the engine's tool definitions and the learning engine's statistics. */
export function toCatalogue(
  tools: ReadonlyArray<Pick<ToolDefinition, 'name' | 'description' | 'inputSchema' | 'outputSchema' | 'provides'>>,
  stats: readonly ToolStats[] = [],
): ToolCatalogueEntry[] {
  const byTool = new Map(stats.map((s) => [s.tool, s]));
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
    ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}),
    ...(tool.provides ? { provides: tool.provides } : {}),
    stats: byTool.get(tool.name) ?? null,
  }));
}

/** The tool name without a `@range` suffix (`http.request@^1` → `http.request`). */
export function baseToolName(tool: string): string {
  const at = tool.indexOf('@');
  return at === -1 ? tool : tool.slice(0, at);
}
