/**
 * The sandbox process: holds isolated-vm isolates (LRU, one per key) and runs tool calls in them.
 * It is a child of the pool so that a V8 abort (out of memory in an isolate can take the whole
 * process down) costs a restart, not the API. Started with `--no-node-snapshot` (isolated-vm on
 * Node 20 requires it).
 */
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import type ivmTypes from 'isolated-vm';
import type { PluginManifest } from '../manifest.ts';
import { BOOTSTRAP_SOURCE } from './bootstrap.ts';
import { SandboxErrorCode } from './errors.ts';
import { bundleIntegrity } from './integrity.ts';
import type { ChildMessage, ParentMessage, RunInfo, SandboxLimits, WireError } from './protocol.ts';
import { createValidator } from './validate.ts';

const require = createRequire(import.meta.url);
const ivm: typeof ivmTypes = require('isolated-vm');

const MAX_ISOLATES = Number(process.env.WEFT_SANDBOX_MAX_ISOLATES ?? '32');
const MAX_BUNDLES = 256;

interface Loaded {
  manifest: PluginManifest;
  bundle: string;
  input: Map<string, ValidateFunction>;
  output: Map<string, ValidateFunction>;
}

interface ActiveCall {
  id: number;
  deadline: NodeJS.Timeout;
  finish(result: ChildMessage): void;
  cancelled: boolean;
  /** Log lines sent so far (capped, so a chatty plugin cannot flood the host). */
  logs: number;
  /** Host requests in flight (capped, so one call cannot exhaust the database pool). */
  inFlight: number;
}

const MAX_LOG_LINES = 500;
const MAX_IN_FLIGHT = 32;

/**
 * Enters the isolate to resolve a host request, a timer or a cancel. Plugin code that continues
 * from there runs under the same CPU limit as the call itself; past it the isolate is discarded.
 */
function enter(entry: IsolateEntry, fn: ivmTypes.Reference, args: (string | number | boolean)[]): void {
  if (entry.isolate.isDisposed) return;
  fn.apply(undefined, args, { arguments: { copy: true }, timeout: entry.cpuTimeoutMs }).catch((error: unknown) => {
    if (!entry.isolate.isDisposed) dispose(entry, memoryOrCrash(entry, error));
  });
}

interface IsolateEntry {
  key: string;
  memoryMb: number;
  cpuTimeoutMs: number;
  isolate: ivmTypes.Isolate;
  context: ivmTypes.Context;
  invoke: ivmTypes.Reference;
  settle: ivmTypes.Reference;
  abort: ivmTypes.Reference;
  active: Map<number, ActiveCall>;
  /** Why the isolate was disposed by us (deadline, cancel), so calls report the real reason. */
  disposeReason: WireError | null;
}

const bundles = new Map<string, Loaded>();
/** Keys whose bundle did not match its manifest's integrity: every call to them fails. */
const badBundles = new Set<string>();
/** Isolates being created, so concurrent cold calls share one instead of racing. */
const creating = new Map<string, Promise<IsolateEntry>>();
const isolates = new Map<string, IsolateEntry>();
const calls = new Map<number, IsolateEntry>();
/** Cancels that arrived while their call was still loading; applied once it runs. */
const earlyAborts = new Map<number, string>();
const capRequests = new Map<number, { entry: IsolateEntry; requestId: number; call: ActiveCall }>();
let nextCapId = 0;

function send(message: ChildMessage): void {
  process.send?.(message);
}

function touch<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
}

