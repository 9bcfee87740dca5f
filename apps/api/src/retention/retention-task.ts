/**
 * The `weft.retention` job: one pass of `pruneHistory`. graphile-worker's cron queues it every
 * hour, once per hour whatever the number of worker processes (its `known_crontabs` bookkeeping),
 * in a named queue so two passes never run at once, and with a job key so runs missed while no
 * worker was up collapse into one.
 */
import type { Pools } from '@weft/db';
import type { CronItem, JobHelpers } from 'graphile-worker';
import type { Logger } from 'pino';
import type { RuntimeMetrics } from '../ops-metrics.ts';
import { PRUNED_TABLES, pruneHistory, type RetentionOptions } from './prune-history.ts';

export const RETENTION_TASK = 'weft.retention';

/** At minute 17 of every hour (off the hour, when other schedules tend to fire). */
export const RETENTION_CRON: CronItem = {
  task: RETENTION_TASK,
  identifier: RETENTION_TASK,
  match: '17 * * * *',
  options: { queueName: 'weft-retention', jobKey: 'weft-retention', maxAttempts: 3 },
};

export function createRetentionTask(deps: {
  pools: Pick<Pools, 'owner'>;
  options: RetentionOptions;
  logger: Logger;
  metrics?: RuntimeMetrics;
}): (payload: unknown, helpers?: Pick<JobHelpers, 'abortSignal'>) => Promise<void> {
  // graphile-worker aborts the signal when its worker shuts down: a long first pass over a big
  // history must not hold a stopping process (the next pass continues where this one stopped).
  return async (_payload, helpers) => {
    const started = Date.now();
    const options = helpers === undefined ? deps.options : { ...deps.options, signal: helpers.abortSignal };
    const total = await pruneHistory(deps.pools, options, (rows) => {
      if (deps.metrics === undefined) return;
      for (const table of PRUNED_TABLES) {
        if (rows[table] > 0) deps.metrics.retentionPrunedRows.inc({ table }, rows[table]);
      }
    });
    deps.logger.info({ pruned: total, ms: Date.now() - started }, 'retention pass done');
  };
}
