import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RateLimit, RateLimitOptions } from '@weft/engine';
import { createEgressPolicy, EgressConfigError, type EgressPolicy } from '@weft/plugin-host';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v), 'must be a postgres:// URL');

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const BUCKET_FORM = '<capacity>/<refill per second>';

/**
 * `<capacity>/<refill per second>`, e.g. `100/10`: a whole capacity of at least 1 (a step takes one
 * token, so a smaller bucket would never let one through) and a refill above 0 (decimals allowed,
 * `1/0.5` is one step every two seconds; 0 would leave a waiting step waiting forever).
 */
function parseBucket(text: string): RateLimit | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?|\.\d+)\s*$/.exec(text);
  if (match === null) return undefined;
  const capacity = Number(match[1]);
  const refillPerSecond = Number(match[2]);
  if (capacity < 1 || capacity > 1_000_000_000 || !(refillPerSecond > 0) || refillPerSecond > 1_000_000_000) {
    return undefined;
  }
  return { capacity, refillPerSecond };
}

const bucket = z.string().transform((v, ctx) => {
  const limit = parseBucket(v);
  if (limit !== undefined) return limit;
  ctx.issues.push({
    code: 'custom',
    input: v,
    message: `must be ${BUCKET_FORM} with a whole capacity of at least 1 and a refill above 0, e.g. 100/10`,
  });
  return z.NEVER;
});

const TOOL_BUCKETS_FORM = `<tool name>=${BUCKET_FORM}, comma-separated, e.g. http.request=20/5,email.send=5/1`;

const toolBuckets = z.string().transform((v, ctx) => {
  const reject = (problem: string) => {
    ctx.issues.push({ code: 'custom', input: v, message: `must be ${TOOL_BUCKETS_FORM}; ${problem}` });
    return z.NEVER;
  };
  const perTool: Record<string, RateLimit> = {};
  for (const entry of v.split(',')) {
    const at = entry.indexOf('=');
    const tool = entry.slice(0, at).trim();
    const limit = at < 0 ? undefined : parseBucket(entry.slice(at + 1));
    if (tool === '' || /\s/.test(tool) || limit === undefined) {
      return reject(`"${entry.trim()}" needs a tool name, a whole capacity of at least 1 and a refill above 0`);
    }
    // A tool named twice is most likely a typo in one of them; neither value would be obviously right.
    if (Object.hasOwn(perTool, tool)) return reject(`names ${tool} twice`);
    perTool[tool] = limit;
  }
  return perTool;
});

/** EGRESS_ALLOW: the operator's exceptions to "public addresses only" (hosts, IPs, CIDRs). */
const egressAllow = z.string().transform((v, ctx) => {
  try {
    return createEgressPolicy(v);
  } catch (error) {
    if (!(error instanceof EgressConfigError)) throw error;
    ctx.issues.push({
      code: 'custom',
      input: v,
      message: `must be hosts, IPs or CIDRs, comma-separated; ${error.message}`,
    });
    return z.NEVER;
  }
});

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** Enough for a few hundred drafts or completions a day; an operator raises it or sets 0 (no limit). */
const DEFAULT_LLM_TOKENS_PER_DAY = 200_000;