function dispose(entry: IsolateEntry, reason: WireError): void {
  if (entry.disposeReason === null) entry.disposeReason = reason;
  if (isolates.get(entry.key) === entry) isolates.delete(entry.key);
  if (!entry.isolate.isDisposed) entry.isolate.dispose();
  for (const call of entry.active.values()) call.finish({ type: 'result', id: call.id, ok: false, error: reason });
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

async function createIsolate(key: string, loaded: Loaded, limits: SandboxLimits): Promise<IsolateEntry> {
  evictIfFull();
  const isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb });
  try {
    const context = await isolate.createContext();
    const jail = context.global;
    const entryRef: { current: IsolateEntry | null } = { current: null };
    // Both callbacks receive only strings and numbers (copied), and return nothing to the plugin.
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
    const bootstrap = await isolate.compileScript(BOOTSTRAP_SOURCE, { filename: 'weft:bootstrap' });
    await bootstrap.run(context, { timeout: limits.cpuTimeoutMs });
    const api = await jail.get('__weftEntry', { reference: true });
    const [invoke, settle, abort] = await Promise.all([
      api.get('invoke', { reference: true }),
      api.get('settle', { reference: true }),
      api.get('abort', { reference: true }),
    ]);
    await jail.delete('__weftEntry');
    const script = await isolate.compileScript(loaded.bundle, {
      filename: `plugin:${loaded.manifest.name}@${loaded.manifest.version}`,
    });
    await script.run(context, { timeout: limits.cpuTimeoutMs });
    const entry: IsolateEntry = {
      key,
      memoryMb: limits.memoryMb,
      cpuTimeoutMs: limits.cpuTimeoutMs,
      isolate,
      context,
      invoke,
      settle,
      abort,
      active: new Map(),
      disposeReason: null,
    };
    entryRef.current = entry;
    return entry;
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

function onHostCall(entry: IsolateEntry, requestId: unknown, callId: unknown, name: unknown, args: unknown): void {
  if (typeof requestId !== 'number' || typeof callId !== 'number' || typeof name !== 'string') return;
  if (typeof args !== 'string') return;
  const reply = (ok: boolean, payload: string) => enter(entry, entry.settle, [requestId, ok, payload]);
  if (name === 'sleep') {
    // Timers are local: they only resolve while a call of this isolate is still running.
    let ms = 0;
    try {
      const parsed: unknown = JSON.parse(args);
      if (typeof parsed === 'object' && parsed !== null && 'ms' in parsed && typeof parsed.ms === 'number')
        ms = parsed.ms;
    } catch {
      ms = 0;
    }
    setTimeout(() => reply(true, ''), Math.min(Math.max(ms, 0), 2_147_483_647)).unref();
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
  const payload = message.ok ? message.value : JSON.stringify(message.error);
  enter(entry, entry.settle, [requestId, message.ok, payload]);
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
  if (/timed out/i.test(message)) {
    return { code: SandboxErrorCode.CPU_LIMIT, message: 'the plugin ran JavaScript past its CPU time limit' };
  }
  return { code: SandboxErrorCode.LOAD_FAILED, message: `the sandbox failed: ${message}` };
}

function loadedFor(key: string): Loaded | undefined {
  const loaded = bundles.get(key);
  if (loaded !== undefined) touch(bundles, key, loaded);
  return loaded;
}

async function onCall(message: Extract<ParentMessage, { type: 'call' }>): Promise<void> {
  const { id, key, tool, limits } = message;
  if (badBundles.has(key)) {
    send({
      type: 'result',
      id,
      ok: false,
      error: { code: SandboxErrorCode.INTEGRITY_MISMATCH, message: 'the bundle does not match its manifest integrity' },
    });
    return;
  }
  const loaded = loadedFor(key);
  if (loaded === undefined) {
    send({ type: 'need-bundle', id, key });
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

  let entry = isolates.get(key);
  if (entry === undefined || entry.isolate.isDisposed || entry.memoryMb !== limits.memoryMb) {
    let pendingEntry = creating.get(key);
    if (pendingEntry === undefined) {
      pendingEntry = createIsolate(key, loaded, limits).then((created) => {
        // An isolate replaced because the limits changed goes once its calls are done.
        const previous = isolates.get(key);
        if (previous !== undefined && previous.active.size === 0) {
          dispose(previous, { code: SandboxErrorCode.CLOSED, message: 'isolate replaced' });
        }
        isolates.set(key, created);
        return created;
      });
      creating.set(key, pendingEntry);
      pendingEntry.then(
        () => creating.delete(key),
        () => creating.delete(key),
      );
    }
    try {
      entry = await pendingEntry;
    } catch (error) {
      return fail(SandboxErrorCode.LOAD_FAILED, `plugin ${loaded.manifest.name} failed to load: ${errorText(error)}`);
    }
  } else {
    touch(isolates, key, entry);
  }
  const current = entry;

  let done = false;
  const call: ActiveCall = {
    id,
    cancelled: false,
    logs: 0,
    inFlight: 0,
    // The wall-clock deadline covers awaited promises, which isolated-vm's own timeout does not:
    // past it the isolate is discarded, which also stops any code still queued in it.
    deadline: setTimeout(() => {
      dispose(current, {
        code: SandboxErrorCode.TIMEOUT,
        message: `the tool did not finish within ${limits.wallTimeoutMs} ms`,
      });
    }, limits.wallTimeoutMs),
    finish(result) {
      if (done) return;
      done = true;
      clearTimeout(call.deadline);
      current.active.delete(id);
      calls.delete(id);
      earlyAborts.delete(id);
      send(result);
    },
  };
  current.active.set(id, call);
  calls.set(id, current);

  const early = earlyAborts.get(id);
  if (early !== undefined) setImmediate(() => onAbort({ type: 'abort', id, reason: early }));
  try {
    const raw: unknown = await current.invoke.apply(
      undefined,
      [id, tool, message.input, JSON.stringify(message.run satisfies RunInfo), limits.maxOutputBytes],
      { arguments: { copy: true }, result: { promise: true, copy: true }, timeout: limits.cpuTimeoutMs },
    );
    call.finish(interpret(raw, loaded, tool, limits, id));
  } catch (error) {
    const reason = memoryOrCrash(current, error);
    // A CPU-limit or memory failure leaves the isolate in an unknown state: start afresh next time.
    dispose(current, reason);
    call.finish({ type: 'result', id, ok: false, error: reason });
  }
}

function interpret(raw: unknown, loaded: Loaded, tool: string, limits: SandboxLimits, id: number): ChildMessage {
  const fail = (code: string, message: string, extra: Partial<WireError> = {}): ChildMessage => ({
    type: 'result',
    id,
    ok: false,
    error: { code, message, ...extra },
  });
  if (typeof raw !== 'string') return fail(SandboxErrorCode.INVALID_OUTPUT, 'the tool returned no result');
  if (raw.length > limits.maxOutputBytes + 64) {
    return fail(
      SandboxErrorCode.OUTPUT_TOO_LARGE,
      `output is larger than the limit of ${limits.maxOutputBytes} characters`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail(SandboxErrorCode.INVALID_OUTPUT, 'the tool returned malformed output');
  }
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
    return { type: 'result', id, ok: true, output: JSON.stringify(parsed.output) };
  }
  const error = 'error' in parsed && typeof parsed.error === 'object' && parsed.error !== null ? parsed.error : {};
  const name = 'name' in error && typeof error.name === 'string' ? error.name : 'Error';
  const message = 'message' in error && typeof error.message === 'string' ? error.message : 'the tool failed';
  const retryAfterMs =
    'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
  if (name === 'OutputTooLarge') {
    return fail(SandboxErrorCode.OUTPUT_TOO_LARGE, `${message}; the limit is ${limits.maxOutputBytes}`);
  }
  if (name === 'ToolNotFound') return fail(SandboxErrorCode.TOOL_NOT_FOUND, message);
  return fail(SandboxErrorCode.TOOL_ERROR, message, {
    toolErrorName: name,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
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
  if (bundleIntegrity(message.bundle) !== message.manifest.integrity) {
    bundles.delete(message.key);
    badBundles.add(message.key);
    return;
  }
  badBundles.delete(message.key);
  const input = new Map<string, ValidateFunction>();
  const output = new Map<string, ValidateFunction>();
  for (const tool of message.manifest.tools) {
    input.set(tool.name, createValidator(tool.inputSchema));
    if (tool.outputSchema !== undefined) output.set(tool.name, createValidator(tool.outputSchema));
  }
  touch(bundles, message.key, { manifest: message.manifest, bundle: message.bundle, input, output });
  while (bundles.size > MAX_BUNDLES) {
    const oldest = bundles.keys().next().value;
    if (oldest === undefined) break;
    bundles.delete(oldest);
  }
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
      const entry = isolates.get(message.key);
      if (entry !== undefined) dispose(entry, { code: SandboxErrorCode.CLOSED, message: 'plugin unloaded' });
      bundles.delete(message.key);
      break;
    }
  }
});
// The parent going away (even by SIGKILL) closes the channel: leave with it.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
