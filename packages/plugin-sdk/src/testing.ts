/**
 * `@weft/plugin-sdk/testing`: run a built plugin's tools in the same sandbox as production
 * (a sandbox process with isolated-vm isolates, the same capability checks).
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { type BuiltPlugin, readBuiltPlugin } from './build.ts';
import type { PluginManifest } from './manifest.ts';
import { createEgressPolicy } from './sandbox/egress/index.ts';
import { type CapabilityBackends, createCapabilityHandlers, type SecretValue } from './sandbox/handlers.ts';
import { SandboxPool } from './sandbox/pool.ts';
import type { RunInfo, SandboxLimits } from './sandbox/protocol.ts';

export { CapabilityError, SandboxError, SandboxErrorCode } from './sandbox/errors.ts';

/** @public Options of {@link createTestHarness}. */
export interface TestHarnessOptions {
  /** A built plugin folder (`dist/manifest.json`, `dist/bundle.js`); default the current folder. */
  dir?: string;
  /** Or the built plugin itself. */
  plugin?: BuiltPlugin;
  /** Capabilities granted; default the plugin's required ones (optional ones must be granted here). */
  grants?: string[];
  /**
   * Workspace secrets the plugin may read when granted: a value, or a value with the hosts it may be
   * sent to (as `setSecret`'s `allowedHosts`).
   */
  secrets?: Record<string, string | { value: string; allowedHosts: string[] }>;
  /**
   * Non-public destinations `ctx.fetch` may reach, as the server's EGRESS_ALLOW (e.g. `127.0.0.1` for a
   * local test server); default the EGRESS_ALLOW environment variable, else public addresses only.
   */
  egressAllow?: string | string[];
  /** Initial kv content of the installation. */
  kv?: Record<string, unknown>;
  /** Initial shared context of the run. */
  context?: Record<string, unknown>;
  /** Answers `ctx.llm.complete` (production uses the server's OpenAI-compatible configuration). */
  llm?: CapabilityBackends['llm'];
  limits?: Partial<SandboxLimits>;
}

/** @public One log line a tool wrote. */
export interface LoggedLine {
  level: string;
  message: string;
  data: unknown;
}

/** @public A running harness; close it (or `await using` it) when done. */
export interface TestHarness extends AsyncDisposable {
  manifest: PluginManifest;
  /** Runs a tool (`greet` or `<plugin>.greet`); rejects with a `SandboxError` whose `code` says why. */
  runTool(name: string, input: unknown, options?: { signal?: AbortSignal; run?: Partial<RunInfo> }): Promise<unknown>;
  kv: Map<string, unknown>;
  context: Map<string, unknown>;
  logs: LoggedLine[];
  close(): Promise<void>;
}

let nextHarness = 0;

function assertIsolatedVm(): void {
  try {
    createRequire(import.meta.url).resolve('isolated-vm');
  } catch {
    throw new Error(
      'The Weft sandbox needs isolated-vm: `npm install --save-dev isolated-vm@5.0.4` (and approve its install script).',
    );
  }
}

/**
 * @public Starts a sandbox for one built plugin.
 * @example
 * import { createTestHarness } from '@weft/plugin-sdk/testing';
 *
 * const harness = await createTestHarness({ dir: '.', grants: ['kv'] });
 * expect(await harness.runTool('greet', { name: 'Ada' })).toEqual({ greeting: 'Hello, Ada!' });
 * await harness.close();
 */
export async function createTestHarness(options: TestHarnessOptions = {}): Promise<TestHarness> {
  assertIsolatedVm();
  const plugin = options.plugin ?? (await readBuiltPlugin(resolve(options.dir ?? '.')));
  const pool = new SandboxPool({
    size: 1,
    // One author's own tests: the server's per-workspace CPU budget would only make them flaky.
    cpuBudget: { cpuMs: Number.MAX_SAFE_INTEGER, windowMs: 60_000 },
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const grants = options.grants ?? plugin.manifest.capabilities;
  const kv = new Map(Object.entries(options.kv ?? {}));
  const context = new Map(Object.entries(options.context ?? {}));
  const secrets = new Map<string, string | SecretValue>(Object.entries(options.secrets ?? {}));
  const logs: LoggedLine[] = [];
  const key = `harness-${process.pid}-${++nextHarness}`;
  const clone = (value: unknown) => (value === undefined ? undefined : structuredClone(value));
  const handlers = createCapabilityHandlers(grants, {
    secret: async (name) => secrets.get(name),
    egress: createEgressPolicy(options.egressAllow ?? process.env.EGRESS_ALLOW ?? []),
    kv: {
      get: async (k) => clone(kv.get(k)),
      set: async (k, v) => {
        kv.set(k, clone(v));
      },
      delete: async (k) => kv.delete(k),
    },
    context: {
      get: async (k) => clone(context.get(k)),
      set: async (k, v) => {
        context.set(k, clone(v));
      },
    },
    ...(options.llm === undefined ? {} : { llm: options.llm }),
    log: (level, message, data) => {
      logs.push({ level, message, data });
    },
  });
  const prefix = `${plugin.manifest.name}.`;
  const harness: TestHarness = {
    manifest: plugin.manifest,
    kv,
    context,
    logs,
    runTool(name, input, callOptions = {}) {
      const tool = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      return pool.call({
        plugin: { workspaceId: 'harness', key, manifest: plugin.manifest, bundle: plugin.bundle },
        tool,
        input,
        handlers,
        run: { executionId: 'test', stepId: tool, attempt: 1, mode: 'LIVE', ...callOptions.run },
        ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
      });
    },
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
  return harness;
}

/**
 * @public Runs one tool of a built plugin once, in a fresh sandbox.
 * @example
 * const output = await runTool('greet', { name: 'Ada' }, { dir: './my-plugin' });
 */
export async function runTool(name: string, input: unknown, options: TestHarnessOptions = {}): Promise<unknown> {
  const harness = await createTestHarness(options);
  try {
    return await harness.runTool(name, input);
  } finally {
    await harness.close();
  }
}
