import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.ts';
import { type PluginRow, type PluginVersionRow, toRow } from '../rows.ts';
import { PluginRef, PluginVersionRef } from './refs.ts';
import { ToolRef } from './tool.ts';
import { PAGE } from './workspace.ts';

export const PluginConnection = builder.connectionObject({ type: PluginRef, name: 'PluginConnection' });

builder.objectFields(PluginRef, (t) => ({
  versions: t.field({
    type: [PluginVersionRef],
    resolve: async (p, _args, ctx) => {
      const { rows } = await ctx.options.pools.app.query(
        `SELECT id, plugin_id, version, capabilities, integrity, manifest FROM plugin_versions
          WHERE plugin_id = $1 ORDER BY created_at DESC`,
        [p.id],
      );
      return rows.map((r) => toRow<PluginVersionRow>(r));
    },
  }),
}));

interface ManifestTool {
  name?: unknown;
  description?: unknown;
  inputSchema?: unknown;
  outputSchema?: unknown;
}

builder.objectFields(PluginVersionRef, (t) => ({
  tools: t.field({
    type: [ToolRef],
    description: "The tools the version's manifest declares.",
    resolve: (v) => {
      const tools = (v.manifest as { tools?: unknown } | null)?.tools;
      if (!Array.isArray(tools)) return [];
      return tools.map((tool: ManifestTool) => ({
        workspaceId: '',
        stats: null,
        tool: {
          name: String(tool.name ?? ''),
          description: String(tool.description ?? ''),
          inputSchema: (tool.inputSchema ?? {}) as Record<string, unknown>,
          outputSchema: tool.outputSchema as Record<string, unknown> | undefined,
        },
      }));
    },
  }),
}));

builder.queryField('marketplace', (t) =>
  t.connection(
    {
      type: PluginRef,
      args: { search: t.arg.string({ required: false }) },
      resolve: (_root, args, ctx) =>
        resolveOffsetConnection({ args, ...PAGE }, async ({ offset, limit }) => {
          const { rows } = await ctx.options.pools.app.query(
            `SELECT id, name, publisher, description FROM plugins
              WHERE $1::text IS NULL OR name ILIKE '%' || $1 || '%' OR description ILIKE '%' || $1 || '%'
              ORDER BY name LIMIT $2 OFFSET $3`,
            [args.search ?? null, limit, offset],
          );
          return rows.map((r) => toRow<PluginRow>(r));
        }),
    },
    PluginConnection,
  ),
);