/** Every environment variable (README.md "Configuration"), as read from the process environment. */
const envSchema = z.object({
  PORT: optional(int(0, 65535)),
  HOST: optional(z.string().min(1)),
  DATABASE_URL: optional(postgresUrl),
  DATABASE_APP_URL: optional(postgresUrl),
  DATABASE_ADMIN_READ_URL: optional(postgresUrl),
  EMBEDDED_PG_PORT: optional(int(1, 65535)),
  REDIS_URL: optional(z.string().refine((v) => /^rediss?:\/\//.test(v) && URL.canParse(v), 'must be a redis:// URL')),
  DATA_DIR: optional(z.string().min(1)),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })),
  WORKERS: optional(int(0, 64)),
  WORKER_CONCURRENCY: optional(int(1, 1000)),
  SCHEDULE_TICKER: optional(z.enum(['on', 'off'], { message: 'must be on or off' })),
  STEP_LEASE_MS: optional(int(1000, 30000)),
  WORKSPACE_CONCURRENCY: optional(int(1, 100_000)),
  WORKSPACE_WORKER_SLOTS: optional(int(1, 1000)),
  WORKER_RESERVED_SLOTS: optional(int(0, 100)),
  RATE_LIMIT_WORKSPACE: optional(bucket),
  RATE_LIMIT_TOOLS: optional(toolBuckets),
  OPENAI_API_KEY: optional(z.string().min(1)),
  OPENAI_BASE_URL: optional(z.string().refine((v) => URL.canParse(v), 'must be a URL')),
  OPENAI_MODEL: optional(z.string().min(1)),
  SECRET_KEY: optional(z.string().min(32, 'must be at least 32 characters')),
  NODE_ENV: optional(z.enum(['production', 'development', 'test'])),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(z.string().refine((v) => URL.canParse(v), 'must be a URL')),
  RATE_LIMIT_PER_MINUTE: optional(int(1, 1_000_000)),
  WORKSPACE_RATE_LIMIT_PER_MINUTE: optional(int(1, 10_000_000)),
  REQUEST_TIMEOUT_MS: optional(int(100, 600_000)),
  WEBHOOK_MAX_ATTEMPTS: optional(int(1, 50)),
  WEBHOOK_RETRY_BASE_MS: optional(int(10, 3_600_000)),
  WEBHOOK_TIMEOUT_MS: optional(int(100, 120_000)),
  METRICS_TOKEN: optional(z.string().min(16, 'must be at least 16 characters')),
  LLM_TOKENS_PER_DAY: optional(int(0, 1_000_000_000_000)),
  GRAPHQL_MAX_VARIABLES_BYTES: optional(int(1024, 100 * 1024 * 1024)),
  GRAPHQL_MAX_VARIABLE_STRING_BYTES: optional(int(1024, 100 * 1024 * 1024)),
  WS_MAX_PAYLOAD_BYTES: optional(int(1024, 100 * 1024 * 1024)),
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: optional(int(1, 100_000)),
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: optional(int(1, 1_000_000)),
  PLUGIN_MEMORY_MB: optional(int(8, 4096)),
  PLUGIN_WORKSPACE_MAX_ISOLATES: optional(int(1, 1000)),
  PLUGIN_WORKSPACE_HEAP_MB: optional(int(8, 1_000_000)),
  PLUGIN_WORKSPACE_CPU_MS: optional(int(1, 86_400_000)),
  PLUGIN_WORKSPACE_CPU_WINDOW_MS: optional(int(1000, 86_400_000)),
  EGRESS_ALLOW: optional(egressAllow),
  EXECUTION_RETENTION_DAYS: optional(int(0, 36_500)),
  AUDIT_RETENTION_DAYS: optional(int(0, 36_500)),
});

