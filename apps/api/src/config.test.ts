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
    [{ SECRET_KEY: 'short' }, /^Invalid configuration: SECRET_KEY must be at least 32 characters/],
    [{ NODE_ENV: 'production' }, /^Invalid configuration: SECRET_KEY must be set when NODE_ENV=production/],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, /^Invalid configuration: RATE_LIMIT_PER_MINUTE must be at least 1/],
    [{ REQUEST_TIMEOUT_MS: 'soon' }, /^Invalid configuration: REQUEST_TIMEOUT_MS must be a whole number/],
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

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATA_DIR: dataDir(), PORT: '', REDIS_URL: '' })).toMatchObject({
      port: 4000,
      redisUrl: undefined,
    });
  });
});
