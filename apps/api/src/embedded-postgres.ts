import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { ConfigError } from './config.ts';
import { type PostgresBinaries, postgresBinaries, reachableByOthers } from './postgres-binaries.ts';

const DATABASE = 'weft';
const READY = 'database system is ready to accept connections';

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

/**
 * Where the cluster's files go. PostgreSQL refuses to run as root, so as root the folder belongs
 * to the `postgres` OS user, who must be able to reach it: DATA_DIR is opened for traversal, and
 * when a parent folder is private (a clone under /root) the cluster lives under /var/lib/weft
 * instead, keyed by DATA_DIR.
 */
function clusterDir(dataDir: string, asRoot: boolean): string {
  if (!asRoot) return join(dataDir, 'pg');
  chmodSync(dataDir, statSync(dataDir).mode | 0o011);
  if (reachableByOthers(dataDir)) return join(dataDir, 'pg');
  const fallback = privateCheckoutClusterDir(dataDir);
  mkdirSync(dirname(fallback), { recursive: true, mode: 0o755 });
  return fallback;
}

/** Where the cluster of a DATA_DIR inside a private folder lives when Weft runs as root. */
export function privateCheckoutClusterDir(dataDir: string): string {
  return join('/var/lib/weft', `pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** As root, the `postgres` OS user (created when missing, as a system account); else ourselves. */
function runAs(asRoot: boolean): RunAs {
  if (!asRoot) return {};
  const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }), 10);
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      throw new ConfigError(
        'Embedded PostgreSQL cannot run as root and the postgres OS user could not be created (useradd failed): create it, run as another user, or set DATABASE_URL',
      );
    }
  }
}

/** The last lines a program wrote, folded onto one line for an error message. */
function tail(output: string): string {
  return output.trim().split('\n').slice(-3).join(' | ') || 'no output';
}

/** A spawn failure (missing or unexecutable program) as one line naming the program and the cause. */
function spawnFailure(program: string, error: NodeJS.ErrnoException): ConfigError {
  return new ConfigError(
    `Embedded PostgreSQL cannot run ${program} (${error.code ?? error.message}): set DATABASE_URL to use your own server`,
  );
}

// Messages are matched in English (READY), whatever the machine's language.
const childEnv = () => ({ ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' });

async function initdb(bin: PostgresBinaries, pgDir: string, password: string, user: RunAs): Promise<void> {
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  const pwfile = join(dirname(pgDir), `.initdb-pw-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (user.uid !== undefined && user.gid !== undefined) {
      chownSync(pgDir, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
    }
    const args = [`--pgdata=${pgDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`];
    // UTF-8 whatever the machine's locale, so text round-trips the same everywhere.
    args.push('--encoding=UTF8', '--no-locale');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(bin.initdb, args, { ...user, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.once('error', (error) => reject(spawnFailure('initdb', error)));
      child.once('close', (code) =>
        code === 0 ? resolve() : reject(new ConfigError(`Embedded PostgreSQL initdb failed (${tail(output)})`)),
      );
    });
  } catch (error) {
    rmSync(pgDir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Starts the postmaster and resolves once it accepts connections. */
async function startPostmaster(
  bin: PostgresBinaries,
  pgDir: string,
  port: number,
  user: RunAs,
  onLog: (line: string) => void,
): Promise<ChildProcess> {
  const args = ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  const child = spawn(bin.postgres, args, { ...user, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      const text = d.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim() !== '') onLog(line.trim());
      if (output.includes(READY)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => reject(spawnFailure('postgres', error)));
    child.once('exit', () => reject(new ConfigError(`Embedded PostgreSQL did not start (${tail(output)})`)));
  });
  return child;
}

/**
 * Starts (creating on first use) a real PostgreSQL under `dataDir/pg`, listening on 127.0.0.1 only,
 * with a generated password kept beside it. A second start reuses the data. Every failure is a
 * ConfigError with one line saying what went wrong.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const asRoot = process.getuid?.() === 0;
  mkdirSync(options.dataDir, { recursive: true });
  const bin = postgresBinaries(asRoot);
  const user = runAs(asRoot);
  const pgDir = clusterDir(options.dataDir, asRoot);
  const passwordFile = join(options.dataDir, 'pg-password');
  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    rmSync(pgDir, { recursive: true, force: true });
    writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
    await initdb(bin, pgDir, readFileSync(passwordFile, 'utf8').trim(), user);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  clearStaleLock(pgDir);
  await assertPortFree(options.port);
  const child = await startPostmaster(bin, pgDir, options.port, user, options.onLog ?? (() => {}));
  // However this process ends, the postmaster goes with it (a fast shutdown, as on SIGINT).
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    await exited;
  };

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${DATABASE}`;
  const admin = new pg.Client({ connectionString: url.replace(`/${DATABASE}`, '/postgres') });
  try {
    await admin.connect();
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    await admin.end().catch(() => {});
  }
  return { url, stop };
}
