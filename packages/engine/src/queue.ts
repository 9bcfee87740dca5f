import { runMigrations } from 'graphile-worker';

/**
 * @public Installs (or upgrades) graphile-worker's schema with the owner connection. Call it after
 * `migrate()` at start-up and when building test database templates, so `weft_enqueue` finds it.
 */
export async function prepareQueue(ownerUrl: string): Promise<void> {
  await runMigrations({ connectionString: ownerUrl, logger: quietLogger() });
}

import { Logger as GraphileLogger } from 'graphile-worker';
import type { Logger } from './logger.ts';

/** graphile-worker's logger, forwarding warnings and errors to ours. */
export function quietLogger(logger?: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    if (logger === undefined) return;
    if (level === 'error') logger.error({ meta }, message);
    else if (level === 'warning') logger.warn({ meta }, message);
  });
}

/** @public The graphile-worker version whose schema `prepareQueue` installs. */
export const QUEUE_SCHEMA_VERSION = '0.17.3';
