/**
 * `@weft/plugin-sdk`: write Weft plugins. This entry is bundled into the plugin and runs inside the
 * sandbox, so it holds only plain definitions; the sandbox runner lives in `@weft/plugin-sdk/sandbox`,
 * the test harness in `@weft/plugin-sdk/testing`.
 * @packageDocumentation
 */
export { type Static, type TSchema, Type } from '@sinclair/typebox';
export type {
  FetchInit,
  FetchResponse,
  LlmMessage,
  LlmRequest,
  LlmResult,
  LogLevel,
  ToolContext,
  ToolSignal,
} from './context.ts';
export {
  type AnyToolSpec,
  type DryRunBehaviour,
  definePlugin,
  defineTool,
  type PluginDefinition,
  type PluginSpec,
  type ToolSpec,
} from './define.ts';
export { NonRetriableError, RetryAfterError } from './errors.ts';
export { CAPABILITY_PATTERN, type ManifestTool, manifestJsonSchema, type PluginManifest } from './manifest.ts';
