/**
 * Sandbox benchmark: a warm tool call through the sandbox (IPC to the sandbox process, into the
 * isolate and back, schemas checked) against the same tool body called straight into an
 * isolated-vm isolate in this process (`apply`, async: what the sandbox cannot do with less), in
 * paired rounds so both see the same machine; an in-process function call for the absolute
 * overhead; cold isolate start (new isolate, bundle compiled, first call); memory per isolate.
 * Goals: warm p50 ≤ 3× the raw isolated-vm call; warm overhead ≤ 1 ms p50; cold ≤ 30 ms p50.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildPlugin } from '@weft/plugin-sdk/build';
import { SandboxPool } from '@weft/plugin-sdk/sandbox';
import type ivmTypes from 'isolated-vm';

const ivm: typeof ivmTypes = createRequire(import.meta.url)('isolated-vm');

const WARM_CALLS = 2_000;
/** Paired rounds of the warm comparison (raw isolated-vm, then the sandbox): their median counts. */
const ROUNDS = 7;
const ROUND_CALLS = 1_000;
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

// Raw isolated-vm: the tool body in an isolate of this process, called the way the sandbox calls
// it (async apply, arguments copied in, the promise's result copied out, a CPU timeout).
const isolate = new ivm.Isolate({ memoryLimit: 64 });
const rawTool: ivmTypes.Reference = await (await isolate.createContext()).eval(
  '(async (input) => ({ n: input.n + 1, text: input.text }))',
  { reference: true },
);
const rawCall = () =>
  rawTool.apply(undefined, [input], {
    arguments: { copy: true },
    result: { promise: true, copy: true },
    timeout: 5_000,
  });
for (let i = 0; i < 200; i++) await rawCall();
async function p50Of(run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < ROUND_CALLS; i++) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  return percentile(samples, 50);
}
const rounds: { raw: number; sandbox: number }[] = [];
for (let r = 0; r < ROUNDS; r++) rounds.push({ raw: await p50Of(rawCall), sandbox: await p50Of(() => call('warm')) });
isolate.dispose();

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

const median = (values: number[]) => percentile(values, 50);
const ratios = rounds.map((r) => r.sandbox / r.raw);
const ratio = median(ratios);
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

const lines = [
  `raw isolated-vm async call   p50 ${us(median(rounds.map((r) => r.raw)))}  (median of ${ROUNDS} rounds)`,
  `warm sandboxed call          p50 ${us(median(rounds.map((r) => r.sandbox)))}  (median of ${ROUNDS} rounds)`,
  `warm vs raw isolated-vm      ${ratio.toFixed(2)}× (median of paired rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')})   goal ≤ 3×: ${ratio <= 3 ? 'met' : 'MISSED'}`,
  `in-process call (baseline)   p50 ${fmt(basePlain)}  p99 ${fmt(percentile(baseline, 99))}`,
  `warm call, 2,000 in a row    p50 ${fmt(warmP50)}  p99 ${fmt(percentile(warm, 99))}  (${(warmP50 / basePlain).toFixed(0)}× baseline)`,
  `warm overhead                p50 ${fmt(overhead)}   goal ≤ 1 ms: ${overhead <= 1 ? 'met' : 'MISSED'}`,
  `cold isolate start           p50 ${fmt(coldP50)}  p99 ${fmt(percentile(cold, 99))}   goal ≤ 30 ms: ${coldP50 <= 30 ? 'met' : 'MISSED'}`,
  `memory per isolate           heap ${(heapPer / 1024 / 1024).toFixed(2)} MB, process RSS +${(rssPer / 1024 / 1024).toFixed(2)} MB`,
];
process.stdout.write(`${lines.join('\n')}\n`);
