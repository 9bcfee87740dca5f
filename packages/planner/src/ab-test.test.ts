import { withTenant } from '@weft/db';
import { createTestDatabase, seedExecution, seedPlan, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseVersion, compareVersions } from './ab-test.ts';
import { seededRandom } from './learning/random.ts';

describe('chooseVersion', () => {
  const split = { versionA: 'v-a', versionB: 'v-b', percentB: 20 };

  it('gives the same key the same version every time', () => {
    for (const key of ['customer-1', 'customer-2', 'delivery-xyz']) {
      const first = chooseVersion(split, key);
      for (let i = 0; i < 5; i++) expect(chooseVersion(split, key)).toEqual(first);
    }
  });

  it('sends about percentB of keys to version B', () => {
    let b = 0;
    for (let i = 0; i < 10_000; i++) if (chooseVersion(split, `customer-${i}`).arm === 'B') b++;
    // Binomial(10000, 0.2): standard deviation 40, so ±200 is five of them.
    expect(b).toBeGreaterThan(1800);
    expect(b).toBeLessThan(2200);
  });

  it('honours the edges and uses the random source without a key', () => {
    expect(chooseVersion({ ...split, percentB: 0 }, 'k')).toEqual({ versionId: 'v-a', arm: 'A' });
    expect(chooseVersion({ ...split, percentB: 100 }, 'k')).toEqual({ versionId: 'v-b', arm: 'B' });
    expect(chooseVersion(split, null, () => 0.1999)).toEqual({ versionId: 'v-b', arm: 'B' });
    expect(chooseVersion(split, null, () => 0.2)).toEqual({ versionId: 'v-a', arm: 'A' });
    const random = seededRandom(7);
    const arms = Array.from({ length: 1000 }, () => chooseVersion(split, undefined, random).arm);
    expect(arms.filter((a) => a === 'B').length).toBeGreaterThan(150);
    expect(arms.filter((a) => a === 'B').length).toBeLessThan(250);
  });

  it('rejects a share outside 0..100', () => {
    expect(() => chooseVersion({ ...split, percentB: 120 }, 'k')).toThrow(RangeError);
    expect(() => chooseVersion({ ...split, percentB: Number.NaN }, 'k')).toThrow(RangeError);
  });
});

describe('compareVersions', () => {
  const W = '00000000-0000-4000-8000-0000000000c3';
  let db: TestDatabase;
  let versions: string[] = [];

  // Version 1: 20 finished runs, 12 succeeded, durations 1..20 s, plus one still running.
  // Version 2: 20 finished runs, 19 succeeded, durations 0.5..10 s.
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pools.owner.query(`INSERT INTO workspaces (id, slug, name) VALUES ($1, 'ab', 'AB')`, [W]);
    versions = await withTenant(db.pools.app, { workspaceId: W }, async (client) => {
      const plan = await seedPlan(client, W, 'checkout', 2);
      const [v1 = '', v2 = ''] = plan.versionIds;
      const start = Date.parse('2026-11-01T00:00:00Z');
      for (let i = 0; i < 20; i++) {
        const startedAt = new Date(start + i * 60_000);
        await seedExecution(
          client,
          W,
          { planId: plan.planId, versionId: v1 },
          {
            status: i < 12 ? 'SUCCEEDED' : 'FAILED',
            startedAt,
            finishedAt: new Date(startedAt.getTime() + (i + 1) * 1000),
          },
        );
        await seedExecution(
          client,
          W,
          { planId: plan.planId, versionId: v2 },
          {
            status: i < 19 ? 'SUCCEEDED' : 'FAILED',
            startedAt,
            finishedAt: new Date(startedAt.getTime() + (i + 1) * 500),
          },
        );
      }
      await seedExecution(
        client,
        W,
        { planId: plan.planId, versionId: v1 },
        { status: 'RUNNING', startedAt: new Date(start) },
      );
      return [v1, v2];
    });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('reports runs, success rate and latency percentiles per version, and whether the difference is significant', async () => {
    const [v1 = '', v2 = ''] = versions;
    const comparison = await withTenant(db.pools.app, { workspaceId: W }, (client) => compareVersions(client, v1, v2));
    expect(comparison.a).toMatchObject({
      versionId: v1,
      runs: 21,
      finished: 20,
      succeeded: 12,
      failed: 8,
      successRate: 0.6,
    });
    expect(comparison.b).toMatchObject({
      versionId: v2,
      runs: 20,
      finished: 20,
      succeeded: 19,
      failed: 1,
      successRate: 0.95,
    });
    // percentile_cont over 1..20 s: p50 10.5 s, p95 19.05 s; over 0.5..10 s: half of that.
    expect(comparison.a.p50Ms).toBeCloseTo(10_500, 3);
    expect(comparison.a.p95Ms).toBeCloseTo(19_050, 3);
    expect(comparison.b.p50Ms).toBeCloseTo(5_250, 3);
    expect(comparison.b.p95Ms).toBeCloseTo(9_525, 3);
    expect(comparison.zScore).toBeGreaterThan(1.96);
    expect(comparison.significant).toBe(true);
  });

  it('sees nothing from another workspace', async () => {
    const [v1 = '', v2 = ''] = versions;
    const comparison = await withTenant(
      db.pools.app,
      { workspaceId: '00000000-0000-4000-8000-0000000000d4' },
      (client) => compareVersions(client, v1, v2),
    );
    expect(comparison.a).toMatchObject({ runs: 0, successRate: null, p50Ms: null });
    expect(comparison.zScore).toBeNull();
    expect(comparison.significant).toBe(false);
  });
});
