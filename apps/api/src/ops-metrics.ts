import type { Pools } from '@weft/db';
import { EXECUTION_STATUSES, STEP_STATUSES } from '@weft/engine';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Counters moved by the runtime (engine workers, plugin host, webhook deliveries) of this process. */
export interface RuntimeMetrics {
  sandboxCalls: Counter<'tool' | 'outcome'>;
  webhookDeliveries: Counter<'outcome'>;
  retentionPrunedRows: Counter<'table'>;
}

export function createRuntimeMetrics(registry: Registry): RuntimeMetrics {
  return {
    sandboxCalls: new Counter({
      name: 'weft_sandbox_calls_total',
      help: 'Plugin tool calls run in the sandbox by this process, by tool (first-party tools by name, others as plugin) and outcome (ok or the error code).',
      labelNames: ['tool', 'outcome'],
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'weft_webhook_delivery_attempts_total',
      help: 'Outbound webhook delivery attempts made by this process, by outcome (delivered, retrying, failed).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    retentionPrunedRows: new Counter({
      name: 'weft_retention_pruned_rows_total',
      help: 'Rows the retention job of this process deleted, by table (EXECUTION_RETENTION_DAYS, AUDIT_RETENTION_DAYS).',
      labelNames: ['table'],
      registers: [registry],
    }),
  };
}

/**
 * Counts one sandboxed call. Only first-party tools keep their name: other plugins are published
 * by workspace admins, and their names (and how often they run) are that tenant's business, not
 * something every scrape should list. The outcome is one of the sandbox's fixed codes (the host
 * sets them, never the plugin); anything else shaped differently counts as `error`.
 */
export function countSandboxCall(
  metrics: RuntimeMetrics,
  call: { tool: string; firstParty: boolean; ok: boolean; code: string | null },
): void {
  const outcome = call.ok ? 'ok' : call.code !== null && /^[A-Z_]{1,40}$/.test(call.code) ? call.code : 'error';
  metrics.sandboxCalls.inc({ tool: call.firstParty ? call.tool : 'plugin', outcome });
}

async function countBy(pools: Pools, sql: string): Promise<Map<string, number>> {
  const { rows } = await pools.owner.query<{ k: string; n: number }>(sql);
  return new Map(rows.map((r) => [r.k, r.n]));
}

/**
 * Gauges read from the database at scrape time, so every API process reports the same
 * deployment-wide numbers: executions and steps by status (all workspaces, through the owner's
 * read policy of migration 6) and graphile-worker jobs waiting to run.
 */
export function registerStateMetrics(registry: Registry, pools: Pools): void {
  new Gauge({
    name: 'weft_executions',
    help: 'Executions in the database, by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await countBy(pools, 'SELECT status AS k, count(*)::int AS n FROM executions GROUP BY status');
      for (const status of EXECUTION_STATUSES) this.set({ status }, counts.get(status) ?? 0);
    },
  });
  new Gauge({
    name: 'weft_steps',
    help: 'Step runs in the database, by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await countBy(pools, 'SELECT status AS k, count(*)::int AS n FROM step_runs GROUP BY status');
      for (const status of STEP_STATUSES) this.set({ status }, counts.get(status) ?? 0);
    },
  });
  new Gauge({
    name: 'weft_queue_jobs_waiting',
    help: 'graphile-worker jobs not taken by a worker (due now or scheduled), by task.',
    labelNames: ['task'],
    registers: [registry],
    async collect() {
      const counts = await countBy(
        pools,
        `SELECT task_identifier AS k, count(*)::int AS n FROM graphile_worker.jobs
          WHERE locked_at IS NULL AND attempts < max_attempts GROUP BY task_identifier`,
      );
      this.reset();
      for (const task of ['weft.step', ...counts.keys()]) this.set({ task }, counts.get(task) ?? 0);
    },
  });
}
