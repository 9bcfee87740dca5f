import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ServerProcess, startServerProcess } from '@weft/test-utils';
import { describe, expect, it } from 'vitest';

async function graphql(url: string, query: string): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return res.json();
}

// npm forwards SIGTERM to the server and then ends itself with the same signal.
async function stopGracefully(server: ServerProcess): Promise<void> {
  const { code, signal } = await server.stop('SIGTERM');
  expect(code === 0 || signal === 'SIGTERM', `exit ${code} ${signal}:\n${server.output().slice(-3000)}`).toBe(true);
  expect(server.output()).toContain('"msg":"stopped"');
}

describe('npm start with no DATABASE_URL (the embedded default)', () => {
  it('answers /readyz, stops on SIGTERM, and starts again on the same data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'weft-embedded-'));
    const env = {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: 'info',
    };
    const first = await startServerProcess({ env, command: ['npm', 'start'], readyTimeoutMs: 90_000 });
    try {
      expect(await graphql(first.url, '{ viewer { id } }')).toEqual({ data: { viewer: null } });
    } finally {
      await stopGracefully(first);
    }
    // The embedded server was stopped with the process: its lock is gone and the API port closed.
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    await expect(fetch(`${first.url}/healthz`)).rejects.toThrow();

    const second = await startServerProcess({ env, command: ['npm', 'start'], readyTimeoutMs: 90_000 });
    try {
      expect(second.output()).not.toContain('applied migration');
      const res = await fetch(`${second.url}/readyz`);
      expect(res.status).toBe(200);
    } finally {
      await stopGracefully(second);
    }
  });
});