export interface Config {
  port: number;
  host: string;
  /** Owner connection; undefined means "start the embedded PostgreSQL". */
  databaseUrl: string | undefined;
  databaseAppUrl: string | undefined;
  /** The read-only role `/admin/graphql` connects as; derived from the owner's URL when unset. */
  databaseAdminReadUrl: string | undefined;
  embeddedPgPort: number;
  redisUrl: string | undefined;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  workers: number;
  workerConcurrency: number;
  stepLeaseMs: number;
  /** Steps one workspace runs at once across all workers; undefined means no limit. */
  workspaceConcurrency: number | undefined;
  /** Slots of one worker process one workspace may hold at once; undefined: no share. */
  workspaceSlots: number | undefined;
  /** Slots each worker process keeps for quiet workspaces (engine `reservedSlots`); undefined: the engine's default. */
  reservedSlots: number | undefined;
  /** Token buckets a step takes from before it starts (per workspace, per workspace and tool); empty: none. */
  stepRateLimits: RateLimitOptions;
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string };
  secretKey: string;
  /** True when SECRET_KEY was generated and stored under DATA_DIR (start-up warns). */
  secretKeyGenerated: boolean;
  production: boolean;
  otlpEndpoint: string | undefined;
  /** GraphQL operations per minute per user (or client address) and per workspace. */
  rateLimit: { perUser: number; perWorkspace: number; windowMs: number };
  requestTimeoutMs: number;
  /** Outbound webhooks: attempts per delivery, first retry delay (doubling), request timeout. */
  webhookDelivery: { maxAttempts: number; retryBaseMs: number; timeoutMs: number };
  /** Where plugin fetches and outbound webhooks may connect: public addresses plus EGRESS_ALLOW. */
  egress: EgressPolicy;
  /**
   * The plugin sandbox of this process: heap limit of one isolate, and what one workspace may hold
   * (isolates, summed heap limits) and spend (CPU ms per window) so it cannot starve the others.
   */
  plugins: {
    memoryMb: number;
    workspaceMaxIsolates: number;
    workspaceHeapMb: number;
    workspaceCpu: { cpuMs: number; windowMs: number };
  };
  /** `/graphql` variables of one operation: all of them, and any one string, in UTF-8 bytes. */
  graphqlVariables: { maxBytes: number; maxStringBytes: number };
  /** Subscriptions open at once per connection and per user (graphql-ws and SSE). */
  subscriptions: { perConnection: number; perUser: number };
  /** graphql-ws: the largest message. */
  ws: { maxPayloadBytes: number };
  /** Bearer token `/metrics` requires; undefined serves it to this host only. */
  metricsToken: string | undefined;
  /** LLM tokens (provider-reported) one workspace may use per UTC day; 0 means no limit. */
  llmTokensPerDay: number;
  /** Whether this process takes schedule ticks (SCHEDULE_TICKER, default on; claims make many safe). */
  scheduleTicker: boolean;
  /** Days finished runs and audit rows are kept (the hourly `weft.retention` job); 0 keeps them forever. */
  retention: { executionDays: number; auditDays: number };
}

/**
 * Variables whose value may appear in an error message. An allowlist, so a variable added later
 * (or one that holds a key, a password in a URL, a token) is never echoed unless someone decides
 * its value is harmless: start-up errors end up in shared logs and CI output.
 */
const ECHOED_VARIABLES = new Set([
  'PORT',
  'HOST',
  'EMBEDDED_PG_PORT',
  'LOG_LEVEL',
  'WORKERS',
  'WORKER_CONCURRENCY',
  'SCHEDULE_TICKER',
  'STEP_LEASE_MS',
  'WORKSPACE_CONCURRENCY',
  'WORKSPACE_WORKER_SLOTS',
  'WORKER_RESERVED_SLOTS',
  'RATE_LIMIT_WORKSPACE',
  'RATE_LIMIT_TOOLS',
  'NODE_ENV',
  'RATE_LIMIT_PER_MINUTE',
  'WORKSPACE_RATE_LIMIT_PER_MINUTE',
  'REQUEST_TIMEOUT_MS',
  'WEBHOOK_MAX_ATTEMPTS',
  'WEBHOOK_RETRY_BASE_MS',
  'WEBHOOK_TIMEOUT_MS',
  'LLM_TOKENS_PER_DAY',
  'GRAPHQL_MAX_VARIABLES_BYTES',
  'GRAPHQL_MAX_VARIABLE_STRING_BYTES',
  'WS_MAX_PAYLOAD_BYTES',
  'GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION',
  'GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER',
  'PLUGIN_MEMORY_MB',
  'PLUGIN_WORKSPACE_MAX_ISOLATES',
  'PLUGIN_WORKSPACE_HEAP_MB',
  'PLUGIN_WORKSPACE_CPU_MS',
  'PLUGIN_WORKSPACE_CPU_WINDOW_MS',
  'EGRESS_ALLOW',
  'EXECUTION_RETENTION_DAYS',
  'AUDIT_RETENTION_DAYS',
]);

function echoed(env: NodeJS.ProcessEnv, variable: string): string {
  return ECHOED_VARIABLES.has(variable) ? ` (got "${String(env[variable] ?? '')}")` : ' (value not shown)';
}

