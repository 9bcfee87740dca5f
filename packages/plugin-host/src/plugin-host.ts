/**
 * The plugin host: a ToolProvider whose tools run in sandbox processes (isolated-vm isolates).
 * Everything a plugin may touch is reached through capability handlers built here per call, bound
 * to the installation the host looked up — never to ids the plugin passes.
 */
import { type Pools, withTenant } from '@weft/db';
import {
  NonRetriableToolError,
  RetryAfterToolError,
  StepErrorCode,
  type ToolContext,
  type ToolDefinition,
  type ToolProvider,
  withStepErrorCode,
} from '@weft/engine';
import type { LlmFailureLog } from '@weft/planner';
import type { PluginManifest } from '@weft/plugin-sdk';
import {
  type CapabilityBackends,
  createCapabilityHandlers,
  createEgressPolicy,
  type EgressPolicy,
  SandboxError,
  SandboxErrorCode,
  type SandboxLimits,
  SandboxPool,
  type WorkspaceCpuBudget,
} from '@weft/plugin-sdk/sandbox';
import { createBundleCache } from './bundle-cache.ts';
import { createLlmBackend, type LlmOptions, meteredLlm } from './llm-backend.ts';
import { readSecret } from './secrets.ts';

/** Options of {@link createPluginHost}. */
export interface PluginHostOptions {
  pools: Pick<Pools, 'app'>;
  /** SECRET_KEY: decrypts workspace secrets for granted calls. */
  secretKey: string;
  /** Sandbox processes (default 2). */
  processes?: number;
  /** Isolates kept per process, least recently used evicted (default 32). */
  maxIsolatesPerProcess?: number;
  limits?: Partial<SandboxLimits>;
  /** Plugin CPU time one workspace may use per window in this process (default 30 s per 60 s). */
  cpuBudget?: WorkspaceCpuBudget;
  /** Isolates one workspace may hold per sandbox process (default 8). */
  workspaceMaxIsolates?: number;
  /** Sum of the heap limits of one workspace's isolates, in MB (default 256). */
  workspaceHeapMb?: number;
  /** The `llm` capability's backend; default `OPENAI_API_KEY` / `OPENAI_BASE_URL` / `OPENAI_MODEL`. */
  llm?: LlmOptions;
  /** LLM tokens one workspace may use per UTC day (shared with the planner); 0 or absent: no limit. */
  llmTokensPerDay?: number;
  /** Told the provider's full error text of a failed `llm` call (plugins get a coarse one). */
  onLlmFailure?(detail: Parameters<LlmFailureLog>[0] & { workspaceId: string }): void;
  /** Where plugins' `fetch` may connect (EGRESS_ALLOW); default public addresses only. */
  egress?: EgressPolicy;
  /** Told when a sandbox process died and was restarted. */
  onCrash?(info: { code: number | null; signal: string | null; stderr: string }): void;
  /**
   * Told after every sandboxed tool call (for metrics); `code` is the sandbox error code of a
   * failure; `firstParty` says the tool is one Weft publishes (its name is no tenant's data).
   */
  onCall?(info: { tool: string; firstParty: boolean; ok: boolean; code: string | null; durationMs: number }): void;
}

/** The running host: register it with the engine as a ToolProvider; `stop()` on shutdown. */
export interface PluginHost extends ToolProvider {
  /** Starts the sandbox processes ahead of the first call (optional; calls start them lazily). */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly sandbox: SandboxPool;
}

interface InstalledRow {
  installation_id: string;
  granted_capabilities: string[];
  version_id: string;
  version: string;
  plugin_name: string;
  first_party: boolean;
  manifest: PluginManifest;
}

const RETRIABLE = new Set<string>([
  SandboxErrorCode.TIMEOUT,
  SandboxErrorCode.CPU_LIMIT,
  SandboxErrorCode.MEMORY_LIMIT,
  SandboxErrorCode.HOST_CRASHED,
  SandboxErrorCode.CANCELLED,
  SandboxErrorCode.CLOSED,
]);

/**
 * A workspace over its plugin budgets is told when to come back: the step is retried after that
 * delay if its retry policy allows another attempt, and fails with the budget's message otherwise.
 */
const BUDGET = new Set<string>([SandboxErrorCode.WORKSPACE_CPU_BUDGET, SandboxErrorCode.WORKSPACE_MEMORY_BUDGET]);

/** Bundles kept in memory (per workspace and version), least recently used dropped first. */
const MAX_CACHED_BUNDLES = 256;

