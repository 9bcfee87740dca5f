import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'weft-config-'));

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({
      port: 4000,
      databaseUrl: undefined,
      workers: 1,
      stepLeaseMs: 15000,
      logLevel: 'info',
      production: false,
      secretKeyGenerated: true,
      rateLimit: { perUser: 600, perWorkspace: 3000, windowMs: 60_000 },
      requestTimeoutMs: 30_000,
      workspaceConcurrency: undefined,
      workspaceSlots: undefined,
      reservedSlots: undefined,
      stepRateLimits: {},
      graphqlVariables: { maxBytes: 2 * 1024 * 1024, maxStringBytes: 1024 * 1024 },
      subscriptions: { perConnection: 25, perUser: 100 },
      ws: { maxPayloadBytes: 1024 * 1024 },
      plugins: {
        memoryMb: 64,
        workspaceMaxIsolates: 8,
        workspaceHeapMb: 256,
        workspaceCpu: { cpuMs: 30_000, windowMs: 60_000 },
      },
    });
    // The generated key is kept, so secrets stay readable after a restart.
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(config.secretKey);
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(config.secretKey);
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT must be a whole number/],
    [{ PORT: '70000' }, /^Invalid configuration: PORT must be at most 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ URL/],
    [{ REDIS_URL: 'localhost:6379' }, /^Invalid configuration: REDIS_URL must be a redis:\/\/ URL/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL must be one of/],
    [{ STEP_LEASE_MS: '60000' }, /^Invalid configuration: STEP_LEASE_MS must be at most 30000/],
    [{ WORKERS: '-1' }, /^Invalid configuration: WORKERS must be a whole number/],
    [{ WS_MAX_PAYLOAD_BYTES: '10' }, /^Invalid configuration: WS_MAX_PAYLOAD_BYTES must be at least 1024/],
    [{ GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: '0' }, /^Invalid configuration: GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER/],
    [{ SECRET_KEY: 'short' }, /^Invalid configuration: SECRET_KEY must be at least 32 characters/],
    [{ NODE_ENV: 'production' }, /^Invalid configuration: SECRET_KEY must be set when NODE_ENV=production/],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, /^Invalid configuration: RATE_LIMIT_PER_MINUTE must be at least 1/],
    [{ PLUGIN_MEMORY_MB: '4' }, /^Invalid configuration: PLUGIN_MEMORY_MB must be at least 8/],
    [{ PLUGIN_WORKSPACE_CPU_MS: 'lots' }, /^Invalid configuration: PLUGIN_WORKSPACE_CPU_MS must be a whole number/],
    [
      { PLUGIN_WORKSPACE_CPU_WINDOW_MS: '10' },
      /^Invalid configuration: PLUGIN_WORKSPACE_CPU_WINDOW_MS must be at least/,
    ],
    [
      { PLUGIN_WORKSPACE_MAX_ISOLATES: '0' },
      /^Invalid configuration: PLUGIN_WORKSPACE_MAX_ISOLATES must be at least 1/,
    ],
    [{ REQUEST_TIMEOUT_MS: 'soon' }, /^Invalid configuration: REQUEST_TIMEOUT_MS must be a whole number/],
    [{ WORKSPACE_CONCURRENCY: '0' }, /^Invalid configuration: WORKSPACE_CONCURRENCY must be at least 1/],
    [{ WORKSPACE_WORKER_SLOTS: '0' }, /^Invalid configuration: WORKSPACE_WORKER_SLOTS must be at least 1/],
    [{ WORKER_RESERVED_SLOTS: '101' }, /^Invalid configuration: WORKER_RESERVED_SLOTS must be at most 100/],
    [{ WORKSPACE_CONCURRENCY: '-2' }, /^Invalid configuration: WORKSPACE_CONCURRENCY must be a whole number/],
    [{ WORKSPACE_CONCURRENCY: 'many' }, /^Invalid configuration: WORKSPACE_CONCURRENCY must be a whole number/],
    [{ RATE_LIMIT_WORKSPACE: '100' }, /^Invalid configuration: RATE_LIMIT_WORKSPACE must be <capacity>\/<refill/],
    [{ RATE_LIMIT_WORKSPACE: '0/10' }, /^Invalid configuration: RATE_LIMIT_WORKSPACE must be <capacity>\/<refill/],
    [{ RATE_LIMIT_WORKSPACE: '10/0' }, /^Invalid configuration: RATE_LIMIT_WORKSPACE must be <capacity>\/<refill/],
    [{ RATE_LIMIT_WORKSPACE: '-1/5' }, /^Invalid configuration: RATE_LIMIT_WORKSPACE must be <capacity>\/<refill/],
    [{ RATE_LIMIT_WORKSPACE: '1.5/5' }, /^Invalid configuration: RATE_LIMIT_WORKSPACE must be <capacity>\/<refill/],
    [{ RATE_LIMIT_WORKSPACE: 'ten/1' }, /^Invalid configuration: RATE_LIMIT_WORKSPACE must be <capacity>\/<refill/],
    [
      { RATE_LIMIT_TOOLS: 'http.request' },
      /^Invalid configuration: RATE_LIMIT_TOOLS must be <tool name>=.*"http.request"/,
    ],
    [{ RATE_LIMIT_TOOLS: 'http.request=20' }, /^Invalid configuration: RATE_LIMIT_TOOLS must be <tool name>=/],
    [{ RATE_LIMIT_TOOLS: '=20/5' }, /^Invalid configuration: RATE_LIMIT_TOOLS must be <tool name>=/],
    [
      { RATE_LIMIT_TOOLS: 'http.request=20/5,email.send=0/1' },
      /RATE_LIMIT_TOOLS .*; "email.send=0\/1" needs a tool name, a whole capacity/,
    ],
    [{ RATE_LIMIT_TOOLS: 'http.request=20/5;email.send=5/1' }, /^Invalid configuration: RATE_LIMIT_TOOLS must be/],
    [{ RATE_LIMIT_TOOLS: 'a=1/1,b=2/x' }, /^Invalid configuration: RATE_LIMIT_TOOLS must be/],
    [{ RATE_LIMIT_TOOLS: 'a=1/1,a=2/1' }, /^Invalid configuration: RATE_LIMIT_TOOLS must be .*; names a twice/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir(), ...env });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).not.toContain('\n');
  });

  it('never echoes the value of a secret-bearing variable, only of harmless ones', () => {
    const messageOf = (env: Record<string, string>) => {
      try {
        loadConfig({ DATA_DIR: dataDir(), ...env });
      } catch (e) {
        return (e as ConfigError).message;
      }
      return '';
    };
    const secrets: Record<string, string> = {
      SECRET_KEY: 'hunter2-short',
      DATABASE_URL: 'mysql://weft:hunter2@db/weft',
      DATABASE_APP_URL: 'mysql://weft_app:hunter2@db/weft',
      REDIS_URL: 'http://:hunter2@redis:6379',
      OPENAI_BASE_URL: 'hunter2 not a url',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'hunter2 not a url',
      METRICS_TOKEN: 'hunter2',
    };
    for (const [variable, value] of Object.entries(secrets)) {
      const message = messageOf({ [variable]: value });
      expect(message).toMatch(new RegExp(`^Invalid configuration: ${variable} .*\\(value not shown\\)$`));
      expect(message).not.toContain('hunter2');
    }
    expect(messageOf({ PORT: 'eighty' })).toContain('(got "eighty")');
  });

  it('reads the step limits: workspace concurrency and token buckets per workspace and per tool', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      WORKSPACE_CONCURRENCY: '4',
      WORKSPACE_WORKER_SLOTS: '3',
      WORKER_RESERVED_SLOTS: '0',
      RATE_LIMIT_WORKSPACE: '100/10',
      RATE_LIMIT_TOOLS: 'http.request=20/5, email.send = 5/0.5,acme/crm.upsert=1/.25',
    });
    expect(config.workspaceConcurrency).toBe(4);
    expect(config.workspaceSlots).toBe(3);
    expect(config.reservedSlots).toBe(0);
    expect(config.stepRateLimits).toEqual({
      perWorkspace: { capacity: 100, refillPerSecond: 10 },
      perTool: {
        'http.request': { capacity: 20, refillPerSecond: 5 },
        'email.send': { capacity: 5, refillPerSecond: 0.5 },
        'acme/crm.upsert': { capacity: 1, refillPerSecond: 0.25 },
      },
    });
    // Each is independent of the others.
    expect(loadConfig({ DATA_DIR: dataDir(), RATE_LIMIT_TOOLS: 'core.echo=1/1' }).stepRateLimits).toEqual({
      perTool: { 'core.echo': { capacity: 1, refillPerSecond: 1 } },
    });
  });

  it('treats empty variables as unset', () => {
    expect(
      loadConfig({
        DATA_DIR: dataDir(),
        PORT: '',
        REDIS_URL: '',
        WORKSPACE_CONCURRENCY: '',
        RATE_LIMIT_WORKSPACE: '',
        RATE_LIMIT_TOOLS: '',
      }),
    ).toMatchObject({
      port: 4000,
      redisUrl: undefined,
      workspaceConcurrency: undefined,
      stepRateLimits: {},
    });
  });

  it('reads EGRESS_ALLOW into the egress policy and refuses a malformed entry in one line', () => {
    const open = loadConfig({ DATA_DIR: dataDir(), EGRESS_ALLOW: '127.0.0.1, 10.1.0.0/16,radicale.internal' }).egress;
    expect(open.allow).toEqual(['127.0.0.1', '10.1.0.0/16', 'radicale.internal']);
    expect(open.decide('127.0.0.1', 'localhost').allowed).toBe(true);
    expect(open.decide('10.2.0.1', 'x').allowed).toBe(false);
    // Unset: public addresses only.
    expect(loadConfig({ DATA_DIR: dataDir() }).egress.decide('127.0.0.1', 'localhost').allowed).toBe(false);
    expect(() => loadConfig({ DATA_DIR: dataDir(), EGRESS_ALLOW: '127.0.0.1,10.0.0.0/40' })).toThrow(
      'Invalid configuration: EGRESS_ALLOW must be hosts, IPs or CIDRs, comma-separated; "10.0.0.0/40" has a bad prefix length (0–32) (got "127.0.0.1,10.0.0.0/40")',
    );
  });
});
