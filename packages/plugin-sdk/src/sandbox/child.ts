/**
 * The sandbox process: holds isolated-vm isolates (LRU, one per workspace and key) and runs tool
 * calls in them. No plugin code runs outside a call: timers die with the call, and an isolate that
 * still has work pending when its last call ends is discarded instead of reused.
 * It is a child of the pool so that a V8 abort (out of memory in an isolate can take the whole
 * process down) costs a restart, not the API. Started with `--no-node-snapshot` (isolated-vm on
 * Node 20 requires it).
 */
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import type ivmTypes from 'isolated-vm';
import { LRUCache } from 'lru-cache';
import type { PluginManifest } from '../manifest.ts';
import { BOOTSTRAP_SOURCE } from './bootstrap.ts';
import { SandboxErrorCode } from './errors.ts';
import { bundleIntegrity } from './integrity.ts';
import type { ChildMessage, ParentMessage, RunInfo, SandboxLimits, Slot, WireCause, WireError } from './protocol.ts';
import { QuickEntries, SYNC_SLICE_MS } from './quick-entry.ts';
import { createValidator } from './validate.ts';

const require = createRequire(import.meta.url);
const ivm: typeof ivmTypes = require('isolated-vm');

const MAX_ISOLATES = Number(process.env.WEFT_SANDBOX_MAX_ISOLATES ?? '32');
/** Per-workspace caps: isolates held, and the sum of their heap limits (MB). */
const WORKSPACE_MAX_ISOLATES = Number(process.env.WEFT_SANDBOX_WORKSPACE_MAX_ISOLATES ?? '8');
const WORKSPACE_HEAP_MB = Number(process.env.WEFT_SANDBOX_WORKSPACE_HEAP_MB ?? '256');
const MAX_BUNDLES = 256;

/** The one name of an isolate or bundle: a key means nothing outside its workspace. */
function slotOf({ workspace, key }: Slot): string {
  return JSON.stringify([workspace, key]);
}

interface Loaded {
  manifest: PluginManifest;
  bundle: string;
  input: Map<string, ValidateFunction>;
  output: Map<string, ValidateFunction>;
}

interface ActiveCall {
  id: number;
  deadline: NodeJS.Timeout;
  /** `pending`: host requests the isolate still awaited when the tool returned (0 if unknown). */
  finish(result: ChildMessage, pending?: number): void;
  cancelled: boolean;
  /** Log lines sent so far (capped, so a chatty plugin cannot flood the host). */
  logs: number;
  /** Host requests in flight (capped, so one call cannot exhaust the database pool). */
  inFlight: number;
  /** The isolate's CPU time when the call began: everything run since counts against the call. */
  cpuStartNs: bigint;
  /** CPU the call may use (ms): its own limit, or what is left of its workspace's budget if less. */
  cpuLimitMs: number;
  /** What the call fails with past `cpuLimitMs`. */
  cpuError: WireError;
}

const MAX_LOG_LINES = 500;
const MAX_IN_FLIGHT = 32;

const CPU_LIMIT_ERROR: WireError = {
  code: SandboxErrorCode.CPU_LIMIT,
  message: 'the plugin ran JavaScript past its CPU time limit',
};

/**
 * Enters the isolate to resolve a host request, a timer or a cancel, only while one of its calls
 * runs. The entry may use what is left of the calls' CPU time (not a fresh allowance), and what it
 * used counts for them; past it the isolate is discarded.
 */
function enter(entry: IsolateEntry, fn: ivmTypes.Reference, args: (string | number | boolean)[]): void {
  if (entry.isolate.isDisposed || entry.active.size === 0) return;
  const left = cpuLeft(entry);
  if (left.ms <= 0) {
    dispose(entry, left.error);
    return;
  }
  entry.entering++;
  fn.apply(undefined, args, { arguments: { copy: true }, timeout: Math.ceil(left.ms) }).then(
    () => {
      entry.entering--;
      enforceCpu(entry);
    },
    (error: unknown) => {
      entry.entering--;
      if (!entry.isolate.isDisposed) dispose(entry, memoryOrCrash(entry, error));
    },
  );
}

/** The isolate's CPU time so far (its last known value once disposed). */
function cpuNs(entry: IsolateEntry): bigint {
  if (entry.isolate.isDisposed) return entry.cpuReportedNs;
  try {
    return entry.isolate.cpuTime;
  } catch {
    return entry.cpuReportedNs;
  }
}

