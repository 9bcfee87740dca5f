import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BuiltPlugin, buildPlugin } from '../build.ts';
import { SandboxPool } from './pool.ts';

let plugin: BuiltPlugin;
const pool = new SandboxPool({ size: 1, maxIsolatesPerProcess: 2 });

beforeAll(async () => {
  plugin = await buildPlugin(fileURLToPath(new URL('../..', import.meta.url)), {
    write: false,
    source: `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
let calls = 0;
export default definePlugin({ name: 'counter', version: '1.0.0', description: 'module state shows isolate reuse',
  tools: [defineTool({ name: 'count', description: 'count', input: Type.Object({}), run: () => ++calls })] });`,
  });
});
afterAll(() => pool.close());

const count = (key: string) =>
  pool.call({
    plugin: { workspaceId: 'w1', key, ...plugin },
    tool: 'count',
    input: {},
    handlers: { capabilities: {} },
  });

it('reuses an isolate per key, keeps at most the cap, and evicts the least recently used', async () => {
  expect([await count('a'), await count('a'), await count('b')]).toEqual([1, 2, 1]);
  await count('a'); // a is now the most recently used
  expect(await count('c')).toBe(1); // evicts b
  const [stats] = await pool.stats();
  expect(stats?.isolates.map((s) => s.key).sort()).toEqual(['a', 'c']);
  expect(await count('a')).toBe(4);
  expect(await count('b')).toBe(1); // a fresh isolate: b's state was dropped
});

it('refuses a bundle that does not match the manifest integrity', async () => {
  await expect(
    pool.call({
      plugin: {
        workspaceId: 'w1',
        key: 'tampered',
        manifest: plugin.manifest,
        bundle: `${plugin.bundle}\n;calls = 100;`,
      },
      tool: 'count',
      input: {},
      handlers: { capabilities: {} },
    }),
  ).rejects.toMatchObject({ code: 'SANDBOX_INTEGRITY_MISMATCH' });
});
