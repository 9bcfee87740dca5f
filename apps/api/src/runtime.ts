import type { Pools } from '@weft/db';
import { createEngine, type Engine } from '@weft/engine';
import { createPluginHost, type PluginHost, publishFirstPartyPlugins } from '@weft/plugin-host';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { countSandboxCall, type RuntimeMetrics } from './ops-metrics.ts';
import { createRetentionTask, RETENTION_CRON, RETENTION_TASK } from './retention/retention-task.ts';
import { createDeliveryTask, WEBHOOK_DELIVERY_TASK } from './webhooks-out/delivery-task.ts';

/** The execution side of a process: the engine, with installed plugins as a tool provider. */
export interface Runtime {
  engine: Engine;
  pluginHost: PluginHost;
  /** Stops workers first (running steps are handed back), then the plugin sandboxes. */
  stop(): Promise<void>;
}

/**
 * Builds the engine and the plugin host the same way in the API process (`npm start`) and in
 * worker processes (`npm run worker`), so a step runs identically wherever it lands.
 */
export async function startRuntime(
  config: Config,
  pools: Pools,
  logger: Logger,
  options: { workers: number; publishFirstParty: boolean; metrics?: RuntimeMetrics },
): Promise<Runtime> {
  const { metrics } = options;
  if (options.publishFirstParty) {
    const results = await publishFirstPartyPlugins(pools);
    const conflicts = results.filter((r) => r.status === 'conflict');
    if (conflicts.length > 0) logger.warn({ conflicts }, 'first-party plugin versions differ from the published ones');
  }
  const engine = createEngine({
    pools,
    redisUrl: config.redisUrl,
    logger: logger.child({ component: 'engine' }),
    stepLeaseMs: config.stepLeaseMs,
    workerConcurrency: config.workerConcurrency,
    ...(config.workspaceConcurrency === undefined ? {} : { workspaceConcurrency: config.workspaceConcurrency }),
    ...(config.workspaceSlots === undefined ? {} : { workspaceSlots: config.workspaceSlots }),
    ...(config.reservedSlots === undefined ? {} : { reservedSlots: config.reservedSlots }),
    rateLimits: config.stepRateLimits,
    tasks: {
      [WEBHOOK_DELIVERY_TASK]: createDeliveryTask({
        pools,
        secretKey: config.secretKey,
        egress: config.egress,
        logger: logger.child({ component: 'webhooks-out' }),
        ...(metrics === undefined ? {} : { metrics }),
        ...config.webhookDelivery,
      }),
      [RETENTION_TASK]: createRetentionTask({
        pools,
        options: config.retention,
        logger: logger.child({ component: 'retention' }),
        ...(metrics === undefined ? {} : { metrics }),
      }),
    },
    cronItems: [RETENTION_CRON],
  });
  const pluginHost = createPluginHost({
    pools,
    secretKey: config.secretKey,
    limits: { memoryMb: config.plugins.memoryMb },
    cpuBudget: config.plugins.workspaceCpu,
    workspaceMaxIsolates: config.plugins.workspaceMaxIsolates,
    workspaceHeapMb: config.plugins.workspaceHeapMb,
    egress: config.egress,
    llm: {
      ...(config.openai.apiKey === undefined ? {} : { apiKey: config.openai.apiKey }),
      ...(config.openai.baseUrl === undefined ? {} : { baseURL: config.openai.baseUrl }),
      model: config.openai.model,
    },
    llmTokensPerDay: config.llmTokensPerDay,
    onLlmFailure: (detail) => logger.warn({ component: 'plugin-host', ...detail }, 'LLM provider call failed'),
    onCall: (call) => {
      if (metrics !== undefined) countSandboxCall(metrics, call);
    },
  });
  engine.registerProvider(pluginHost);
  const stop = async () => {
    await engine.stop();
    await pluginHost.stop();
  };
  try {
    if (options.workers > 0) {
      await pluginHost.start();
      await engine.startWorkers(options.workers);
    }
    if (config.scheduleTicker) engine.startScheduleTicker();
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return { engine, pluginHost, stop };
}