/** CPU time (ms) the isolate used since the last report, now counted as reported. */
function unreported(entry: IsolateEntry): number {
  const now = cpuNs(entry);
  const delta = now - entry.cpuReportedNs;
  if (delta <= 0n) return 0;
  entry.cpuReportedNs = now;
  return Number(delta) / 1e6;
}

/** Tells the parent what the isolate used since the last report, charged to its workspace. */
function report(entry: IsolateEntry): void {
  const cpuMs = unreported(entry);
  if (cpuMs > 0) send({ type: 'usage', workspace: entry.workspace, cpuMs });
}

/** CPU time left (ms) before the first of the isolate's running calls reaches its limit. */
function cpuLeft(entry: IsolateEntry): { ms: number; error: WireError } {
  const now = cpuNs(entry);
  let left = { ms: Number.POSITIVE_INFINITY, error: CPU_LIMIT_ERROR };
  for (const call of entry.active.values()) {
    const ms = call.cpuLimitMs - Number(now - call.cpuStartNs) / 1e6;
    if (ms < left.ms) left = { ms, error: call.cpuError };
  }
  return left;
}

function enforceCpu(entry: IsolateEntry): void {
  if (entry.isolate.isDisposed) return;
  const left = cpuLeft(entry);
  if (left.ms <= 0) dispose(entry, left.error);
}

/**
 * The isolate's last call ended: no plugin code may run until the next one. Its timers are
 * cleared; if anything was still pending (a timer, an unanswered host request), the plugin meant
 * to go on after its result, so the isolate is discarded rather than reused with that work in it.
 */
function quiesce(entry: IsolateEntry, pendingInIsolate: number): void {
  const pending = pendingInIsolate + entry.timers.size + entry.hostCalls;
  clearTimers(entry);
  if (pending > 0 && !entry.isolate.isDisposed) {
    dispose(entry, { code: SandboxErrorCode.CLOSED, message: 'the plugin left work pending after its call' });
  }
}

function clearTimers(entry: IsolateEntry): void {
  for (const timer of entry.timers.values()) clearTimeout(timer);
  entry.timers.clear();
}

interface IsolateEntry {
  slot: string;
  workspace: string;
  key: string;
  memoryMb: number;
  isolate: ivmTypes.Isolate;
  context: ivmTypes.Context;
  invoke: ivmTypes.Reference;
  /** The synchronous start of a call (see quick-entry.ts); its result comes through `waiting`. */
  begin: ivmTypes.Reference;
  settle: ivmTypes.Reference;
  abort: ivmTypes.Reference;
  active: Map<number, ActiveCall>;
  /** Why the isolate was disposed by us (deadline, cancel), so calls report the real reason. */
  disposeReason: WireError | null;
  /** Host timers the plugin's setTimeout asked for, by request id. */
  timers: Map<number, NodeJS.Timeout>;
  /** Host requests sent to the parent and not answered yet. */
  hostCalls: number;
  /** CPU time already reported to the parent. */
  cpuReportedNs: bigint;
  /** Asynchronous entries not finished yet: a synchronous one would wait for them, holding the thread. */
  entering: number;
  /** Tools whose last call here used almost no CPU: their next call may start synchronously. */
  quick: Set<string>;
  /** Calls started synchronously, by id: what receives the tool's result when it settles. */
  waiting: Map<number, (raw: unknown) => void>;
}

/** Loaded bundles by slot, least recently used dropped first (the parent sends it again if needed). */
const bundles = new LRUCache<string, Loaded>({ max: MAX_BUNDLES });
/** Keys whose bundle did not match its manifest's integrity: every call to them fails. */
const badBundles = new Set<string>();
/** Isolates being created, so concurrent cold calls share one instead of racing (and are counted). */
const creating = new Map<string, { workspace: string; memoryMb: number; promise: Promise<IsolateEntry> }>();
/**
 * Live isolates by slot, in least recently used order (`touch` moves one to the end). Not an
 * lru-cache: eviction here must skip busy isolates (disposing one would fail its running call),
 * and a workspace over its own caps evicts its own least recently used idle isolate, not the
 * process's; lru-cache evicts its oldest entry on `set`, whatever it holds.
 */
