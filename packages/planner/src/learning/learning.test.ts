import { withTenant } from '@weft/db';
import { toolStats as engineToolStats } from '@weft/engine';
import { createTestDatabase, type SeedStep, seedExecution, seedPlan, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import { draftPlan } from '../draft-plan.ts';
import { catalogueValidator } from '../eval/evaluate.ts';
import { chooseArm } from './bandit.ts';
import { chooseToolForCapability, learnHints } from './hints.ts';
import { failingSubjects, frequentSequences } from './patterns.ts';
import { stepPatternStats, toolStats } from './tool-stats.ts';

const W = '00000000-0000-4000-8000-0000000000a1';
const OTHER = '00000000-0000-4000-8000-0000000000b2';
let db: TestDatabase;

const ok = (durationMs: number) => ({ status: 'SUCCEEDED' as const, durationMs });
const failed = (durationMs: number) => ({ status: 'FAILED' as const, durationMs });

// History of one workspace: 40 runs of mailer v1 (fetch → render → send with mail-b.send, which
// fails once in 40) and 20 runs of mailer v2 (fetch → send with mail-a.send: 4 fail twice,
// 4 succeed on the second attempt, 12 succeed at once).
beforeAll(async () => {
  db = await createTestDatabase();
  await db.pools.owner.query(
    `INSERT INTO workspaces (id, slug, name) VALUES ($1, 'learn', 'Learn'), ($2, 'other', 'Other')`,
    [W, OTHER],
  );
  await withTenant(db.pools.app, { workspaceId: W }, async (client) => {
    const plan = await seedPlan(client, W, 'mailer', 2);
    const [v1, v2] = plan.versionIds;
    const start = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 60; i++) {
      const fetch: SeedStep = { stepId: 'fetch', tool: 'http.request', attempts: [ok(100 + i)] };
      let steps: SeedStep[];
      let status: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED';
      if (i < 40) {
        const send = i === 0 ? [failed(30)] : [ok(30)];
        if (i === 0) status = 'FAILED';
        steps = [
          fetch,
          { stepId: 'render', tool: 'transform.template', attempts: [ok(5)] },
          { stepId: 'send', tool: 'mail-b.send', attempts: send },
        ];
      } else {
        const n = i - 40;
        const send = n < 4 ? [failed(50), failed(50)] : n < 8 ? [failed(50), ok(50)] : [ok(50)];
        if (n < 4) status = 'FAILED';
        steps = [fetch, { stepId: 'send', tool: 'mail-a.send', attempts: send }];
      }
      await seedExecution(
        client,
        W,
        { planId: plan.planId, versionId: (i < 40 ? v1 : v2) ?? '' },
        { status, startedAt: new Date(start + i * 60_000), steps },
      );
    }
  });
});
afterAll(async () => {
  await db.drop();
});

const inW = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(db.pools.app, { workspaceId: W }, work);

describe('learning engine statistics', () => {
  it('computes per-tool calls, failures, retries and latency percentiles from step attempts', async () => {
    const stats = await inW((client) => toolStats(client));
    const http = stats.find((s) => s.tool === 'http.request');
    expect(http).toMatchObject({ calls: 60, failures: 0, retries: 0, successRate: 1 });
    // Durations 100..159 ms: percentile_cont gives 129.5 and 156.05.
    expect(http?.p50Ms).toBeCloseTo(129.5, 5);
    expect(http?.p95Ms).toBeCloseTo(156.05, 5);
    const mailA = stats.find((s) => s.tool === 'mail-a.send');
    expect(mailA).toMatchObject({ calls: 28, failures: 12, successes: 16, retries: 8 });
    expect(mailA?.successRate).toBeCloseTo(16 / 28, 10);
    expect(stats.find((s) => s.tool === 'mail-b.send')).toMatchObject({ calls: 40, failures: 1, retries: 0 });
  });

  it('computes per step of a plan: runs, outcomes, retries', async () => {
    const steps = await inW((client) => stepPatternStats(client));
    const send = steps.find((s) => s.stepId === 'send' && s.tool === 'mail-a.send');
    expect(send).toMatchObject({
      planName: 'mailer',
      runs: 20,
      successes: 16,
      failures: 4,
      retries: 8,
      successRate: 0.8,
    });
    expect(send?.p50Ms).toBe(50);
    expect(steps.find((s) => s.stepId === 'render')).toMatchObject({ runs: 40, successes: 40, retries: 0 });
  });

  it("is the engine's record of each tool plus its success rate (one definition of calls and failures)", async () => {
    const THIRD = '00000000-0000-4000-8000-0000000000c3';
    await db.pools.owner.query(`INSERT INTO workspaces (id, slug, name) VALUES ($1, 'third', 'Third')`, [THIRD]);
    const [planner, engine] = await withTenant(db.pools.app, { workspaceId: THIRD }, async (client) => {
      const plan = await seedPlan(client, THIRD, 'lossy');
      // A worker died under the first attempt (LOST), the retry succeeded; a cache hit and a
      // cancelled attempt did not finish a call. The pinned `@^1` counts under the tool's name.
      await seedExecution(
        client,
        THIRD,
        { planId: plan.planId, versionId: plan.versionIds[0] ?? '' },
        {
          status: 'SUCCEEDED',
          steps: [
            { stepId: 'a', tool: 'svc.call@^1', attempts: [{ status: 'LOST', durationMs: 900 }, ok(10)] },
            { stepId: 'b', tool: 'svc.call', attempts: [{ status: 'SUCCEEDED', durationMs: 1, cacheHit: true }] },
            { stepId: 'c', tool: 'svc.call', attempts: [{ status: 'CANCELLED', durationMs: 5 }] },
          ],
        },
      );
      return [await toolStats(client), await engineToolStats(client)] as const;
    });
    expect(engine).toEqual([{ tool: 'svc.call', calls: 2, failures: 1, retries: 1, p50Ms: 10, p95Ms: 10 }]);
    expect(planner).toEqual([{ ...engine[0], successes: 1, successRate: 0.5 }]);
  });

  it('shows nothing of one workspace to another', async () => {
    const stats = await withTenant(db.pools.app, { workspaceId: OTHER }, (client) => toolStats(client));
    expect(stats).toEqual([]);
  });
});

