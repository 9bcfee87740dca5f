import {
  createTestDatabase,
  type ServerProcess,
  startServerProcess,
  type TestDatabase,
  waitForStatus,
} from '@weft/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let db: TestDatabase;
let server: ServerProcess;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServerProcess({ env: { DATABASE_URL: db.ownerUrl, REDIS_URL: 'redis://127.0.0.1:6379' } });
});
afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

async function setConnectionsAllowed(allowed: boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: db.ownerUrl.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE "${db.name}" WITH ALLOW_CONNECTIONS ${allowed}`);
    if (!allowed) {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    }
  } finally {
    await admin.end();
  }
}

describe('health endpoints', () => {
  it('/healthz answers 200 while the process is alive', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('/readyz checks the database and Redis', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, checks: { database: { ok: true }, redis: { ok: true } } });
  });

  it('every response carries a request id, and a given one is echoed', async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-me-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-me-123');
    const other = await fetch(`${server.url}/healthz`);
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('/readyz fails while the database is down, and recovers with it; /healthz stays up', async () => {
    await setConnectionsAllowed(false);
    try {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ok: boolean; checks: { database: { ok: boolean; error?: string } } };
      expect(body.ok).toBe(false);
      expect(body.checks.database.ok).toBe(false);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await setConnectionsAllowed(true);
    }
    await waitForStatus(`${server.url}/readyz`, 200, 10_000);
  });

  it('/metrics speaks the Prometheus text format', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toMatch(/^# HELP process_cpu_user_seconds_total/m);
  });

  it('/admin/ serves the admin console', async () => {
    const res = await fetch(`${server.url}/admin/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Weft admin</title>');
  });
});
