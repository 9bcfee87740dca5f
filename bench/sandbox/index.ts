/**
 * Sandbox benchmark: a warm tool call through the sandbox (IPC to the sandbox process, into the
 * isolate and back, schemas checked) against a plain in-process function call measured in the same
 * run; cold isolate start (new isolate, bundle compiled, first call); memory per isolate.
 * Goals: warm overhead ≤ 1 ms p50, cold ≤ 30 ms p50.
 */
import { fileURLToPath } from 'node:url';
import { buildPlugin } from '@weft/plugin-sdk/build';
import { SandboxPool } from '@weft/plugin-sdk/sandbox';

const WARM_CALLS = 2_000;
const COLD_STARTS = 40;
const MEMORY_ISOLATES = 20;

const here = fileURLToPath(new URL('.', import.meta.url));
const { manifest, bundle } = await buildPlugin(here, {
  write: false,
  source: `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({ name: 'bench', version: '1.0.0', description: 'bench', tools: [
  defineTool({ name: 'echo', description: 'echo', input: Type.Object({ n: Type.Integer(), text: Type.String() }),
    output: Type.Object({ n: Type.Integer(), text: Type.String() }), run: async (input) => ({ n: input.n + 1, text: input.text }) }),
] });`,
});

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const fmt = (ms: number) => `${ms.toFixed(4)} ms`;
const input = { n: 1, text: 'hello sandbox' };

// Baseline: the same tool body as a plain in-process async function.
const plain = async (value: { n: number; text: string }) => ({ n: value.n + 1, text: value.text });
const baseline: number[] = [];
for (let i = 0; i < WARM_CALLS; i++) {
  const t = performance.now();
  await plain(input);
  baseline.push(performance.now() - t);
}

// The bench's isolates all belong to one workspace: lift the per-workspace caps (8 isolates, 256 MB
// of heap limits by default) so the memory figure counts every isolate it started.
const pool = new SandboxPool({
  size: 1,
  maxIsolatesPerProcess: 64,
  workspaceMaxIsolates: 64,
  workspaceHeapMb: 64 * 128,
});
const handlers = { capabilities: {} };
// One workspace throughout: isolates are keyed by (workspace, key).
const workspaceId = '00000000-0000-4000-8000-000000000001';
const call = (key: string) =>
  pool.call({ plugin: { workspaceId, key, manifest, bundle }, tool: 'echo', input, handlers });
await call('warm');
for (let i = 0; i < 200; i++) await call('warm');
const warm: number[] = [];
for (let i = 0; i < WARM_CALLS; i++) {
  const t = performance.now();
  await call('warm');
  warm.push(performance.now() - t);
}

const cold: number[] = [];
for (let i = 0; i < COLD_STARTS; i++) {
  const t = performance.now();
  await call(`cold-${i}`);
  cold.push(performance.now() - t);
}

for (const key of [...Array(COLD_STARTS).keys()].map((i) => `cold-${i}`)) pool.evict({ workspaceId, key });
await call('warm');
const before = (await pool.stats())[0];
for (let i = 0; i < MEMORY_ISOLATES; i++) await call(`mem-${i}`);
const after = (await pool.stats())[0];
await pool.close();

const basePlain = percentile(baseline, 50);
const warmP50 = percentile(warm, 50);
const overhead = warmP50 - basePlain;
const coldP50 = percentile(cold, 50);
const memIsolates = (after?.isolates ?? []).filter((s) => s.key.startsWith('mem-'));
const heapPer = memIsolates.reduce((sum, s) => sum + s.totalHeapBytes, 0) / Math.max(memIsolates.length, 1);
const rssPer = ((after?.rssBytes ?? 0) - (before?.rssBytes ?? 0)) / MEMORY_ISOLATES;

const lines = [
  `in-process call (baseline)   p50 ${fmt(basePlain)}  p99 ${fmt(percentile(baseline, 99))}`,
  `warm sandboxed call          p50 ${fmt(warmP50)}  p99 ${fmt(percentile(warm, 99))}  (${(warmP50 / basePlain).toFixed(0)}× baseline)`,
  `warm overhead                p50 ${fmt(overhead)}   goal ≤ 1 ms: ${overhead <= 1 ? 'met' : 'MISSED'}`,
  `cold isolate start           p50 ${fmt(coldP50)}  p99 ${fmt(percentile(cold, 99))}   goal ≤ 30 ms: ${coldP50 <= 30 ? 'met' : 'MISSED'}`,
  `memory per isolate           heap ${(heapPer / 1024 / 1024).toFixed(2)} MB, process RSS +${(rssPer / 1024 / 1024).toFixed(2)} MB`,
];
process.stdout.write(`${lines.join('\n')}\n`);