const isolates = new Map<string, IsolateEntry>();
const calls = new Map<number, IsolateEntry>();
/** Cancels that arrived while their call was still loading; applied once it runs. */
const earlyAborts = new Map<number, string>();
const capRequests = new Map<number, { entry: IsolateEntry; requestId: number; call: ActiveCall }>();
const quickEntries = new QuickEntries();
let nextCapId = 0;

function send(message: ChildMessage): void {
  try {
    process.send?.(message);
  } catch (error) {
    // Only a result carries plugin data (its output) that the channel could fail to serialize
    // (e.g. nested too deep): the call fails rather than never answering.
    if (message.type !== 'result' || !message.ok) throw error;
    process.send?.({
      type: 'result',
      id: message.id,
      ok: false,
      error: {
        code: SandboxErrorCode.INVALID_OUTPUT,
        message: `the tool's output could not be sent: ${errorText(error)}`,
      },
      ...(message.usage === undefined ? {} : { usage: message.usage }),
    } satisfies ChildMessage);
  }
}

function touch<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
}

function dispose(entry: IsolateEntry, reason: WireError): void {
  if (entry.disposeReason === null) entry.disposeReason = reason;
  if (isolates.get(entry.slot) === entry) isolates.delete(entry.slot);
  clearTimers(entry);
  report(entry);
  if (!entry.isolate.isDisposed) entry.isolate.dispose();
  for (const call of entry.active.values()) call.finish({ type: 'result', id: call.id, ok: false, error: reason });
  for (const release of entry.waiting.values()) release(undefined);
  entry.waiting.clear();
}

function evictIfFull(): void {
  if (isolates.size < MAX_ISOLATES) return;
  for (const entry of isolates.values()) {
    if (entry.active.size === 0) {
      dispose(entry, { code: SandboxErrorCode.CLOSED, message: 'isolate evicted' });
      return;
    }
  }
}

/**
 * Makes room for one more isolate of `workspace` within its caps (count, and the sum of heap
 * limits, which bounds what its isolates can ever hold), evicting its idle ones least recently
 * used first. Returns the refusal when its isolates are all busy.
 */
function workspaceRoom(workspace: string, memoryMb: number): WireError | null {
  let count = 0;
  let heapMb = 0;
  for (const pending of creating.values()) {
    if (pending.workspace !== workspace) continue;
    count++;
    heapMb += pending.memoryMb;
  }
  const mine = [...isolates.values()].filter((e) => e.workspace === workspace);
  for (const entry of mine) {
    count++;
    heapMb += entry.memoryMb;
  }
  const fits = () => count < WORKSPACE_MAX_ISOLATES && heapMb + memoryMb <= WORKSPACE_HEAP_MB;
  for (const entry of mine) {
    if (fits()) break;
    if (entry.active.size > 0) continue;
    dispose(entry, { code: SandboxErrorCode.CLOSED, message: 'isolate evicted' });
    count--;
    heapMb -= entry.memoryMb;
  }
  if (fits()) return null;
  return {
    code: SandboxErrorCode.WORKSPACE_MEMORY_BUDGET,
    message:
      `the workspace's plugins hold ${count} isolates (${heapMb} MB of heap limits), all busy; ` +
      `a workspace may hold ${WORKSPACE_MAX_ISOLATES} isolates and ${WORKSPACE_HEAP_MB} MB`,
    retryAfterMs: 1_000,
  };
}

