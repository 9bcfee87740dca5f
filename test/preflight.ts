/**
 * Run first by `npm test`: checks that everything the tests talk to is there, starts what it can
 * (PostgreSQL and Redis when installed but down, as `.ci/run` does), and otherwise stops with one
 * line naming each missing piece and how to get it, instead of tests failing one by one with
 * ECONNREFUSED or `spawn radicale ENOENT` minutes later. README "Running the tests" lists the same needs.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import pg from 'pg';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = { host: '127.0.0.1', port: 6379 };
const CHROMIUM = '/usr/bin/chromium';

interface Need {
  /** What is missing, as the one line names it. */
  name: string;
  /** How to get it. */
  fix: string;
  ok(): Promise<boolean>;
  /** Tries to start it when installed but not running (false: not installed, nothing tried). */
  start?(): boolean;
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(REDIS);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

function run(command: string, args: string[]): void {
  spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
}

async function waitFor(check: () => Promise<boolean>, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return check();
}

const NEEDS: Need[] = [
  {
    name: `PostgreSQL at ${DATABASE_URL.replace(/\/\/[^@]*@/, '//postgres@')} (trust auth)`,
    fix: 'apt-get install postgresql, or set TEST_DATABASE_URL',
    ok: postgresAnswers,
    start() {
      if (!onPath('pg_ctlcluster')) return false;
      // Debian's layout: /etc/postgresql/<version>/main.
      const version = readdirSync('/etc/postgresql', { withFileTypes: true }).find((d) => d.isDirectory())?.name;
      if (version === undefined) return false;
      run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
      return true;
    },
  },
  {
    name: `Redis at ${REDIS.host}:${REDIS.port}`,
    fix: 'apt-get install redis-server',
    ok: redisAnswers,
    start() {
      if (!onPath('redis-server')) return false;
      // A throwaway cache for tests: nothing persisted.
      run('redis-server', ['--daemonize', 'yes', '--bind', REDIS.host, '--port', String(REDIS.port), '--save', '']);
      return true;
    },
  },
  {
    name: 'radicale (the CalDAV server the calendar plugin is tested against)',
    fix: 'apt-get install radicale',
    ok: async () => onPath('radicale'),
  },
  {
    name: `Chromium at ${CHROMIUM} (drives the admin console's test)`,
    fix: 'apt-get install chromium',
    ok: async () => executable(CHROMIUM),
  },
];

const missing: Need[] = [];
for (const need of NEEDS) {
  if (await need.ok()) continue;
  let started = false;
  try {
    started = need.start?.() ?? false;
  } catch {
    // Could not start it: reported as missing below.
  }
  if (started && (await waitFor(need.ok, 10))) continue;
  missing.push(need);
}
if (missing.length > 0) {
  process.stderr.write(`npm test needs ${missing.map((n) => `${n.name}: ${n.fix}`).join('; ')}\n`);
  process.exit(1);
}
