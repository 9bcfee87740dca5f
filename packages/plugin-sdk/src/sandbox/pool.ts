/**
 * The parent side of the sandbox: a pool of sandbox processes. A call goes to the process that owns
 * its workspace (hash), so an isolate is reused by every call with that workspace and key, and one
 * process sees all of a workspace's isolates (its memory caps hold exactly). Each workspace has a
 * CPU budget per time window here. Capability requests from the plugin come back here and are
 * answered by the caller's handlers, which do all checking.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { LRUCache } from 'lru-cache';
import type { PluginManifest } from '../manifest.ts';
import { CpuBudgets, DEFAULT_CPU_BUDGET, type WorkspaceCpuBudget } from './budget.ts';
import { CapabilityError, SandboxError, SandboxErrorCode } from './errors.ts';
import { bundleIntegrity } from './integrity.ts';
import {
  type ChildMessage,
  DEFAULT_LIMITS,
  type IsolateStats,
  type ParentMessage,
  type RunInfo,
  type SandboxLimits,
  type WireError,
} from './protocol.ts';

/**
 * @public A plugin version as the sandbox loads it. `workspaceId` and `key` together name its
 * isolate (the reuse unit): isolates, bundles and budgets are never shared across workspaces.
 */
export interface SandboxPlugin {
  workspaceId: string;
  key: string;
  manifest: PluginManifest;
  bundle: string;
}

/** @public Answers one capability request of a plugin; throw {@link CapabilityError} to refuse. */
export type CapabilityHandler = (args: unknown) => Promise<unknown>;

/** @public The host side of one call: capability handlers and where log lines go. */
export interface CallHandlers {
  capabilities: Partial<Record<string, CapabilityHandler>>;
  log?(level: string, message: string, data: unknown): void;
}

/** @public One tool call into the sandbox. */
export interface SandboxCall {
  plugin: SandboxPlugin;
  /** The tool's short name, as in the manifest. */
  tool: string;
  input: unknown;
  run?: RunInfo;
  handlers: CallHandlers;
  signal?: AbortSignal;
  limits?: Partial<SandboxLimits>;
}

/** @public Options of {@link SandboxPool}. */
export interface SandboxPoolOptions {
  /** Sandbox processes (default 1). */
  size?: number;
  /** Isolates kept per process, least recently used evicted first (default 32). */
  maxIsolatesPerProcess?: number;
  limits?: Partial<SandboxLimits>;
  /** Plugin CPU time each workspace may use per window (default 30 s per 60 s). */
  cpuBudget?: WorkspaceCpuBudget;
  /** Isolates one workspace may hold at once (default 8). */
  workspaceMaxIsolates?: number;
  /** Sum of the heap limits of one workspace's isolates, in MB (default 256). */
  workspaceHeapMb?: number;
  /** Called when a sandbox process dies unexpectedly (it is restarted right away). */
  onCrash?(info: { code: number | null; signal: string | null; stderr: string }): void;
}

/** @public Memory of one sandbox process and its isolates. */
export interface SandboxProcessStats {
  pid: number | undefined;
  rssBytes: number;
  isolates: IsolateStats[];
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
  message: Extract<ParentMessage, { type: 'call' }>;
  plugin: SandboxPlugin;
  handlers: CallHandlers;
  backstop: NodeJS.Timeout;
  bundleSends: number;
  cleanup(): void;
}

const here = import.meta.url;
const isSource = here.endsWith('.ts');
const CHILD_ENTRY = fileURLToPath(new URL(isSource ? './child.ts' : './child.js', here));
const CHILD_EXEC_ARGV = ['--no-node-snapshot', ...(isSource ? ['--import', 'tsx'] : [])];
/** Past the wall deadline, how long the process gets to report before it is presumed stuck. */
const BACKSTOP_MS = 5_000;

/** The one name of a plugin's isolate and bundle: its key means nothing outside its workspace. */
function slotOf(plugin: Pick<SandboxPlugin, 'workspaceId' | 'key'>): string {
  return JSON.stringify([plugin.workspaceId, plugin.key]);
}

function toError(error: WireError): SandboxError {
  return new SandboxError(error.code as SandboxErrorCode, error.message, {
    ...(error.toolErrorName === undefined ? {} : { toolErrorName: error.toolErrorName }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.cause === undefined ? {} : { cause: error.cause }),
  });
}

