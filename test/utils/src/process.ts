import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends `signal` and resolves with how the process ended once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Polls `url` until it answers `status`, or throws after `timeoutMs` with what it saw last. */
export async function waitForStatus(url: string, status = 200, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === status) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Spawns a real server process (by default the API through `node --import tsx`) and waits for
 * /readyz. `command` lets a test run exactly what a user runs, such as `npm start`.
 */
export async function startServerProcess(options: {
  env: Record<string, string>;
  command?: string[];
  readyTimeoutMs?: number;
  /** Where to run it: the repository unless a test runs a copy (a clone in another folder). */
  cwd?: string;
}): Promise<ServerProcess> {
  const port = options.env.PORT ?? String(await freePort());
  const [cmd, ...args] = options.command ?? ['node', '--no-node-snapshot', '--import', 'tsx', 'apps/api/src/main.ts'];
  if (cmd === undefined) throw new Error('empty command');
  const { child, output } = spawnCaptured(cmd, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { LOG_LEVEL: 'warn', ...options.env, PORT: port },
  });
  // 'close' waits for the stdio pipes, which grandchildren (npm start's server) hold until they exit.
  const exited = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    child,
    url,
    output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  try {
    await Promise.race([
      waitForStatus(`${url}/readyz`, 200, options.readyTimeoutMs ?? 60_000),
      exited.then(({ code }) => {
        throw new Error(`server exited with ${code} before it was ready:\n${output()}`);
      }),
    ]);
  } catch (error) {
    await server.stop('SIGKILL');
    throw error;
  }
  return server;
}

/** Runs a command to completion and returns its exit code and combined output. */
export async function runToExit(
  command: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
  cwd = REPO_ROOT,
): Promise<{ code: number | null; output: string }> {
  const [cmd, ...args] = command;
  if (cmd === undefined) throw new Error('empty command');
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns a real worker process (`apps/api/src/worker-main.ts`) and waits until it logs that it is
 * ready (so its LOG_LEVEL is at least info).
 */
export async function startWorkerProcess(options: { env: Record<string, string>; readyTimeoutMs?: number }) {
  const { child, output } = spawnCaptured(
    'node',
    ['--no-node-snapshot', '--import', 'tsx', 'apps/api/src/worker-main.ts'],
    { cwd: REPO_ROOT, env: { WORKERS: '1', ...options.env, LOG_LEVEL: 'info' } },
  );
  const exited = once(child, 'close');
  const worker: WorkerProcess = {
    child,
    output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!output().includes('Weft worker ready')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await worker.stop('SIGKILL');
      throw new Error(`worker did not become ready:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return worker;
}

/** Spawns `cmd` with the test's environment plus `env`, keeping its stdout and stderr for failures. */
function spawnCaptured(
  cmd: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => out };
}
