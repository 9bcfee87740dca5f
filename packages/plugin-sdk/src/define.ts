import type { Static, TSchema, TUnknown } from '@sinclair/typebox';
import type { ToolContext } from './context.ts';

/** @public What a tool does when its step runs in dry-run mode: run for real, or answer a mock. */
export type DryRunBehaviour = 'run' | 'mock';

/** @public A tool as {@link defineTool} returns it. */
export interface ToolSpec<I extends TSchema = TSchema, O extends TSchema = TSchema> {
  /** Short name, unique in the plugin; plans call it as `<plugin>.<name>`. */
  name: string;
  description: string;
  /** TypeBox schema of the input; it becomes JSON Schema in the manifest and types `run`'s input. */
  input: I;
  /** TypeBox schema of the output (checked by the sandbox after each call). */
  output?: O;
  /** Same input, same output: the engine may cache results when a step sets `cacheTtlMs`. */
  cacheable?: boolean;
  dryRun?: DryRunBehaviour;
  /** A capability key several tools may share (e.g. `email.send`). */
  provides?: string;
  run(input: Static<I>, ctx: ToolContext): Promise<Static<O>> | Static<O>;
}

/** @public A tool of any schema, as a plugin's `tools` list holds it. */
// biome-ignore lint/suspicious/noExplicitAny: the list is heterogeneous; each tool is typed where it is defined.
export type AnyToolSpec = ToolSpec<any, any>;

/** @public The argument of {@link definePlugin}. */
export interface PluginSpec {
  /** Marketplace name: lower-case letters, digits and dashes. */
  name: string;
  /** Semver of this release; published versions are immutable. */
  version: string;
  description: string;
  /** Capabilities the plugin cannot work without: installing requires granting each. */
  capabilities?: string[];
  /** Capabilities an admin may withhold; calls that need a withheld one fail with a clear error. */
  optionalCapabilities?: string[];
  tools: AnyToolSpec[];
}

/** @public A plugin as {@link definePlugin} returns it: the default export of a plugin's entry file. */
export interface PluginDefinition extends PluginSpec {
  readonly kind: 'weft-plugin';
}

/**
 * Defines one tool. The input and output are TypeBox schemas, so `run` is typed and the manifest
 * carries plain JSON Schema.
 * @public
 * @example
 * import { defineTool, Type } from '@weft/plugin-sdk';
 *
 * export const greet = defineTool({
 *   name: 'greet',
 *   description: 'Says hello',
 *   input: Type.Object({ name: Type.String() }),
 *   output: Type.Object({ greeting: Type.String() }),
 *   cacheable: true,
 *   run: async ({ name }) => ({ greeting: `Hello, ${name}!` }),
 * });
 */
export function defineTool<I extends TSchema, O extends TSchema = TUnknown>(spec: ToolSpec<I, O>): ToolSpec<I, O> {
  return spec;
}

/**
 * Defines a plugin: export its result as the default export of the plugin's entry file
 * (`src/index.ts`), then `weft-plugin build`.
 * @public
 * @example
 * import { definePlugin } from '@weft/plugin-sdk';
 * import { greet } from './greet.ts';
 *
 * export default definePlugin({
 *   name: 'hello',
 *   version: '1.0.0',
 *   description: 'Greetings',
 *   capabilities: ['kv'],
 *   tools: [greet],
 * });
 */
export function definePlugin(spec: PluginSpec): PluginDefinition {
  return { ...spec, kind: 'weft-plugin' };
}
