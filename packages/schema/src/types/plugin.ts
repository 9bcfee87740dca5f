import { withTenant } from '@weft/db';
import { type PluginVersionRecord, pluginVersionTools, searchMarketplace } from '@weft/plugin-host';
import { builder } from '../builder.ts';
import { PAGE } from '../keyset-page.ts';
import { COLUMNS, type PluginRow, type PluginVersionRow, toRow } from '../rows.ts';
import { PluginRef, PluginVersionRef } from './refs.ts';
import { ToolRef } from './tool.ts';

export const PluginConnection = builder.connectionObject({ type: PluginRef, name: 'PluginConnection' });

builder.objectFields(PluginRef, (t) => ({
  versions: t.field({
    type: [PluginVersionRef],
    description: 'Published versions, newest first.',
    resolve: async (p, _args, ctx) => {
      const { rows } = await ctx.options.pools.app.query(
        `SELECT ${COLUMNS.pluginVersion} FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id
          WHERE v.plugin_id = $1 ORDER BY v.created_at DESC`,
        [p.id],
      );
      return rows.map((r) => toRow<PluginVersionRow>(r));
    },
  }),
}));

builder.objectFields(PluginVersionRef, (t) => ({
  tools: t.field({
    type: [ToolRef],
    description: "The tools the version's manifest declares, named as plans call them (`plugin.tool`).",
    resolve: (v) =>
      pluginVersionTools({ pluginName: v.pluginName, manifest: v.manifest } as PluginVersionRecord).map((tool) => ({
        workspaceId: '',
        stats: null,
        tool: {
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema,
          ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}),
        },
        pluginVersionId: v.id,
      })),
  }),
}));

builder.queryField('marketplace', (t) =>
  t.connection(
    {
      type: PluginRef,
      description: 'Published plugins (first-party ones included), by name; `search` matches name or description.',
      args: { search: t.arg.string({ required: false }) },
      resolve: async (_root, args, ctx) => {
        const first = Math.min(args.first ?? PAGE.defaultSize, PAGE.maxSize);
        const page = await withTenant(ctx.options.pools.app, { userId: ctx.viewer?.userId ?? null }, (client) =>
          searchMarketplace(client, { search: args.search ?? null, first, after: args.after ?? null }),
        );
        const edges = page.edges.map((e) => ({ cursor: e.cursor, node: e.node satisfies PluginRow }));
        return {
          edges,
          pageInfo: {
            hasNextPage: page.pageInfo.hasNextPage,
            hasPreviousPage: args.after !== null && args.after !== undefined,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: page.pageInfo.endCursor,
          },
        };
      },
    },
    PluginConnection,
  ),
);