/** The step error code a sandbox failure stands for, where it is not what its mapping implies. */
const STEP_ERROR_CODES: Partial<Record<SandboxErrorCode, StepErrorCode>> = {
  [SandboxErrorCode.TIMEOUT]: StepErrorCode.TIMEOUT,
  [SandboxErrorCode.CPU_LIMIT]: StepErrorCode.SANDBOX_LIMIT,
  [SandboxErrorCode.MEMORY_LIMIT]: StepErrorCode.SANDBOX_LIMIT,
  [SandboxErrorCode.HOST_CRASHED]: StepErrorCode.SANDBOX_LIMIT,
  [SandboxErrorCode.WORKSPACE_CPU_BUDGET]: StepErrorCode.SANDBOX_LIMIT,
  [SandboxErrorCode.WORKSPACE_MEMORY_BUDGET]: StepErrorCode.SANDBOX_LIMIT,
  [SandboxErrorCode.OUTPUT_TOO_LARGE]: StepErrorCode.OUTPUT_TOO_LARGE,
  [SandboxErrorCode.TOOL_NOT_FOUND]: StepErrorCode.TOOL_NOT_FOUND,
  [SandboxErrorCode.CANCELLED]: StepErrorCode.CANCELLED,
};

/**
 * Maps a sandbox failure to what the engine understands (retry or not, its step error code and
 * the tool's cause), with the sandbox code kept.
 */
function toToolError(error: unknown, tool: string): Error {
  if (!(error instanceof SandboxError)) return error instanceof Error ? error : new Error(String(error));
  const message = `${tool}: ${error.message}`;
  const options = error.cause === undefined ? undefined : { cause: error.cause };
  let mapped: Error;
  if (error.code === SandboxErrorCode.TOOL_ERROR) {
    if (error.toolErrorName === 'RetryAfterError' && error.retryAfterMs !== undefined) {
      mapped = new RetryAfterToolError(message, error.retryAfterMs, options);
    } else if (error.toolErrorName === 'NonRetriableError' || error.toolErrorName === 'CapabilityDeniedError') {
      mapped = new NonRetriableToolError(message, options);
    } else {
      mapped = new Error(message, options);
    }
  } else if (BUDGET.has(error.code)) {
    mapped = new RetryAfterToolError(message, error.retryAfterMs ?? 1_000, options);
  } else if (RETRIABLE.has(error.code)) {
    mapped = new Error(message, options);
  } else {
    mapped = new NonRetriableToolError(message, options);
  }
  const stepErrorCode = STEP_ERROR_CODES[error.code];
  return Object.assign(stepErrorCode === undefined ? mapped : withStepErrorCode(mapped, stepErrorCode), {
    code: error.code,
  });
}

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/**
 * Creates the plugin host.
 * @example
 * const host = createPluginHost({ pools, secretKey: config.secretKey });
 * engine.registerProvider(host);
 * // … on shutdown
 * await host.stop();
 */