class SandboxProcess {
  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, PendingCall>();
  private readonly statsWaiters = new Map<number, (stats: SandboxProcessStats) => void>();
  private readonly sentBundles = new Set<string>();
  private stderr = '';
  private killedReason: string | null = null;
  private closing = false;
  restarts = 0;

  constructor(
    private readonly options: SandboxPoolOptions,
    private readonly nextId: () => number,
    private readonly charge: (workspace: string, cpuMs: number) => void,
  ) {}

  private start(): ChildProcess {
    const child = fork(CHILD_ENTRY, [], {
      execArgv: CHILD_EXEC_ARGV,
      // Nothing of the host's environment (database URLs, keys) is handed to the sandbox process.
      env: {
        PATH: process.env.PATH ?? '',
        WEFT_SANDBOX_MAX_ISOLATES: String(this.options.maxIsolatesPerProcess ?? 32),
        WEFT_SANDBOX_CANCEL_GRACE_MS: String(this.options.limits?.cancelGraceMs ?? DEFAULT_LIMITS.cancelGraceMs),
        WEFT_SANDBOX_WORKSPACE_MAX_ISOLATES: String(this.options.workspaceMaxIsolates ?? 8),
        WEFT_SANDBOX_WORKSPACE_HEAP_MB: String(this.options.workspaceHeapMb ?? 256),
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.stderr = '';
    this.killedReason = null;
    this.sentBundles.clear();
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('message', (message: ChildMessage) => this.onMessage(child, message));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', () => {});
    this.child = child;
    return child;
  }

  private ensure(): ChildProcess {
    if (this.child?.connected) return this.child;
    return this.start();
  }

  private post(child: ChildProcess, message: ParentMessage): void {
    if (child.connected) child.send(message);
  }

  call(request: SandboxCall, slot: string, limits: SandboxLimits, budgetMs: number): Promise<unknown> {
    if (this.closing) return Promise.reject(new SandboxError(SandboxErrorCode.CLOSED, 'the sandbox is closed'));
    const input = JSON.stringify(request.input ?? null);
    if (input.length > limits.maxInputBytes) {
      return Promise.reject(
        new SandboxError(
          SandboxErrorCode.INPUT_TOO_LARGE,
          `input is ${input.length} characters; the limit is ${limits.maxInputBytes}`,
        ),
      );
    }
    const child = this.ensure();
    const id = this.nextId();
    const message: Extract<ParentMessage, { type: 'call' }> = {
      type: 'call',
      id,
      workspace: request.plugin.workspaceId,
      key: request.plugin.key,
      tool: request.tool,
      input,
      run: request.run ?? { executionId: 'local', stepId: 'local', attempt: 1, mode: 'LIVE' },
      limits,
      budgetMs,
    };
    return new Promise<unknown>((resolve, reject) => {
      const backstop = setTimeout(() => {
        // The process did not report within the deadline: it is stuck; kill and restart it.
        this.killedReason = `the plugin host did not answer within ${limits.wallTimeoutMs} ms and was restarted`;
        child.kill('SIGKILL');
      }, limits.wallTimeoutMs + BACKSTOP_MS);
      const pending: PendingCall = {
        resolve,
        reject,
        message,
        plugin: request.plugin,
        handlers: request.handlers,
        backstop,
        bundleSends: 0,
        cleanup: () => {},
      };
      this.pending.set(id, pending);
      if (!this.sentBundles.has(slot)) this.sendBundle(child, pending);
      this.post(child, message);
      const signal = request.signal;
      if (signal !== undefined) {
        const onAbort = () => this.post(child, { type: 'abort', id, reason: String(signal.reason ?? 'cancelled') });
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          pending.cleanup = () => signal.removeEventListener('abort', onAbort);
        }
      }
    });
  }

  private sendBundle(child: ChildProcess, pending: PendingCall): void {
    pending.bundleSends++;
    this.sentBundles.add(slotOf(pending.plugin));
    this.post(child, {
      type: 'bundle',
      workspace: pending.plugin.workspaceId,
      key: pending.plugin.key,
      manifest: pending.plugin.manifest,
      bundle: pending.plugin.bundle,
    });
  }

  private settle(id: number, outcome: { ok: true; value: unknown } | { ok: false; error: Error }): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.backstop);
    pending.cleanup();
    if (outcome.ok) pending.resolve(outcome.value);
    else pending.reject(outcome.error);
  }

