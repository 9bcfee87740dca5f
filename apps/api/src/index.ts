export { type BootDeps, boot, type Running } from './boot.ts';
export { type Config, ConfigError, loadConfig } from './config.ts';
export { privateCheckoutClusterDir } from './embedded-postgres.ts';
export { MAX_GRAPHQL_BODY_BYTES } from './graphql-body-limit.ts';
export { OPERATION_LIMITS } from './graphql-server.ts';
export { createLogger } from './logger.ts';
export { type StartWebhookExecution, signWebhook, WEBHOOK_TOLERANCE_SECONDS } from './webhook-route.ts';
export { CONNECTION_INIT_TIMEOUT_MS } from './ws-server.ts';
