import { describe, expect, it } from 'vitest';
import { chaosFault, chaosIssues, withChaos } from './chaos.ts';
import type { ToolContext, ToolDefinition } from './types.ts';

const base = { failRate: 0.3, timeoutRate: 0.1, latencyMs: 0, seed: 42 };

describe('chaos', () => {
  it('draws the same fault for the same (seed, step, attempt), whatever the order of draws', () => {
    const keys = Array.from({ length: 200 }, (_, i) => [`s${i % 20}`, 1 + Math.floor(i / 20)] as const);
    const forward = keys.map(([s, a]) => chaosFault(base, s, a));
    const backward = [...keys]
      .reverse()
      .map(([s, a]) => chaosFault(base, s, a))
      .reverse();
    expect(backward).toEqual(forward);
    expect(keys.map(([s, a]) => chaosFault({ ...base, seed: 43 }, s, a))).not.toEqual(forward);
  });

  it('injects faults at about the requested rates, and none at rate 0', () => {
    const draws = Array.from({ length: 4000 }, (_, i) => chaosFault(base, `step-${i}`, 1));
    const rate = (f: string) => draws.filter((d) => d === f).length / draws.length;
    expect(rate('fail')).toBeGreaterThan(0.27);
    expect(rate('fail')).toBeLessThan(0.33);
    expect(rate('timeout')).toBeGreaterThan(0.08);
    expect(rate('timeout')).toBeLessThan(0.12);
    const none = { ...base, failRate: 0, timeoutRate: 0 };
    expect(draws.every((_, i) => chaosFault(none, `step-${i}`, 1) === null)).toBe(true);
  });

  it('refuses rates outside 0..1, unbounded latency and fractional seeds', () => {
    expect(chaosIssues(base)).toEqual([]);
    expect(chaosIssues({ ...base, failRate: 1.5 }).map((i) => i.field)).toContain('failRate');
    expect(chaosIssues({ ...base, failRate: 0.7, timeoutRate: 0.5 }).map((i) => i.field)).toEqual(['timeoutRate']);
    expect(chaosIssues({ ...base, latencyMs: 60_000 }).map((i) => i.field)).toEqual(['latencyMs']);
    expect(chaosIssues({ ...base, seed: 0.5 }).map((i) => i.field)).toEqual(['seed']);
  });

  it('fails, times out or answers the mock as drawn', async () => {
    const tool: ToolDefinition = {
      name: 'x.y',
      version: '1.0.0',
      description: '',
      inputSchema: {},
      run: async () => 'real',
    };
    const ctx = { signal: new AbortController().signal } as ToolContext;
    const outcome = async (failRate: number, timeoutRate: number, answer: { output: unknown } | null) =>
      withChaos(tool, { failRate, timeoutRate, latencyMs: 0, seed: 1 }, 's', 1, answer)
        .run({}, ctx)
        .then(
          (v) => v,
          (e: Error & { code?: string }) => e.code ?? e.message,
        );
    expect(await outcome(1, 0, null)).toMatch(/^chaos: injected failure/);
    expect(await outcome(0, 1, null)).toBe('STEP_TIMEOUT');
    expect(await outcome(0, 0, { output: 'mock' })).toBe('mock');
    expect(await outcome(0, 0, null)).toBe('real');
  });
});