async function createIsolate(
  slot: Slot,
  loaded: Loaded,
  limits: SandboxLimits,
  loadTimeoutMs: number,
): Promise<IsolateEntry> {
  evictIfFull();
  const isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb });
  try {
    const context = await isolate.createContext();
    const jail = context.global;
    const entryRef: { current: IsolateEntry | null } = { current: null };
    // The callbacks receive only strings and numbers (copied), and return nothing to the plugin.
    await jail.set(
      '__weftSend',
      new ivm.Callback(
        (requestId: unknown, callId: unknown, name: unknown, args: unknown) => {
          const entry = entryRef.current;
          if (entry !== null) onHostCall(entry, requestId, callId, name, args);
        },
        { ignored: true },
      ),
    );
    await jail.set(
      '__weftLog',
      new ivm.Callback(
        (callId: unknown, level: unknown, message: unknown, data: unknown) => {
          const entry = entryRef.current;
          const call = typeof callId === 'number' ? entry?.active.get(callId) : undefined;
          if (entry === null || call === undefined || typeof callId !== 'number') return;
          if (++call.logs > MAX_LOG_LINES) return;
          send({
            type: 'log',
            callId,
            level: String(level).slice(0, 10),
            message: String(message).slice(0, 4000),
            data: typeof data === 'string' ? data.slice(0, 16_000) : null,
          });
        },
        { ignored: true },
      ),
    );
    // Queued like the other two (not run inside the entry): a result reaches this thread after the
    // host requests and log lines the call made before it, in the order the plugin made them.
    await jail.set(
      '__weftDone',
      new ivm.Callback(
        (callId: unknown, raw: unknown) => {
          const entry = entryRef.current;
          const release = typeof callId === 'number' ? entry?.waiting.get(callId) : undefined;
          if (entry === null || release === undefined || typeof callId !== 'number') return;
          entry.waiting.delete(callId);
          release(raw);
        },
        { ignored: true },
      ),
    );
    const bootstrap = await isolate.compileScript(BOOTSTRAP_SOURCE, { filename: 'weft:bootstrap' });
    await bootstrap.run(context, { timeout: loadTimeoutMs });
    const api = await jail.get('__weftEntry', { reference: true });
    const [invoke, begin, settle, abort] = await Promise.all([
      api.get('invoke', { reference: true }),
      api.get('begin', { reference: true }),
      api.get('settle', { reference: true }),
      api.get('abort', { reference: true }),
    ]);
    await jail.delete('__weftEntry');
    const script = await isolate.compileScript(loaded.bundle, {
      filename: `plugin:${loaded.manifest.name}@${loaded.manifest.version}`,
    });
    await script.run(context, { timeout: loadTimeoutMs });
    const entry: IsolateEntry = {
      slot: slotOf(slot),
      workspace: slot.workspace,
      key: slot.key,
      memoryMb: limits.memoryMb,
      isolate,
      context,
      invoke,
      begin,
      settle,
      abort,
      active: new Map(),
      disposeReason: null,
      timers: new Map(),
      hostCalls: 0,
      // Zero, not the current value: loading the bundle ran plugin code too, and is charged.
      cpuReportedNs: 0n,
      entering: 0,
      quick: new Set(),
      waiting: new Map(),
    };
    entryRef.current = entry;
    return entry;
  } catch (error) {
    if (!isolate.isDisposed) {
      try {
        send({ type: 'usage', workspace: slot.workspace, cpuMs: Number(isolate.cpuTime) / 1e6 });
      } catch {
        // Its CPU time is unknown; nothing to charge.
      }
      isolate.dispose();
    }
    throw error;
  }
}

function onHostCall(entry: IsolateEntry, requestId: unknown, callId: unknown, name: unknown, args: unknown): void {
  if (typeof requestId !== 'number' || typeof callId !== 'number' || typeof name !== 'string') return;
  if (typeof args !== 'string') return;
  const reply = (ok: boolean, payload: string) => enter(entry, entry.settle, [requestId, ok, payload]);
  if (name === 'sleep') {
    // Timers are local and belong to the running calls: cleared when the isolate's last call ends.
    if (entry.active.size === 0) return;
    const ms = numberArg(args, 'ms');
    const timer = setTimeout(
      () => {
        entry.timers.delete(requestId);
        reply(true, '');
      },
      Math.min(Math.max(ms, 0), 2_147_483_647),
    );
    timer.unref();
    entry.timers.set(requestId, timer);
    return;
  }
  if (name === 'sleep.cancel') {
    const request = numberArg(args, 'request');
    clearTimeout(entry.timers.get(request));
    entry.timers.delete(request);
    return;
  }
  const call = entry.active.get(callId);
  if (call === undefined) {
    reply(false, JSON.stringify({ code: SandboxErrorCode.CAPABILITY_DENIED, message: 'the tool call has ended' }));
    return;
  }
  if (call.inFlight >= MAX_IN_FLIGHT) {
    reply(
      false,
      JSON.stringify({
        code: SandboxErrorCode.CAPABILITY_DENIED,
        message: `more than ${MAX_IN_FLIGHT} host calls at once`,
      }),
    );
    return;
  }
  call.inFlight++;
  entry.hostCalls++;
  const id = ++nextCapId;
  capRequests.set(id, { entry, requestId, call });
  send({ type: 'cap', id, callId, name, args });
}