  private onMessage(child: ChildProcess, message: ChildMessage): void {
    switch (message.type) {
      case 'ready':
        return;
      case 'usage':
        this.charge(message.workspace, message.cpuMs);
        return;
      case 'need-bundle': {
        const pending = this.pending.get(message.id);
        if (pending === undefined) return;
        if (pending.bundleSends >= 2) {
          this.settle(message.id, {
            ok: false,
            error: new SandboxError(SandboxErrorCode.LOAD_FAILED, 'the sandbox could not keep the plugin loaded'),
          });
          return;
        }
        this.sendBundle(child, pending);
        this.post(child, pending.message);
        return;
      }
      case 'result':
        if (message.usage !== undefined) this.charge(message.usage.workspace, message.usage.cpuMs);
        if (message.ok) this.settle(message.id, { ok: true, value: message.output });
        else this.settle(message.id, { ok: false, error: toError(message.error) });
        return;
      case 'cap':
        this.onCapability(child, message);
        return;
      case 'log': {
        const pending = this.pending.get(message.callId);
        if (pending === undefined) return;
        let data: unknown = null;
        try {
          data = message.data === null ? null : JSON.parse(message.data);
        } catch {
          data = null;
        }
        pending.handlers.log?.(message.level, message.message, data);
        return;
      }
      case 'stats': {
        const waiter = this.statsWaiters.get(message.id);
        this.statsWaiters.delete(message.id);
        waiter?.({ pid: child.pid, rssBytes: message.rssBytes, isolates: message.isolates });
        return;
      }
    }
  }

  private onCapability(child: ChildProcess, message: Extract<ChildMessage, { type: 'cap' }>): void {
    const reply = (result: ParentMessage) => this.post(child, result);
    const pending = this.pending.get(message.callId);
    const handler = pending?.handlers.capabilities[message.name];
    if (pending === undefined || handler === undefined) {
      reply({
        type: 'cap-result',
        id: message.id,
        ok: false,
        error: { code: SandboxErrorCode.CAPABILITY_DENIED, message: `${message.name} is not available to this plugin` },
      });
      return;
    }
    let args: unknown;
    try {
      args = JSON.parse(message.args);
    } catch {
      args = null;
    }
    handler(args).then(
      (value) =>
        reply({
          type: 'cap-result',
          id: message.id,
          ok: true,
          value: value === undefined ? '' : JSON.stringify(value),
        }),
      (error: unknown) => {
        const code = error instanceof CapabilityError ? error.code : SandboxErrorCode.CAPABILITY_FAILED;
        const text = error instanceof Error ? error.message : String(error);
        reply({ type: 'cap-result', id: message.id, ok: false, error: { code, message: `${message.name}: ${text}` } });
      },
    );
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = null;
    const error = this.closing
      ? new SandboxError(SandboxErrorCode.CLOSED, 'the sandbox was stopped while the tool ran')
      : new SandboxError(
          SandboxErrorCode.HOST_CRASHED,
          this.killedReason ??
            `the plugin host process exited (${signal ?? `code ${code}`}) while running the tool; it was restarted`,
        );
    for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, error });
    for (const [id, waiter] of this.statsWaiters) {
      this.statsWaiters.delete(id);
      waiter({ pid: undefined, rssBytes: 0, isolates: [] });
    }
    if (this.closing) return;
    this.restarts++;
    this.options.onCrash?.({ code, signal, stderr: this.stderr });
    // Restart eagerly so the next call does not pay for the process start.
    this.start();
  }

  stats(): Promise<SandboxProcessStats> {
    if (this.closing) return Promise.resolve({ pid: undefined, rssBytes: 0, isolates: [] });
    const child = this.ensure();
    const id = this.nextId();
    return new Promise((resolve) => {
      this.statsWaiters.set(id, resolve);
      this.post(child, { type: 'stats', id });
    });
  }

  evict(plugin: Pick<SandboxPlugin, 'workspaceId' | 'key'>): void {
    this.sentBundles.delete(slotOf(plugin));
    if (this.child !== null) this.post(this.child, { type: 'evict', workspace: plugin.workspaceId, key: plugin.key });
  }

  /** For tests: the current process id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * @public A pool of sandbox processes running plugin tools in isolated-vm isolates. The production
 * plugin host and the SDK's test harness both use it, so tests exercise the real sandbox.
 * @example
 * const pool = new SandboxPool({ size: 2 });
 * const output = await pool.call({ plugin: { workspaceId, key, manifest, bundle }, tool: 'greet', input: { name: 'Ada' },
 *   handlers: { capabilities: {} } });
 * await pool.close();
 */