export function createPluginHost(options: PluginHostOptions): PluginHost {
  const sandbox = new SandboxPool({
    size: options.processes ?? 2,
    maxIsolatesPerProcess: options.maxIsolatesPerProcess ?? 32,
    ...(options.cpuBudget === undefined ? {} : { cpuBudget: options.cpuBudget }),
    ...(options.workspaceMaxIsolates === undefined ? {} : { workspaceMaxIsolates: options.workspaceMaxIsolates }),
    ...(options.workspaceHeapMb === undefined ? {} : { workspaceHeapMb: options.workspaceHeapMb }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.onCrash === undefined ? {} : { onCrash: options.onCrash }),
  });
  const egress = options.egress ?? createEgressPolicy();
  const llm = createLlmBackend(
    options.llm ?? {
      ...(process.env.OPENAI_API_KEY ? { apiKey: process.env.OPENAI_API_KEY } : {}),
      ...(process.env.OPENAI_BASE_URL ? { baseURL: process.env.OPENAI_BASE_URL } : {}),
      ...(process.env.OPENAI_MODEL ? { model: process.env.OPENAI_MODEL } : {}),
    },
  );
  const pool = options.pools.app;
  const bundles = createBundleCache(
    (_workspaceId, versionId) =>
      pool
        .query<{ bundle: string }>('SELECT bundle FROM plugin_versions WHERE id = $1', [versionId])
        .then(({ rows }) => {
          const row = rows[0];
          if (row === undefined) throw new NonRetriableToolError(`plugin version ${versionId} no longer exists`);
          return row.bundle;
        }),
    MAX_CACHED_BUNDLES,
  );
  const bundleFor = (workspaceId: string, versionId: string): Promise<string> => bundles.get(workspaceId, versionId);

  const backendsFor = (workspaceId: string, installationId: string, ctx: ToolContext): CapabilityBackends => {
    const tenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(pool, { workspaceId }, work);
    return {
      secret: (name) => tenant((client) => readSecret(client, workspaceId, name, options.secretKey)),
      kv: {
        get: (key) =>
          tenant(async (client) => {
            const { rows } = await client.query<{ value: unknown }>(
              'SELECT value FROM plugin_kv WHERE workspace_id = $1 AND installation_id = $2 AND key = $3',
              [workspaceId, installationId, key],
            );
            return rows[0]?.value;
          }),
        set: (key, value) =>
          tenant(async (client) => {
            await client.query(
              `INSERT INTO plugin_kv (workspace_id, installation_id, key, value) VALUES ($1, $2, $3, $4)
               ON CONFLICT (workspace_id, installation_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
              [workspaceId, installationId, key, JSON.stringify(value)],
            );
          }),
        delete: (key) =>
          tenant(async (client) => {
            const { rowCount } = await client.query(
              'DELETE FROM plugin_kv WHERE workspace_id = $1 AND installation_id = $2 AND key = $3',
              [workspaceId, installationId, key],
            );
            return (rowCount ?? 0) > 0;
          }),
      },
      context: ctx.context,
      egress,
      ...(llm === undefined
        ? {}
        : {
            llm: meteredLlm(llm, pool, workspaceId, {
              tokensPerDay: options.llmTokensPerDay ?? 0,
              log: (detail) => options.onLlmFailure?.({ ...detail, workspaceId }),
            }),
          }),
      log: (level, message, data) => {
        ctx.log(LOG_LEVELS.has(level) ? (level as 'debug' | 'info' | 'warn' | 'error') : 'info', message, data);
      },
    };
  };

  const toolsOf = (workspaceId: string, row: InstalledRow): ToolDefinition[] =>
    row.manifest.tools.map((tool) => {
      const name = `${row.plugin_name}.${tool.name}`;
      return {
        name,
        version: row.version,
        description: tool.description,
        inputSchema: tool.inputSchema,
        ...(tool.outputSchema === undefined ? {} : { outputSchema: tool.outputSchema }),
        ...(tool.cacheable === undefined ? {} : { cacheable: tool.cacheable }),
        dryRun: tool.dryRun ?? 'mock',
        ...(tool.provides === undefined ? {} : { provides: tool.provides }),
        plugin: {
          name: row.plugin_name,
          version: row.version,
          pluginVersionId: row.version_id,
          installationId: row.installation_id,
        },
        async run(input: unknown, ctx: ToolContext): Promise<unknown> {
          const bundle = await bundleFor(workspaceId, row.version_id);
          const started = performance.now();
          try {
            const output = await sandbox.call({
              // One isolate per workspace, installation and version: no plugin state crosses workspaces.
              plugin: {
                workspaceId,
                key: `${row.installation_id}:${row.version_id}`,
                manifest: row.manifest,
                bundle,
              },
              tool: tool.name,
              input,
              run: { executionId: ctx.executionId, stepId: ctx.stepId, attempt: ctx.attempt, mode: ctx.mode },
              signal: ctx.signal,
              handlers: createCapabilityHandlers(
                row.granted_capabilities,
                backendsFor(workspaceId, row.installation_id, ctx),
              ),
            });
            options.onCall?.({
              tool: name,
              firstParty: row.first_party,
              ok: true,
              code: null,
              durationMs: performance.now() - started,
            });
            return output;
          } catch (error) {
            const toolError = toToolError(error, name);
            const code = (toolError as { code?: unknown }).code;
            options.onCall?.({
              tool: name,
              firstParty: row.first_party,
              ok: false,
              code: typeof code === 'string' ? code : null,
              durationMs: performance.now() - started,
            });
            throw toolError;
          }
        },
      };
    });

  return {
    name: 'plugins',
    sandbox,
    async listTools(workspaceId: string): Promise<ToolDefinition[]> {
      const rows = await withTenant(pool, { workspaceId }, async (client) => {
        const result = await client.query<InstalledRow>(
          `SELECT i.id AS installation_id, i.granted_capabilities, v.id AS version_id, v.version, p.name AS plugin_name,
                  p.first_party, v.manifest
           FROM plugin_installations i
           JOIN plugin_versions v ON v.id = i.plugin_version_id
           JOIN plugins p ON p.id = i.plugin_id
           WHERE i.workspace_id = $1 AND i.enabled
           ORDER BY p.name`,
          [workspaceId],
        );
        return result.rows;
      });
      return rows.flatMap((row) => toolsOf(workspaceId, row));
    },
    async start() {
      await sandbox.stats();
    },
    stop: () => sandbox.close(),
  };
}