function onCapResult(message: Extract<ParentMessage, { type: 'cap-result' }>): void {
  const request = capRequests.get(message.id);
  if (request === undefined) return;
  capRequests.delete(message.id);
  const { entry, requestId, call } = request;
  call.inFlight--;
  entry.hostCalls--;
  const payload = message.ok ? message.value : JSON.stringify(message.error);
  enter(entry, entry.settle, [requestId, message.ok, payload]);
}

function numberArg(args: string, name: string): number {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && name in parsed) {
      const value: unknown = (parsed as Record<string, unknown>)[name];
      if (typeof value === 'number' && Number.isFinite(value)) return value;
    }
  } catch {
    // Not JSON: treated as zero.
  }
  return 0;
}

function memoryOrCrash(entry: IsolateEntry, error: unknown): WireError {
  if (entry.disposeReason !== null) return entry.disposeReason;
  const message = error instanceof Error ? error.message : String(error);
  if (/memory limit/i.test(message)) {
    return {
      code: SandboxErrorCode.MEMORY_LIMIT,
      message: `the plugin exceeded its memory limit of ${entry.memoryMb} MB`,
    };
  }
  if (/timed out/i.test(message)) return cpuLeft(entry).error;
  return { code: SandboxErrorCode.LOAD_FAILED, message: `the sandbox failed: ${message}` };
}

async function onCall(message: Extract<ParentMessage, { type: 'call' }>): Promise<void> {
  const { id, tool, limits } = message;
  const key = slotOf(message);
  // The workspace's budget binds when it is tighter than the call's own CPU limit.
  const cpuLimitMs = Math.min(limits.cpuTimeoutMs, message.budgetMs);
  const cpuError: WireError =
    message.budgetMs < limits.cpuTimeoutMs
      ? {
          code: SandboxErrorCode.WORKSPACE_CPU_BUDGET,
          message: "the workspace used up its plugins' CPU time budget during this call",
        }
      : CPU_LIMIT_ERROR;
  if (badBundles.has(key)) {
    send({
      type: 'result',
      id,
      ok: false,
      error: { code: SandboxErrorCode.INTEGRITY_MISMATCH, message: 'the bundle does not match its manifest integrity' },
    });
    return;
  }
  const loaded = bundles.get(key);
  if (loaded === undefined) {
    send({ type: 'need-bundle', id, workspace: message.workspace, key: message.key });
    return;
  }
  const fail = (code: string, text: string) => {
    earlyAborts.delete(id);
    send({ type: 'result', id, ok: false, error: { code, message: text } });
  };
  const validateInput = loaded.input.get(tool);
  if (validateInput === undefined)
    return fail(SandboxErrorCode.TOOL_NOT_FOUND, `plugin ${loaded.manifest.name} has no tool "${tool}"`);
  if (message.input.length > limits.maxInputBytes) {
    return fail(
      SandboxErrorCode.INPUT_TOO_LARGE,
      `input is ${message.input.length} characters; the limit is ${limits.maxInputBytes}`,
    );
  }
  if (!validateInput(JSON.parse(message.input))) {
    return fail(SandboxErrorCode.INVALID_INPUT, `invalid input for ${tool}: ${describeErrors(validateInput)}`);
  }

  // A call whose synchronous start overran its slice runs again, asynchronously, on a fresh isolate;
  // what the attempt used counts against the call's CPU limit, the time it took against its deadline.
  let spentMs = 0;
  let startedAt: number | undefined;
  for (let mayStartSync = true; ; mayStartSync = false) {
    const entry = await isolateFor(message, loaded, Math.max(1, Math.ceil(cpuLimitMs - spentMs)), fail, cpuError);
    if (entry === null) return;
    startedAt ??= performance.now();
    const wallMs = Math.max(1, limits.wallTimeoutMs - (performance.now() - startedAt));
    const outcome = await runCall(entry, message, loaded, cpuLimitMs - spentMs, wallMs, cpuError, mayStartSync);
    if (outcome.overran === undefined) return;
    spentMs += outcome.overran;
  }
}