/** A configuration problem: one line, naming the variable, for the person starting the server. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and checks the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(
      `Invalid configuration: ${variable} ${issue?.message ?? 'is invalid'}${echoed(env, variable)}`,
    );
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR ?? '.data');
  let secretKey = e.SECRET_KEY;
  let secretKeyGenerated = false;
  if (secretKey === undefined) {
    if (production) throw new ConfigError('Invalid configuration: SECRET_KEY must be set when NODE_ENV=production');
    secretKey = readOrCreateSecretKey(dataDir);
    secretKeyGenerated = true;
  }
  return {
    port: e.PORT ?? 4000,
    host: e.HOST ?? '0.0.0.0',
    databaseUrl: e.DATABASE_URL,
    databaseAppUrl: e.DATABASE_APP_URL,
    databaseAdminReadUrl: e.DATABASE_ADMIN_READ_URL,
    embeddedPgPort: e.EMBEDDED_PG_PORT ?? 54329,
    redisUrl: e.REDIS_URL,
    dataDir,
    logLevel: e.LOG_LEVEL ?? 'info',
    workers: e.WORKERS ?? 1,
    workerConcurrency: e.WORKER_CONCURRENCY ?? 10,
    stepLeaseMs: e.STEP_LEASE_MS ?? 15000,
    workspaceConcurrency: e.WORKSPACE_CONCURRENCY,
    workspaceSlots: e.WORKSPACE_WORKER_SLOTS,
    reservedSlots: e.WORKER_RESERVED_SLOTS,
    stepRateLimits: {
      ...(e.RATE_LIMIT_WORKSPACE === undefined ? {} : { perWorkspace: e.RATE_LIMIT_WORKSPACE }),
      ...(e.RATE_LIMIT_TOOLS === undefined ? {} : { perTool: e.RATE_LIMIT_TOOLS }),
    },
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL ?? 'gpt-4o-mini' },
    secretKey,
    secretKeyGenerated,
    production,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    rateLimit: {
      perUser: e.RATE_LIMIT_PER_MINUTE ?? 600,
      perWorkspace: e.WORKSPACE_RATE_LIMIT_PER_MINUTE ?? 3000,
      windowMs: 60_000,
    },
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS ?? 30_000,
    webhookDelivery: {
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS ?? 10,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS ?? 2000,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS ?? 10_000,
    },
    metricsToken: e.METRICS_TOKEN,
    llmTokensPerDay: e.LLM_TOKENS_PER_DAY ?? DEFAULT_LLM_TOKENS_PER_DAY,
    scheduleTicker: e.SCHEDULE_TICKER !== 'off',
    retention: { executionDays: e.EXECUTION_RETENTION_DAYS ?? 30, auditDays: e.AUDIT_RETENTION_DAYS ?? 365 },
    graphqlVariables: {
      maxBytes: e.GRAPHQL_MAX_VARIABLES_BYTES ?? 2 * 1024 * 1024,
      maxStringBytes: e.GRAPHQL_MAX_VARIABLE_STRING_BYTES ?? 1024 * 1024,
    },
    subscriptions: {
      perConnection: e.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION ?? 25,
      perUser: e.GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER ?? 100,
    },
    ws: { maxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES ?? 1024 * 1024 },
    plugins: {
      memoryMb: e.PLUGIN_MEMORY_MB ?? 64,
      workspaceMaxIsolates: e.PLUGIN_WORKSPACE_MAX_ISOLATES ?? 8,
      workspaceHeapMb: e.PLUGIN_WORKSPACE_HEAP_MB ?? 256,
      workspaceCpu: {
        cpuMs: e.PLUGIN_WORKSPACE_CPU_MS ?? 30_000,
        windowMs: e.PLUGIN_WORKSPACE_CPU_WINDOW_MS ?? 60_000,
      },
    },
    egress: e.EGRESS_ALLOW ?? createEgressPolicy(),
  };
}

function readOrCreateSecretKey(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch {
    // Another process started at the same moment and wrote it first: use theirs.
    return readFileSync(file, 'utf8').trim();
  }
}