export class SandboxPool {
  private readonly processes: SandboxProcess[];
  private readonly limits: SandboxLimits;
  private lastId = 0;
  /** Integrity already checked per workspace and key, so warm calls do not hash the bundle again. */
  private readonly verified = new Map<string, string>();
  private readonly budgets: CpuBudgets;
  /** Which process serves a workspace: hashing its id costs more than the rest of a warm call here. */
  private readonly processIndex = new LRUCache<string, number>({ max: 10_000 });

  constructor(options: SandboxPoolOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.budgets = new CpuBudgets(options.cpuBudget ?? DEFAULT_CPU_BUDGET);
    const size = Math.max(1, options.size ?? 1);
    const charge = (workspace: string, cpuMs: number) => this.budgets.charge(workspace, cpuMs);
    this.processes = Array.from({ length: size }, () => new SandboxProcess(options, () => ++this.lastId, charge));
  }

  private processFor(workspaceId: string): SandboxProcess {
    let index = this.processIndex.get(workspaceId);
    if (index === undefined) {
      index = createHash('sha1').update(workspaceId).digest().readUInt32BE(0) % this.processes.length;
      this.processIndex.set(workspaceId, index);
    }
    const process = this.processes[index];
    if (process === undefined) throw new Error('sandbox pool has no processes');
    return process;
  }

  /**
   * Runs one tool call; rejects with a {@link SandboxError} (its `code` says why). A workspace over
   * its CPU budget gets `SANDBOX_WORKSPACE_CPU_BUDGET` with `retryAfterMs` (when its window ends).
   */
  async call(request: SandboxCall): Promise<unknown> {
    const { workspaceId, manifest, bundle } = request.plugin;
    const slot = slotOf(request.plugin);
    if (this.verified.get(slot) !== manifest.integrity) {
      if (bundleIntegrity(bundle) !== manifest.integrity) {
        throw new SandboxError(SandboxErrorCode.INTEGRITY_MISMATCH, 'the bundle does not match its manifest integrity');
      }
      this.verified.set(slot, manifest.integrity);
    }
    const budget = this.budgets.remaining(workspaceId);
    if (budget.remainingMs <= 0) throw this.overBudget(workspaceId);
    try {
      return await this.processFor(workspaceId).call(
        request,
        slot,
        { ...this.limits, ...request.limits },
        // Whole milliseconds within 32 bits: isolated-vm takes timeouts as 32-bit integers.
        Math.ceil(Math.min(budget.remainingMs, 2_147_483_647)),
      );
    } catch (error) {
      if (error instanceof SandboxError && error.code === SandboxErrorCode.WORKSPACE_CPU_BUDGET) {
        throw this.overBudget(workspaceId);
      }
      throw error;
    }
  }

  private overBudget(workspaceId: string): SandboxError {
    const { resetsInMs } = this.budgets.remaining(workspaceId);
    return new SandboxError(
      SandboxErrorCode.WORKSPACE_CPU_BUDGET,
      `the workspace used up its plugins' CPU time budget; it renews in ${Math.ceil(resetsInMs / 1000)} s`,
      { retryAfterMs: Math.max(1, Math.ceil(resetsInMs)) },
    );
  }

  /** Drops the isolate and bundle of one workspace's plugin (e.g. after an uninstall). */
  evict(plugin: Pick<SandboxPlugin, 'workspaceId' | 'key'>): void {
    this.verified.delete(slotOf(plugin));
    this.processFor(plugin.workspaceId).evict(plugin);
  }

  /** Memory of each sandbox process and its isolates. */
  stats(): Promise<SandboxProcessStats[]> {
    return Promise.all(this.processes.map((p) => p.stats()));
  }

  /** How many times sandbox processes were restarted after dying. */
  get restarts(): number {
    return this.processes.reduce((sum, p) => sum + p.restarts, 0);
  }

  /** Process ids, for diagnostics and tests. */
  get pids(): (number | undefined)[] {
    return this.processes.map((p) => p.pid);
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.close()));
  }
}