/** The warm isolate of the call's slot, or a new one; null when it could not be had (the call is answered). */
async function isolateFor(
  message: Extract<ParentMessage, { type: 'call' }>,
  loaded: Loaded,
  loadTimeoutMs: number,
  fail: (code: string, text: string) => void,
  cpuError: WireError,
): Promise<IsolateEntry | null> {
  const { limits } = message;
  const key = slotOf(message);
  const entry = isolates.get(key);
  if (entry !== undefined && !entry.isolate.isDisposed && entry.memoryMb === limits.memoryMb) {
    touch(isolates, key, entry);
    return entry;
  }
  let pendingEntry = creating.get(key)?.promise;
  if (pendingEntry === undefined) {
    const refusal = workspaceRoom(message.workspace, limits.memoryMb);
    if (refusal !== null) {
      earlyAborts.delete(message.id);
      send({ type: 'result', id: message.id, ok: false, error: refusal });
      return null;
    }
    pendingEntry = createIsolate(message, loaded, limits, loadTimeoutMs).then((created) => {
      // An isolate replaced because the limits changed goes once its calls are done.
      const previous = isolates.get(key);
      if (previous !== undefined && previous.active.size === 0) {
        dispose(previous, { code: SandboxErrorCode.CLOSED, message: 'isolate replaced' });
      }
      isolates.set(key, created);
      return created;
    });
    creating.set(key, { workspace: message.workspace, memoryMb: limits.memoryMb, promise: pendingEntry });
    pendingEntry.then(
      () => creating.delete(key),
      () => creating.delete(key),
    );
  }
  try {
    return await pendingEntry;
  } catch (error) {
    if (/timed out/i.test(errorText(error))) fail(cpuError.code, cpuError.message);
    else fail(SandboxErrorCode.LOAD_FAILED, `plugin ${loaded.manifest.name} failed to load: ${errorText(error)}`);
    return null;
  }
}

/**
 * Runs one call in `current` and answers it, unless its synchronous start overran the slice:
 * then nothing is answered, the isolate is discarded, and `overran` says what the attempt used (ms).
 */
async function runCall(
  current: IsolateEntry,
  message: Extract<ParentMessage, { type: 'call' }>,
  loaded: Loaded,
  cpuLimitMs: number,
  wallMs: number,
  cpuError: WireError,
  mayStartSync: boolean,
): Promise<{ overran?: number }> {
  const { id, tool, limits } = message;
  // Synchronously only with nothing else in the isolate: an entry still running there would hold
  // this thread until it ends.
  const sync =
    mayStartSync &&
    current.active.size === 0 &&
    current.entering === 0 &&
    quickEntries.allows(current.workspace, current.quick, tool);
  let done = false;
  const call: ActiveCall = {
    id,
    cancelled: false,
    logs: 0,
    inFlight: 0,
    cpuStartNs: cpuNs(current),
    cpuLimitMs,
    cpuError,
    // The wall-clock deadline covers awaited promises, which isolated-vm's own timeout does not:
    // past it the isolate is discarded, which also stops any code still queued in it.
    deadline: setTimeout(() => {
      dispose(current, {
        code: SandboxErrorCode.TIMEOUT,
        message: `the tool did not finish within ${limits.wallTimeoutMs} ms`,
      });
    }, wallMs),
    finish(result, pending = 0) {
      if (done) return;
      done = true;
      clearTimeout(call.deadline);
      current.active.delete(id);
      calls.delete(id);
      earlyAborts.delete(id);
      quickEntries.record(current.quick, tool, Number(cpuNs(current) - call.cpuStartNs) / 1e6);
      // The call's CPU time rides on its result (one message, not two): the parent charges the
      // workspace before it settles the call, as it would have with a separate report.
      const cpuMs = unreported(current);
      send(
        cpuMs > 0 && result.type === 'result' ? { ...result, usage: { workspace: current.workspace, cpuMs } } : result,
      );
      if (current.active.size === 0) quiesce(current, pending);
    },
  };
  current.active.set(id, call);
  calls.set(id, current);

  const early = earlyAborts.get(id);
  if (early !== undefined) setImmediate(() => onAbort({ type: 'abort', id, reason: early }));
  const args = [id, tool, message.input, JSON.stringify(message.run satisfies RunInfo), limits.maxOutputBytes];
  try {
    let raw: unknown;
    if (sync) {
      const settled = new Promise<unknown>((resolve) => current.waiting.set(id, resolve));
      const left = cpuLeft(current).ms;
      const slice = Math.max(1, Math.ceil(Math.min(left, SYNC_SLICE_MS)));
      try {
        current.begin.applySync(undefined, args, { arguments: { copy: true }, timeout: slice });
      } catch (error) {
        // Stopped at the slice with CPU time left: the call is not over, only this attempt.
        if (slice < left && /timed out/i.test(errorText(error)) && !current.isolate.isDisposed) {
          return { overran: abandon(current, call, () => (done = true)) };
        }
        throw error;
      }
      raw = await settled;
      if (done) return {};
    } else {
      current.entering++;
      try {
        raw = await current.invoke.apply(undefined, args, {
          arguments: { copy: true },
          result: { promise: true, copy: true },
          timeout: Math.max(1, Math.ceil(cpuLeft(current).ms)),
        });
      } finally {
        current.entering--;
      }
    }
    enforceCpu(current);
    const { result, pending } = interpret(raw, loaded, tool, limits, id);
    call.finish(result, pending);
  } catch (error) {
    const reason = memoryOrCrash(current, error);
    // A CPU-limit or memory failure leaves the isolate in an unknown state: start afresh next time.
    dispose(current, reason);
    call.finish({ type: 'result', id, ok: false, error: reason });
  }
  return {};
}