describe('learning engine patterns', () => {
  it('finds tool pairs and triples that follow each other, most frequent first', async () => {
    const sequences = await inW((client) => frequentSequences(client));
    expect(sequences.slice(0, 3).map((s) => [s.tools, s.count])).toEqual([
      [['http.request', 'transform.template', 'mail-b.send'], 40],
      [['http.request', 'transform.template'], 40],
      [['transform.template', 'mail-b.send'], 40],
    ]);
    expect(sequences).toContainEqual({ tools: ['http.request', 'mail-a.send'], count: 20, support: 20 / 60 });
  });

  it('flags tools and steps that often fail', async () => {
    const [tools, steps] = await inW(
      async (client) => [await toolStats(client), await stepPatternStats(client)] as const,
    );
    const failing = failingSubjects(tools, steps, { threshold: 0.85 });
    expect(failing.map((f) => f.subject)).toEqual(['mail-a.send', 'mailer/send']);
    expect(failing[0]).toMatchObject({ kind: 'tool', runs: 28 });
  });
});

describe('choosing among providers of a capability', () => {
  it('prefers the provider with the better record and says why (UCB1)', async () => {
    const choice = await inW((client) => chooseToolForCapability(client, 'email.send', ['mail-a.send', 'mail-b.send']));
    expect(choice.tool).toBe('mail-b.send');
    expect(choice.reason).toBe(
      'chose mail-b.send for email.send: 98% success over 40 runs vs 57% success over 28 runs for mail-a.send (UCB)',
    );
  });

  it('tries a provider that has never run before trusting the record', async () => {
    const choice = await inW((client) =>
      chooseToolForCapability(client, 'email.send', ['mail-a.send', 'mail-b.send', 'mail-c.send']),
    );
    expect(choice.tool).toBe('mail-c.send');
    expect(choice.reason).toContain('never run yet');
  });

  it('Thompson sampling is reproducible for a seed and mostly picks the better provider', () => {
    const arms = [
      { tool: 'mail-a.send', runs: 28, successes: 16 },
      { tool: 'mail-b.send', runs: 40, successes: 39 },
    ];
    const once = chooseArm('email.send', arms, { strategy: 'thompson', seed: 42 });
    expect(chooseArm('email.send', arms, { strategy: 'thompson', seed: 42 })).toEqual(once);
    let b = 0;
    for (let seed = 1; seed <= 200; seed++)
      if (chooseArm('email.send', arms, { strategy: 'thompson', seed }).tool === 'mail-b.send') b++;
    // P(draw from Beta(17,13) > draw from Beta(40,2)) is far below 1 %.
    expect(b).toBeGreaterThanOrEqual(195);
    expect(once.reason).toContain('Thompson sampling');
  });

  it('gives the planner hints, and the deterministic planner follows the preferred provider', async () => {
    const catalogue: ToolCatalogueEntry[] = [
      {
        name: 'mail-a.send',
        description: 'Sends an email message through provider A.',
        provides: 'email.send',
        inputSchema: {
          type: 'object',
          required: ['to'],
          properties: { to: { type: 'string' }, subject: { type: 'string' } },
        },
      },
      {
        name: 'mail-b.send',
        description: 'Sends an email message through provider B.',
        provides: 'email.send',
        inputSchema: {
          type: 'object',
          required: ['to'],
          properties: { to: { type: 'string' }, subject: { type: 'string' } },
        },
      },
    ];
    const hints = await inW((client) => learnHints(client, catalogue, { failureThreshold: 0.85 }));
    expect(hints.preferred).toEqual([
      {
        capability: 'email.send',
        tool: 'mail-b.send',
        reason:
          'chose mail-b.send for email.send: 98% success over 40 runs vs 57% success over 28 runs for mail-a.send (UCB)',
      },
    ]);
    expect(hints.unreliable.map((u) => u.subject)).toEqual(['mail-a.send', 'mailer/send']);
    expect(hints.sequences[0]).toEqual({ tools: ['http.request', 'transform.template', 'mail-b.send'], count: 40 });

    const result = await draftPlan({
      request: 'send an email to ops@example.com',
      tools: catalogue,
      validate: catalogueValidator(catalogue),
      hints,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec.steps).toEqual([{ id: 'send', tool: 'mail-b.send', input: { to: 'ops@example.com' } }]);
    expect(result.choices).toEqual([hints.preferred[0]]);
    expect(result.explanation).toContain('chose mail-b.send for email.send');
  });
});
