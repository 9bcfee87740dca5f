import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, runToExit } from '@weft/test-utils';
import { describe, expect, it } from 'vitest';

const API = ['node', '--no-node-snapshot', '--import', 'tsx', 'apps/api/src/main.ts'];
const tmpData = () => mkdtempSync(join(tmpdir(), 'weft-start-'));

describe('start-up with bad configuration', () => {
  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'chatty' }, 'LOG_LEVEL'],
  ])('%o stops with exit 1 and one line naming %s, no stack trace', async (env, variable) => {
    const { code, output } = await runToExit(API, { DATA_DIR: tmpData(), ...env });
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('an embedded database port already in use is a clear message, not a hang', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const { code, output } = await runToExit(
        API,
        {
          DATA_DIR: tmpData(),
          EMBEDDED_PG_PORT: String(port),
          PORT: String(await freePort()),
        },
        60_000,
      );
      expect(code).toBe(1);
      expect(output).toContain(`port ${port} is already in use`);
      expect(output).toContain('EMBEDDED_PG_PORT');
    } finally {
      blocker.close();
    }
  });

  it('an HTTP port already in use is a clear message', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '0.0.0.0', () => r()));
    const db = await createTestDatabase();
    try {
      const { code, output } = await runToExit(
        API,
        {
          DATA_DIR: tmpData(),
          DATABASE_URL: db.ownerUrl,
          PORT: String(port),
        },
        60_000,
      );
      expect(code).toBe(1);
      expect(output).toContain(`PORT ${port} is already in use`);
    } finally {
      blocker.close();
      await db.drop();
    }
  });
});
