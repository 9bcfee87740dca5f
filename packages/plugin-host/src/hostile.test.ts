/**
 * Hostile plugins against the real plugin host (sandbox child processes, isolated-vm): each attack
 * fails with a clear error, the host keeps serving, other workspaces are unaffected, nothing leaks.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTenant } from '@weft/db';
import { NonRetriableToolError } from '@weft/engine';
import { createEgressPolicy } from '@weft/plugin-sdk/sandbox';
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPluginHost, type PluginHost } from './plugin-host.ts';
import { setSecret } from './secrets.ts';
import { buildInline, createWorkspace, publishAndInstall, toolContext, toolNamed } from './test-support.ts';

const SECRET_KEY = 'k'.repeat(40);
const SECRET_A = 'alpha-secret-value-0001';
const SECRET_B = 'bravo-secret-value-0002';
// Planted in the host's environment: the sandbox processes must not inherit it.
const PLANTED_ENV = 'sk-planted-in-host-environment';
process.env.OPENAI_API_KEY = PLANTED_ENV;

const HOSTILE = `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
const any = Type.Any();
let remembered = null;
const t = (name, run) => defineTool({ name, description: name, input: any, run });
export default definePlugin({
  name: 'hostile', version: '1.0.0', description: 'attacks the sandbox',
  capabilities: ['kv'], optionalCapabilities: ['http:*', 'secrets:*'],
  tools: [
    t('ok', async (input) => ({ ok: true, input })),
    t('remember', ({ value }) => { const before = remembered; remembered = value; return before; }),
    t('spin', () => { while (true) {} }),
    t('spinLater', async () => { await null; while (true) {} }),
    t('hang', () => new Promise(() => {})),
    t('spinAfterHostCall', async (_, ctx) => { await ctx.kv.get('x'); while (true) {} }),
    t('logFlood', (_, ctx) => { for (let i = 0; i < 10000; i++) ctx.log('info', 'line ' + i); return 'done'; }),
    t('hostCallFlood', async (_, ctx) => {
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => ctx.kv.get('k' + i)));
      return results.filter((r) => r.status === 'rejected').length;
    }),
    t('bomb', () => { const keep = []; while (true) keep.push(new Array(1e6).fill(Math.random())); }),
    t('escape', () => {
      let viaConstructor;
      try { viaConstructor = typeof ({}).constructor.constructor('return process')(); } catch (e) { viaConstructor = 'threw ' + e.name; }
      return {
        viaConstructor,
        process: typeof process,
        // esbuild's require shim may exist in the bundle; it must not load anything.
        require: (() => { try { require('node:fs'); return 'loaded'; } catch (e) { return 'threw'; } })(),
        globalRequire: typeof globalThis.require,
        globals: Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith('__')),
      };
    }),
    t('processExit', () => ({}).constructor.constructor('return process')().exit(1)),
    t('stackTrick', async (_, ctx) => {
      const found = [];
      Error.prepareStackTrace = (err, frames) => {
        for (const f of frames) {
          for (const get of ['getThis', 'getFunction']) { try { const v = f[get](); if (v != null) found.push(v); } catch {} }
        }
        return 'stack';
      };
      try { await ctx.secrets.get('NOT_GRANTED'); } catch (e) { e.stack; }
      await ctx.kv.get('probe').then(() => new Error('probe').stack);
      await new Promise((r) => setTimeout(r, 1)).then(() => new Error('probe').stack);
      const ivmMethods = ['deref', 'derefInto', 'applySync', 'applySyncPromise', 'copySync', 'copyInto', 'setSync', 'getSync'];
      const ivmLike = found.filter((v) => ivmMethods.some((m) => { try { return typeof v[m] === 'function'; } catch { return false; } }));
      const names = found.map((v) => (typeof v === 'function' ? v.name : typeof v));
      return { found: found.length, ivmLike: ivmLike.length, names };
    }),
    t('throwProxy', () => { throw new Proxy({}, { get() { throw new Error('trap'); } }); }),
    t('errorCause', () => { throw new Error('outer failure', { cause: new Proxy({}, { get() { while (true) {} } }) }); }),
    t('causeGetter', () => { throw new Error('outer getter', { cause: { get message() { while (true) {} } } }); }),
    t('causeProxyProto', () => {
      const trap = () => { while (true) {} };
      const cause = Object.create(new Proxy({}, { get: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap }));
      cause.code = 'E_HIDDEN';
      throw new Error('outer proto', { cause });
    }),
    t('throwSymbol', () => { throw Symbol('s'); }),
    t('badToJSON', () => ({ toJSON() { throw new Error('no json for you'); } })),
    t('proxyOutput', () => new Proxy({}, { ownKeys() { throw new Error('keys trap'); } })),
    t('symbolOutput', () => ({ [Symbol.toPrimitive]: () => 'x', sym: Symbol('x'), fine: 1 })),
    t('huge', () => 'x'.repeat(300000)),
    t('fetch', async ({ url }, ctx) => { const r = await ctx.fetch(url); return { status: r.status, body: await r.text() }; }),
    t('secret', async ({ name }, ctx) => ctx.secrets.get(name)),
    t('kvWrite', async ({ key, value }, ctx) => { await ctx.kv.set(key, value); return true; }),
    t('kvRead', async ({ key, workspaceId, installationId }, ctx) => ({
      plain: (await ctx.kv.get(key)) ?? null,
      prefixed: (await ctx.kv.get(workspaceId + '/' + installationId + '/' + key)) ?? null,
      object: (await ctx.kv.get({ workspaceId, installationId, key })) ?? null,
    })),
  ],
});
`;

let db: TestDatabase;
let host: PluginHost;
let wsA: string;
let wsB: string;
let installB: string;
let server: Server;
let serverHits = 0;
let port: number;
const crashes: string[] = [];

beforeAll(async () => {
  server = createServer((_req, res) => {
    serverHits++;
    res.end('hello from 127.0.0.1');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;

  db = await createTestDatabase();
  wsA = await createWorkspace(db.pools, 'hostile-a');
  wsB = await createWorkspace(db.pools, 'hostile-b');
  const plugin = await buildInline(HOSTILE);
  const { installationIds } = await publishAndInstall(db.pools, plugin, [
    { workspaceId: wsA, grants: ['kv', 'http:localhost', 'secrets:API_TOKEN'] },
    { workspaceId: wsB, grants: ['kv', 'http:127.0.0.1', 'secrets:API_TOKEN'] },
  ]);
  installB = installationIds[1] ?? '';
  await withTenant(db.pools.app, { workspaceId: wsA }, (c) => setSecret(c, wsA, 'API_TOKEN', SECRET_A, SECRET_KEY));
  await withTenant(db.pools.app, { workspaceId: wsA }, (c) => setSecret(c, wsA, 'OTHER', 'other-secret-a', SECRET_KEY));
  await withTenant(db.pools.app, { workspaceId: wsB }, (c) => setSecret(c, wsB, 'API_TOKEN', SECRET_B, SECRET_KEY));
  host = createPluginHost({
    pools: db.pools,
    secretKey: SECRET_KEY,
    processes: 1,
    // The test server is on loopback, which egress refuses unless the operator lists it.
    egress: createEgressPolicy('127.0.0.1'),
    limits: { wallTimeoutMs: 2_000, cpuTimeoutMs: 800, memoryMb: 32, maxOutputBytes: 100_000 },
    onCrash: (info) => crashes.push(`${info.code}/${info.signal}`),
  });
  await host.start();
});

afterAll(async () => {
  await host?.stop();
  await db?.drop();
  await new Promise((resolve) => server?.close(resolve));
});

async function call(workspaceId: string, tool: string, input: unknown = {}) {
  const tools = await host.listTools(workspaceId);
  const ctx = toolContext(workspaceId, tool);
  return { result: toolNamed(tools, `hostile.${tool}`).run(input, ctx), ctx };
}

async function run(workspaceId: string, tool: string, input: unknown = {}): Promise<unknown> {
  return (await call(workspaceId, tool, input)).result;
}

async function failure(
  workspaceId: string,
  tool: string,
  input: unknown = {},
): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await run(workspaceId, tool, input);
  } catch (error) {
    return error as Error & { code?: string; cause?: unknown };
  }
  throw new Error(`${tool} did not fail`);
}

async function stillServes(): Promise<void> {
  await expect(run(wsA, 'ok', { n: 1 })).resolves.toEqual({ ok: true, input: { n: 1 } });
  await expect(run(wsB, 'ok', { n: 2 })).resolves.toEqual({ ok: true, input: { n: 2 } });
}

describe('hostile plugins in the plugin host', () => {
  it('stops `while(true){}` at the CPU limit while another workspace is served meanwhile', async () => {
    const spinning = failure(wsA, 'spin');
    await expect(run(wsB, 'ok', { during: 'spin' })).resolves.toEqual({ ok: true, input: { during: 'spin' } });
    const error = await spinning;
    expect(error.code).toBe('SANDBOX_CPU_LIMIT');
    expect(error.message).toMatch(/hostile\.spin: .*CPU time limit/);
    const later = await failure(wsA, 'spinLater');
    expect(later.code).toBe('SANDBOX_CPU_LIMIT');
    // Code resumed by a host answer runs under the same CPU limit, not only the wall-clock deadline.
    const afterHostCall = await failure(wsA, 'spinAfterHostCall');
    expect(afterHostCall.code).toBe('SANDBOX_CPU_LIMIT');
    await stillServes();
  });

  it('fails a promise that never settles at the wall-clock deadline', async () => {
    const error = await failure(wsA, 'hang');
    expect(error.code).toBe('SANDBOX_TIMEOUT');
    expect(error.message).toContain('did not finish within 2000 ms');
    await stillServes();
  });

  it('contains a memory bomb (memory limit, or a restarted host)', async () => {
    const error = await failure(wsA, 'bomb');
    expect(['SANDBOX_MEMORY_LIMIT', 'SANDBOX_HOST_CRASHED']).toContain(error.code);
    expect(error.message).toMatch(/memory limit of 32 MB|exited .* restarted/);
    await stillServes();
  });

  it('gives plugin code no way to the host process: no process, require or isolated-vm globals', async () => {
    const seen = await run(wsA, 'escape');
    expect(seen).toEqual({
      viaConstructor: 'threw ReferenceError',
      process: 'undefined',
      require: 'threw',
      globalRequire: 'undefined',
      globals: ['__weftPlugin'],
    });
    const exit = await failure(wsA, 'processExit');
    expect(exit.message).toContain('process is not defined');
    await stillServes();
  });

  it('starts sandbox processes without the host environment (no keys or database URLs to find)', async () => {
    const [pid] = host.sandbox.pids;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    expect(environ).not.toContain(PLANTED_ENV);
    expect(
      environ
        .split('\0')
        .filter(Boolean)
        .map((kv) => kv.split('=')[0]),
    ).toEqual(expect.not.arrayContaining(['SECRET_KEY', 'DATABASE_URL', 'OPENAI_API_KEY']));
  });

  it('leaves nothing of isolated-vm or the bootstrap reachable through Error.prepareStackTrace', async () => {
    const seen = (await run(wsA, 'stackTrick')) as { found: number; ivmLike: number; names: string[] };
    expect(seen.ivmLike).toBe(0);
    expect(seen.names).not.toContain('send');
    expect(seen.names).not.toContain('bootstrap');
    expect(seen.names).not.toContain('hostCall');
  });

  it('turns Proxy, Symbol and Error.cause tricks into clear tool errors', async () => {
    expect((await failure(wsA, 'throwProxy')).message).toContain('the tool threw a value that cannot be described');
    const cause = await failure(wsA, 'errorCause');
    expect(cause.code).toBe('TOOL_ERROR');
    expect(cause.message).toBe('hostile.errorCause: outer failure');
    // A cause is read without running plugin code: a getter or a Proxy behind it is skipped, not run.
    const getter = await failure(wsA, 'causeGetter');
    expect([getter.code, getter.message, getter.cause]).toEqual([
      'TOOL_ERROR',
      'hostile.causeGetter: outer getter',
      { message: '' },
    ]);
    const proto = await failure(wsA, 'causeProxyProto');
    expect([proto.code, proto.cause]).toEqual(['TOOL_ERROR', { code: 'E_HIDDEN', message: '' }]);
    expect((await failure(wsA, 'throwSymbol')).message).toBe('hostile.throwSymbol: Symbol(s)');
    expect((await failure(wsA, 'badToJSON')).message).toContain('no json for you');
    expect((await failure(wsA, 'proxyOutput')).message).toContain('keys trap');
    await expect(run(wsA, 'symbolOutput')).resolves.toEqual({ fine: 1 });
    await stillServes();
  });

  it('caps log lines and concurrent host calls per call', async () => {
    const { result, ctx } = await call(wsA, 'logFlood');
    await expect(result).resolves.toBe('done');
    expect(ctx.logs).toHaveLength(500);
    const rejected = (await run(wsA, 'hostCallFlood')) as number;
    expect(rejected).toBeGreaterThan(0);
    expect(rejected).toBeLessThan(100);
  });

  it('rejects an output over the size limit with a clear, non-retriable error', async () => {
    const error = await failure(wsA, 'huge');
    expect(error).toBeInstanceOf(NonRetriableToolError);
    expect(error.code).toBe('SANDBOX_OUTPUT_TOO_LARGE');
    expect(error.message).toContain('the limit is 100000');
  });

  it('refuses fetch to a host the installation was not granted, and allows it where granted', async () => {
    const before = serverHits;
    const url = `http://127.0.0.1:${port}/`;
    const error = await failure(wsA, 'fetch', { url });
    expect(error).toBeInstanceOf(NonRetriableToolError);
    expect(error.message).toContain(`host 127.0.0.1:${port} was not granted`);
    expect(serverHits).toBe(before);
    await expect(run(wsB, 'fetch', { url })).resolves.toEqual({ status: 200, body: 'hello from 127.0.0.1' });
    expect(serverHits).toBe(before + 1);
  });

  it('reads only granted secrets, each workspace its own value, and never leaks them in errors or logs', async () => {
    await expect(run(wsA, 'secret', { name: 'API_TOKEN' })).resolves.toBe(SECRET_A);
    await expect(run(wsB, 'secret', { name: 'API_TOKEN' })).resolves.toBe(SECRET_B);
    const { result, ctx } = await call(wsA, 'secret', { name: 'OTHER' });
    const error = await result.then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain('secret "OTHER" was not granted');
    expect(JSON.stringify(ctx.logs)).not.toContain('other-secret-a');
    expect(error?.message).not.toContain('other-secret-a');
  });

  it('scopes kv by the installation the host knows, whatever ids the plugin passes', async () => {
    await run(wsB, 'kvWrite', { key: 'token', value: 'b-private' });
    const seen = await run(wsA, 'kvRead', { key: 'token', workspaceId: wsB, installationId: installB });
    expect(seen).toEqual({ plain: null, prefixed: null, object: null });
    await expect(
      run(wsB, 'kvRead', { key: 'token', workspaceId: wsB, installationId: installB }),
    ).resolves.toMatchObject({
      plain: 'b-private',
    });
  });

  it('shares no module state between workspaces: each installation has its own isolate', async () => {
    await run(wsA, 'remember', { value: 'a-private' });
    await expect(run(wsA, 'remember', { value: 'a-again' })).resolves.toBe('a-private');
    await expect(run(wsB, 'remember', { value: 'b' })).resolves.toBeNull();
  });

  it('restarts a sandbox process killed mid-call: the call fails clearly, the next one works', async () => {
    const { result } = await call(wsA, 'hang');
    const pending = result.then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    await new Promise((r) => setTimeout(r, 200));
    const [pid] = host.sandbox.pids;
    expect(pid).toBeDefined();
    process.kill(pid ?? 0, 'SIGKILL');
    const error = await pending;
    expect(error?.code).toBe('SANDBOX_HOST_CRASHED');
    expect(error?.message).toContain('was restarted');
    expect(crashes.length).toBeGreaterThan(0);
    await stillServes();
  });
});
