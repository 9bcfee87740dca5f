/** `weft-plugin build`: one bundle file plus `manifest.json` with the bundle's integrity. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { Ajv } from 'ajv';
import { build } from 'esbuild';
import type { AnyToolSpec, PluginDefinition } from './define.ts';
import { type ManifestTool, manifestJsonSchema, type PluginManifest } from './manifest.ts';
import { bundleIntegrity } from './sandbox/integrity.ts';

/** @public Where `weft-plugin build` writes, relative to the plugin folder. */
export const BUNDLE_FILE = 'dist/bundle.js';
/** @public Where `weft-plugin build` writes the manifest, relative to the plugin folder. */
export const MANIFEST_FILE = 'dist/manifest.json';

/** @public A built plugin: the manifest and the exact bundle text its integrity covers. */
export interface BuiltPlugin {
  manifest: PluginManifest;
  bundle: string;
}

/** @public Options of {@link buildPlugin}. */
export interface BuildOptions {
  /** Entry file relative to the plugin folder (default `src/index.ts`). */
  entry?: string;
  /** Write `dist/` (default true). */
  write?: boolean;
  /** The entry's source text instead of a file (imports resolve from the plugin folder). */
  source?: string;
}

/** @public A build problem the author must fix (the CLI prints `message` and exits 1). */
export class PluginBuildError extends Error {
  override name = 'PluginBuildError';
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

async function sdkVersion(): Promise<string> {
  const pkg: unknown = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
    ? pkg.version
    : '0.0.0';
}

function toJsonSchema(schema: unknown): Record<string, unknown> {
  // TypeBox marks schemas with symbols; JSON drops them and leaves plain JSON Schema.
  const plain: unknown = JSON.parse(JSON.stringify(schema ?? {}));
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new PluginBuildError('tool schemas must be objects (TypeBox schemas)');
  }
  return plain as Record<string, unknown>;
}

function loadDefinition(bundle: string): PluginDefinition {
  let exported: unknown;
  try {
    exported = runInNewContext(`${bundle}\n;__weftPlugin`, {}, { timeout: 5_000, filename: 'bundle.js' });
  } catch (error) {
    throw new PluginBuildError(
      `evaluating the bundle failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const plugin =
    typeof exported === 'object' && exported !== null && 'default' in exported
      ? (exported.default as unknown)
      : undefined;
  if (typeof plugin !== 'object' || plugin === null || !('kind' in plugin) || plugin.kind !== 'weft-plugin') {
    throw new PluginBuildError('the entry file must `export default definePlugin({...})`');
  }
  return plugin as PluginDefinition;
}

/**
 * @public Builds a manifest from a plugin definition and its bundle, validating both.
 * @example
 * const manifest = await manifestFor(plugin, bundle);
 */
export async function manifestFor(plugin: PluginDefinition, bundle: string): Promise<PluginManifest> {
  const tools: ManifestTool[] = plugin.tools.map((tool: AnyToolSpec) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: toJsonSchema(tool.input),
    ...(tool.output === undefined ? {} : { outputSchema: toJsonSchema(tool.output) }),
    ...(tool.cacheable === undefined ? {} : { cacheable: tool.cacheable }),
    ...(tool.dryRun === undefined ? {} : { dryRun: tool.dryRun }),
    ...(tool.provides === undefined ? {} : { provides: tool.provides }),
  }));
  const manifest: PluginManifest = {
    manifestVersion: 1,
    name: plugin.name,
    version: plugin.version,
    description: plugin.description,
    capabilities: plugin.capabilities ?? [],
    optionalCapabilities: plugin.optionalCapabilities ?? [],
    tools,
    integrity: bundleIntegrity(bundle),
    sdkVersion: await sdkVersion(),
  };
  const problems = validateManifest(manifest);
  if (problems.length > 0) throw new PluginBuildError(`invalid plugin: ${problems.join('; ')}`);
  return manifest;
}

/**
 * @public Problems of a manifest (empty when valid): schema, semver, duplicate tool names.
 * @example
 * const problems = validateManifest(JSON.parse(text));
 * if (problems.length > 0) console.error(problems.join('\n'));
 */
export function validateManifest(manifest: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(manifestJsonSchema);
  const problems: string[] = [];
  if (!validate(manifest)) {
    for (const e of validate.errors ?? []) problems.push(`${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    return problems;
  }
  const m = manifest as PluginManifest;
  if (!SEMVER.test(m.version)) problems.push(`/version "${m.version}" is not a semver version`);
  const seen = new Set<string>();
  for (const tool of m.tools) {
    if (seen.has(tool.name)) problems.push(`/tools tool "${tool.name}" is defined twice`);
    seen.add(tool.name);
  }
  return problems;
}

/**
 * @public Bundles a plugin folder into one file and writes `dist/bundle.js` and `dist/manifest.json`.
 * @example
 * const { manifest } = await buildPlugin('./my-plugin');
 * console.log(manifest.integrity);
 */
export async function buildPlugin(dir: string, options: BuildOptions = {}): Promise<BuiltPlugin> {
  const root = resolve(dir);
  const result = await build({
    ...(options.source === undefined
      ? { entryPoints: [join(root, options.entry ?? 'src/index.ts')] }
      : { stdin: { contents: options.source, resolveDir: root, loader: 'ts' as const, sourcefile: 'index.ts' } }),
    absWorkingDir: root,
    bundle: true,
    write: false,
    format: 'iife',
    globalName: '__weftPlugin',
    // The sandbox is plain ECMAScript: no Node, no DOM.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).catch((error: unknown) => {
    throw new PluginBuildError(`bundling failed: ${error instanceof Error ? error.message : String(error)}`);
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new PluginBuildError('esbuild produced no output');
  const bundle = file.text;
  const manifest = await manifestFor(loadDefinition(bundle), bundle);
  if (options.write !== false) {
    await mkdir(join(root, 'dist'), { recursive: true });
    await writeFile(join(root, BUNDLE_FILE), bundle);
    await writeFile(join(root, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return { manifest, bundle };
}

/**
 * @public Reads a built plugin (`dist/manifest.json` + `dist/bundle.js`) from a folder.
 * @example
 * const { manifest, bundle } = await readBuiltPlugin('./my-plugin');
 */
export async function readBuiltPlugin(dir: string): Promise<BuiltPlugin> {
  const root = resolve(dir);
  try {
    const manifest = JSON.parse(await readFile(join(root, MANIFEST_FILE), 'utf8')) as PluginManifest;
    const bundle = await readFile(join(root, BUNDLE_FILE), 'utf8');
    return { manifest, bundle };
  } catch (error) {
    throw new PluginBuildError(
      `no built plugin in ${root} (run \`weft-plugin build\` first): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
