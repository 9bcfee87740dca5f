import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { buildPlugin, PluginBuildError } from './build.ts';
import { defineTool } from './define.ts';
import { Type } from './index.ts';
import { bundleIntegrity } from './sandbox/integrity.ts';
import { createTestHarness } from './testing.ts';

const SDK_DIR = fileURLToPath(new URL('..', import.meta.url));
const build = (source: string) => buildPlugin(SDK_DIR, { source, write: false });

const COUNTER = `
import { definePlugin, defineTool, Type, RetryAfterError } from '@weft/plugin-sdk';
export default definePlugin({
  name: 'counter', version: '0.1.0', description: 'counts', capabilities: ['kv'],
  tools: [
    defineTool({ name: 'bump', description: 'bump', input: Type.Object({ by: Type.Integer() }),
      output: Type.Object({ count: Type.Integer() }), cacheable: false, dryRun: 'mock',
      run: async ({ by }, ctx) => {
        const count = ((await ctx.kv.get('count')) ?? 0) + by;
        await ctx.kv.set('count', count);
        await ctx.context.set('lastBy', by);
        ctx.log('info', 'bumped', { count });
        return { count };
      } }),
    defineTool({ name: 'wrongOutput', description: 'x', input: Type.Object({}), output: Type.Object({ n: Type.Number() }),
      run: async () => ({ n: 'not a number' }) }),
    defineTool({ name: 'later', description: 'x', input: Type.Object({}),
      run: async () => { throw new RetryAfterError('busy', 1234); } }),
    defineTool({ name: 'waitForCancel', description: 'x', input: Type.Object({}),
      run: (_, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ stoppedBecause: ctx.signal.reason }))) }),
    defineTool({ name: 'ignoreCancel', description: 'x', input: Type.Object({}), run: () => new Promise(() => {}) }),
    defineTool({ name: 'sleep', description: 'x', input: Type.Object({ ms: Type.Integer() }),
      run: async ({ ms }) => { const t = Date.now(); await new Promise((r) => setTimeout(r, ms)); return { waited: Date.now() - t >= ms - 1 }; } }),
  ],
});`;

describe('defineTool', () => {
  it('types run() from the TypeBox schemas', () => {
    const tool = defineTool({
      name: 'greet',
      description: 'greets',
      input: Type.Object({ name: Type.String(), times: Type.Optional(Type.Integer()) }),
      output: Type.Object({ greeting: Type.String() }),
      run: async ({ name }) => ({ greeting: `Hello ${name}` }),
    });
    expectTypeOf(tool.run).parameter(0).toEqualTypeOf<{ name: string; times?: number }>();
    expectTypeOf(tool.run).returns.resolves.toEqualTypeOf<{ greeting: string }>();
  });
});

describe('buildPlugin', () => {
  it('writes one bundle and a manifest with JSON Schema and the bundle’s sha256 integrity', async () => {
    const { manifest, bundle } = await build(COUNTER);
    expect(manifest).toMatchObject({
      manifestVersion: 1,
      name: 'counter',
      version: '0.1.0',
      capabilities: ['kv'],
      optionalCapabilities: [],
      integrity: bundleIntegrity(bundle),
    });
    expect(manifest.tools[0]).toEqual({
      name: 'bump',
      description: 'bump',
      inputSchema: { type: 'object', properties: { by: { type: 'integer' } }, required: ['by'] },
      outputSchema: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
      cacheable: false,
      dryRun: 'mock',
    });
  });

  it('explains what is wrong with an invalid plugin', async () => {
    await expect(build(`export const x = 1;`)).rejects.toThrow(/export default definePlugin/);
    await expect(
      build(COUNTER.replace("name: 'counter', version: '0.1.0'", "name: 'Counter!', version: 'one'")),
    ).rejects.toThrow(PluginBuildError);
    await expect(build(COUNTER.replace("capabilities: ['kv']", "capabilities: ['filesystem']"))).rejects.toThrow(
      /capabilities\/0 must match pattern/,
    );
    await expect(build(`import { nope } from './missing.ts'; export default nope;`)).rejects.toThrow(/bundling failed/);
  });
});

describe('test harness (the production sandbox)', () => {
  it('runs tools with kv, shared context, logs and timers', async () => {
    await using harness = await createTestHarness({ plugin: await build(COUNTER), context: { existing: true } });
    await expect(harness.runTool('bump', { by: 2 })).resolves.toEqual({ count: 2 });
    await expect(harness.runTool('counter.bump', { by: 3 })).resolves.toEqual({ count: 5 });
    expect(harness.kv.get('count')).toBe(5);
    expect(harness.context.get('lastBy')).toBe(3);
    expect(harness.logs).toEqual([
      { level: 'info', message: 'bumped', data: { count: 2 } },
      { level: 'info', message: 'bumped', data: { count: 5 } },
    ]);
    await expect(harness.runTool('sleep', { ms: 20 })).resolves.toEqual({ waited: true });
  });

  it('checks inputs and outputs against the schemas and passes retry hints through', async () => {
    await using harness = await createTestHarness({ plugin: await build(COUNTER) });
    await expect(harness.runTool('bump', { by: 'two' })).rejects.toMatchObject({
      code: 'SANDBOX_INVALID_INPUT',
      message: 'invalid input for bump: /by must be integer',
    });
    await expect(harness.runTool('wrongOutput', {})).rejects.toMatchObject({ code: 'SANDBOX_INVALID_OUTPUT' });
    await expect(harness.runTool('nope', {})).rejects.toMatchObject({ code: 'SANDBOX_TOOL_NOT_FOUND' });
    await expect(harness.runTool('later', {})).rejects.toMatchObject({
      code: 'TOOL_ERROR',
      toolErrorName: 'RetryAfterError',
      retryAfterMs: 1234,
    });
  });

  it('withholds capabilities that were not granted (kv here)', async () => {
    await using harness = await createTestHarness({ plugin: await build(COUNTER), grants: [] });
    await expect(harness.runTool('bump', { by: 1 })).rejects.toMatchObject({
      toolErrorName: 'CapabilityDeniedError',
      message: 'kv.get: capability "kv" was not granted to this installation',
    });
  });

  it('cancels: the signal reaches the tool, and a tool that ignores it is stopped after the grace period', async () => {
    await using harness = await createTestHarness({ plugin: await build(COUNTER), limits: { cancelGraceMs: 200 } });
    const polite = new AbortController();
    const first = harness.runTool('waitForCancel', {}, { signal: polite.signal });
    setTimeout(() => polite.abort('user cancelled'), 50);
    await expect(first).resolves.toEqual({ stoppedBecause: 'user cancelled' });

    const rude = new AbortController();
    const second = harness.runTool('ignoreCancel', {}, { signal: rude.signal });
    setTimeout(() => rude.abort('user cancelled'), 50);
    await expect(second).rejects.toMatchObject({ code: 'SANDBOX_CANCELLED', message: 'cancelled: user cancelled' });
    await expect(harness.runTool('bump', { by: 1 })).resolves.toEqual({ count: 1 });
  });
});