/**
 * Drops a call's synchronous attempt without answering it, and its isolate (stopped midway, its
 * state is unknown). Host requests and log lines the attempt made are still queued for this thread:
 * they find the call gone and are dropped. Returns the CPU time the attempt used (ms).
 */
function abandon(current: IsolateEntry, call: ActiveCall, markDone: () => void): number {
  markDone();
  clearTimeout(call.deadline);
  current.active.delete(call.id);
  calls.delete(call.id);
  current.waiting.delete(call.id);
  const usedMs = Number(cpuNs(current) - call.cpuStartNs) / 1e6;
  quickEntries.strike(current.workspace);
  current.quick.clear();
  dispose(current, { code: SandboxErrorCode.CLOSED, message: 'isolate replaced' });
  return usedMs;
}

function failure(id: number, code: string, message: string, extra: Partial<WireError> = {}): ChildMessage {
  return { type: 'result', id, ok: false, error: { code, message, ...extra } };
}

/**
 * Reads what `invoke` returned, `{ pending, result }`: the tool's result, and how many host
 * requests the isolate still awaited (not 0: the isolate is disposed rather than reused).
 */
function interpret(
  raw: unknown,
  loaded: Loaded,
  tool: string,
  limits: SandboxLimits,
  id: number,
): { result: ChildMessage; pending: number } {
  const malformed = {
    result: failure(id, SandboxErrorCode.INVALID_OUTPUT, 'the tool returned malformed output'),
    pending: 0,
  };
  if (typeof raw !== 'string') {
    return { result: failure(id, SandboxErrorCode.INVALID_OUTPUT, 'the tool returned no result'), pending: 0 };
  }
  if (raw.length > limits.maxOutputBytes + 96) {
    const text = `output is larger than the limit of ${limits.maxOutputBytes} characters`;
    return { result: failure(id, SandboxErrorCode.OUTPUT_TOO_LARGE, text), pending: 0 };
  }
  let outer: unknown;
  try {
    outer = JSON.parse(raw);
  } catch {
    return malformed;
  }
  if (typeof outer !== 'object' || outer === null || !('result' in outer)) return malformed;
  const pending = 'pending' in outer && typeof outer.pending === 'number' ? outer.pending : 0;
  return { result: toolResult(outer.result, loaded, tool, limits, id), pending };
}

