// Names for the marketplace's shapes, taken from the types generated from operations.ts.
import type { PluginPageQuery, WorkspaceToolsQuery } from '../graphql/generated/graphql.ts';

export type PluginDetails = PluginPageQuery['marketplace']['edges'][number]['node'];
export type PluginVersionDetails = PluginDetails['versions'][number];
export type Installation = NonNullable<PluginPageQuery['workspace']>['installedPlugins'][number];
export type WorkspaceTool = NonNullable<WorkspaceToolsQuery['workspace']>['tools'][number];
