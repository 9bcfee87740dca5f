/**
 * `@weft/plugin-sdk/build`: what the `weft-plugin` CLI does, as functions (Node only).
 * @packageDocumentation
 */
export {
  BUNDLE_FILE,
  type BuildOptions,
  type BuiltPlugin,
  buildPlugin,
  MANIFEST_FILE,
  manifestFor,
  PluginBuildError,
  readBuiltPlugin,
  validateManifest,
} from './build.ts';
export { PublishError, type PublishResult, type PublishUserError, publishPlugin } from './publish.ts';