function toolResult(parsed: unknown, loaded: Loaded, tool: string, limits: SandboxLimits, id: number): ChildMessage {
  const fail = (code: string, message: string, extra: Partial<WireError> = {}) => failure(id, code, message, extra);
  if (typeof parsed !== 'object' || parsed === null || !('ok' in parsed)) {
    return fail(SandboxErrorCode.INVALID_OUTPUT, 'the tool returned malformed output');
  }
  if (parsed.ok === true && 'output' in parsed) {
    const validate = loaded.output.get(tool);
    if (validate !== undefined && !validate(parsed.output)) {
      return fail(
        SandboxErrorCode.INVALID_OUTPUT,
        `output of ${tool} does not match its schema: ${describeErrors(validate)}`,
      );
    }
    return { type: 'result', id, ok: true, output: parsed.output };
  }
  const error = 'error' in parsed && typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : {};
  const name = 'name' in error && typeof error.name === 'string' ? error.name : 'Error';
  const message = 'message' in error && typeof error.message === 'string' ? error.message : 'the tool failed';
  const retryAfterMs =
    'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
  const cause = 'cause' in error ? wireCause(error.cause) : undefined;
  if (name === 'OutputTooLarge') {
    return fail(SandboxErrorCode.OUTPUT_TOO_LARGE, `${message}; the limit is ${limits.maxOutputBytes}`);
  }
  if (name === 'ToolNotFound') return fail(SandboxErrorCode.TOOL_NOT_FOUND, message);
  return fail(SandboxErrorCode.TOOL_ERROR, message, {
    toolErrorName: name,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The isolate's description of a cause, checked and capped again: it comes from tenant code. */
function wireCause(raw: unknown): WireCause | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const c = raw as { name?: unknown; code?: unknown; message?: unknown };
  return {
    ...(typeof c.name === 'string' ? { name: c.name.slice(0, 100) } : {}),
    ...(typeof c.code === 'string' ? { code: c.code.slice(0, 100) } : {}),
    message: typeof c.message === 'string' ? c.message.slice(0, 1000) : '',
  };
}

function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function onBundle(message: Extract<ParentMessage, { type: 'bundle' }>): void {
  const slot = slotOf(message);
  if (bundleIntegrity(message.bundle) !== message.manifest.integrity) {
    bundles.delete(slot);
    badBundles.add(slot);
    return;
  }
  badBundles.delete(slot);
  const input = new Map<string, ValidateFunction>();
  const output = new Map<string, ValidateFunction>();
  for (const tool of message.manifest.tools) {
    input.set(tool.name, createValidator(tool.inputSchema));
    if (tool.outputSchema !== undefined) output.set(tool.name, createValidator(tool.outputSchema));
  }
  bundles.set(slot, { manifest: message.manifest, bundle: message.bundle, input, output });
}

function onAbort(message: Extract<ParentMessage, { type: 'abort' }>): void {
  const entry = calls.get(message.id);
  const call = entry?.active.get(message.id);
  if (entry === undefined || call === undefined) {
    earlyAborts.set(message.id, message.reason);
    return;
  }
  if (call.cancelled) return;
  call.cancelled = true;
  enter(entry, entry.abort, [message.id, message.reason]);
  const grace = setTimeout(
    () => {
      if (entry.active.has(message.id)) {
        dispose(entry, { code: SandboxErrorCode.CANCELLED, message: `cancelled: ${message.reason}` });
      }
    },
    Number(process.env.WEFT_SANDBOX_CANCEL_GRACE_MS ?? '1000'),
  );
  grace.unref();
}

function onStats(id: number): void {
  const list = [...isolates.values()]
    .filter((e) => !e.isolate.isDisposed)
    .map((e) => {
      const heap = e.isolate.getHeapStatisticsSync();
      return {
        workspace: e.workspace,
        key: e.key,
        usedHeapBytes: heap.used_heap_size,
        totalHeapBytes: heap.total_heap_size,
        externalBytes: heap.externally_allocated_size,
      };
    });
  send({ type: 'stats', id, rssBytes: process.memoryUsage.rss(), isolates: list });
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'bundle':
      onBundle(message);
      break;
    case 'call':
      onCall(message).catch((error: unknown) =>
        send({
          type: 'result',
          id: message.id,
          ok: false,
          error: { code: SandboxErrorCode.LOAD_FAILED, message: errorText(error) },
        }),
      );
      break;
    case 'cap-result':
      onCapResult(message);
      break;
    case 'abort':
      onAbort(message);
      break;
    case 'stats':
      onStats(message.id);
      break;
    case 'evict': {
      const slot = slotOf(message);
      const entry = isolates.get(slot);
      if (entry !== undefined) dispose(entry, { code: SandboxErrorCode.CLOSED, message: 'plugin unloaded' });
      bundles.delete(slot);
      break;
    }
  }
});
// The parent going away (even by SIGKILL) closes the channel: leave with it.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
