import { CORE_SLEEP_MAX_MS } from './parked-plan.ts';
import { NonRetriableToolError, type ToolContext, type ToolDefinition } from './types.ts';

/** Version of the built-in tools (the engine's own). */
export const BUILTIN_VERSION = '0.1.0';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const echo: ToolDefinition = {
  name: 'core.echo',
  version: BUILTIN_VERSION,
  description: 'Returns its input as its output.',
  inputSchema: { type: 'object' },
  outputSchema: { type: 'object' },
  cacheable: true,
  dryRun: 'run',
  async run(input) {
    return input;
  },
};

const sleepTool: ToolDefinition = {
  name: 'core.sleep',
  version: BUILTIN_VERSION,
  // Unchanged words: the offline planner indexes descriptions. The 60 s cap is in the schema.
  description: 'Waits `ms` milliseconds; stops at once on cancel or timeout.',
  inputSchema: {
    type: 'object',
    required: ['ms'],
    additionalProperties: false,
    properties: { ms: { type: 'integer', minimum: 0, maximum: CORE_SLEEP_MAX_MS } },
  },
  outputSchema: { type: 'object', required: ['sleptMs'], properties: { sleptMs: { type: 'integer' } } },
  dryRun: 'run',
  async run(input, ctx: ToolContext) {
    const { ms } = input as { ms: number };
    // A templated `ms` is only known now; validation caught literal ones.
    if (ms > CORE_SLEEP_MAX_MS) {
      throw new NonRetriableToolError(
        `core.sleep is capped at ${CORE_SLEEP_MAX_MS} ms (it holds a worker slot); use a step with type "sleep" and durationMs`,
      );
    }
    const started = Date.now();
    await sleep(ms, ctx.signal);
    return { sleptMs: Date.now() - started };
  },
};

const fail: ToolDefinition = {
  name: 'core.fail',
  version: BUILTIN_VERSION,
  description:
    'Fails the first `failTimes` attempts of the step (every attempt when absent) with `message`, then returns { ok: true }. Attempts count over the execution’s whole life.',
  inputSchema: {
    type: 'object',
    required: ['message'],
    additionalProperties: false,
    properties: { message: { type: 'string' }, failTimes: { type: 'integer', minimum: 0 } },
  },
  outputSchema: { type: 'object', required: ['ok'], properties: { ok: { const: true } } },
  dryRun: 'run',
  async run(input, ctx) {
    const { message, failTimes } = input as { message: string; failTimes?: number };
    if (failTimes === undefined || ctx.attempt <= failTimes) {
      ctx.log('warn', `failing attempt ${ctx.attempt} on purpose`);
      throw new Error(message);
    }
    return { ok: true };
  },
};

const contextSet: ToolDefinition = {
  name: 'core.context.set',
  version: BUILTIN_VERSION,
  description: 'Writes `value` under `key` in the execution’s shared context.',
  inputSchema: {
    type: 'object',
    required: ['key', 'value'],
    additionalProperties: false,
    properties: { key: { type: 'string', minLength: 1, maxLength: 200 }, value: {} },
  },
  outputSchema: { type: 'object', required: ['key'], properties: { key: { type: 'string' } } },
  dryRun: 'run',
  async run(input, ctx) {
    const { key, value } = input as { key: string; value: unknown };
    await ctx.context.set(key, value);
    return { key };
  },
};

const contextGet: ToolDefinition = {
  name: 'core.context.get',
  version: BUILTIN_VERSION,
  description: 'Reads `key` from the execution’s shared context ({ value: null } when unset).',
  inputSchema: {
    type: 'object',
    required: ['key'],
    additionalProperties: false,
    properties: { key: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  outputSchema: { type: 'object', properties: { value: {} } },
  dryRun: 'run',
  async run(input, ctx) {
    const { key } = input as { key: string };
    return { value: (await ctx.context.get(key)) ?? null };
  },
};

/** @public The tools every workspace has (docs/contract.md "Built-in tools"). */
export const builtinTools: readonly ToolDefinition[] = [echo, sleepTool, fail, contextSet, contextGet];
