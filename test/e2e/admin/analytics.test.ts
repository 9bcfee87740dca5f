import { join } from 'node:path';
import { eventually } from '@weft/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlanHistory, waitFinished } from './analytics-seed.ts';
import { type ConsoleBrowser, launchConsoleBrowser, openAs, pageWidth, SHOTS } from './console-browser.ts';
import { type RunFixture, startRunFixture } from './run-fixture.ts';

// The analytics page and the runs list's trigger filter and bulk retry, in the built console on a
// real API with workers, driven in Chromium. The API underneath: test/e2e/api/analytics.test.ts.
let f: RunFixture;
let browser: ConsoleBrowser;
let planId: string;
// Two days ago, 09:00 UTC: the five seeded runs fall between 09:05 and 11:45 of that one day, well
// inside the page's default range (the last 7 days, by day).
const base = new Date();
base.setUTCHours(9, 0, 0, 0);
base.setUTCDate(base.getUTCDate() - 2);
const dayLabel = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' }).format(base);

/** The text of each cell of a table's body rows. */
async function cells(page: Page, table: string): Promise<string[][]> {
  return page
    .getByRole('table', { name: table })
    .locator('tbody > tr')
    .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
}

beforeAll(async () => {
  f = await startRunFixture();
  ({ planId } = await seedPlanHistory(f, 'Checkout', base));
  browser = await launchConsoleBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await f?.stop();
});

describe('analytics page in a real browser', () => {
  it("charts a plan's runs with the seeded numbers, compares its versions in words, lists tools; fits 390 px", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    // From the plan's page, its link opens the analytics on that plan.
    await openAs(page, f.server.url, f.alice, `/w/acme/plans/${encodeURIComponent(planId)}`);
    await page.getByRole('link', { name: 'Analytics of Checkout' }).click();
    await expect.poll(() => page.url()).toContain(`/w/acme/analytics?plan=${encodeURIComponent(planId)}`);

    // The day's bucket: 5 runs, 3 succeeded, 2 failed; durations 100, 200, 300, 400, 1000 ms. The
    // overview of plans holds the same totals (no other plan has run yet).
    await page.getByRole('heading', { name: 'Checkout: 5 runs' }).waitFor();
    expect(await cells(page, 'Plans by runs')).toEqual([['Checkout', '5', '3', '2', '60%', '300 ms', '880 ms']]);
    expect(await cells(page, 'Runs of Checkout by day')).toEqual([
      [dayLabel, '5', '3', '2', '60%', '300 ms', '880 ms'],
    ]);
    // Three charts drawn by the chart library, the runs chart with bars and the day on its axis.
    for (const chart of ['Runs', 'Success rate', 'Duration (start to finish)']) {
      expect(await page.locator(`figure[aria-label="${chart}"] svg.recharts-surface`).count(), chart).toBe(1);
    }
    expect(await page.locator('figure[aria-label="Runs"] .recharts-bar-rectangle').count()).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('figure[aria-label="Runs"] .recharts-cartesian-axis-tick-value').allTextContents())
      .toContain(dayLabel);

    // A/B: version 1 had 2 of 3 succeed, version 2 had 1 of 2: too few runs to tell.
    expect(await cells(page, 'Versions compared')).toEqual([
      ['A: v1', '3', '3', '2', '67%', '300 ms', '930 ms'],
      ['B: v2', '2', '2', '1', '50%', '300 ms', '390 ms'],
    ]);
    const verdict = await page.locator('.significance').textContent();
    expect(verdict).toContain("Not significant: Version 2's success rate (50%) is lower than version 1's (67%)");
    expect(verdict).toContain('over 5 finished runs this could well be chance');

    // Tools: core.fail was called by the two failing runs only (skipped otherwise), failing both times.
    const tools = await cells(page, 'Tool statistics');
    expect(tools.find((row) => row[0] === 'core.fail')?.slice(0, 4)).toEqual(['core.fail', '2', '2', '100%']);
    expect(await page.locator('figure[aria-label="Calls and failures by tool"] svg.recharts-surface').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'analytics-1280.png'), fullPage: true });

    // The selection is in the URL: a reload shows the same view.
    await page.reload();
    await page.getByRole('heading', { name: 'Checkout: 5 runs' }).waitFor();

    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('figure[aria-label="Runs"] svg.recharts-surface').waitFor();
    await page.screenshot({ path: join(SHOTS, 'analytics-390.png'), fullPage: true });
    expect(await pageWidth(page)).toBe(390);

    // The last 24 hours, by hour: the runs of two days ago are outside it.
    await page.getByRole('textbox', { name: 'Range' }).click();
    await page.getByRole('option', { name: 'Last 24 hours, by hour' }).click();
    await expect.poll(() => page.url()).toContain('range=24h');
    await page.getByText('No runs of this plan in this range.').waitFor();
    await page.close();
  });
});

describe('runs list: trigger filter, bulk retry, find by id', () => {
  it('filters by trigger (kept in the URL), retries the selected failed runs after a confirmation, finds a run by id', async () => {
    const created = await f.graphql<{ createPlan: { plan: { id: string } } }>(
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } } }',
      {
        input: {
          workspaceId: f.workspaceId,
          name: 'Retry me',
          spec: { steps: [{ id: 'flaky', tool: 'core.fail', input: { message: 'not yet', failTimes: 1 } }] },
        },
      },
      f.alice,
    );
    const retryPlan = created.createPlan.plan.id;
    const failed = [await f.start(retryPlan, {}), await f.start(retryPlan, {})];
    await waitFinished(f, failed);
    await f.graphql(
      'mutation($input: CreateEventTriggerInput!) { createEventTrigger(input: $input) { userErrors { message } } }',
      { input: { planId: f.gatePlanId, event: 'stock.low' } },
      f.alice,
    );
    await f.graphql(
      'mutation($input: SendEventInput!) { sendEvent(input: $input) { userErrors { message } } }',
      { input: { workspaceId: f.workspaceId, name: 'stock.low', data: { sku: 'A1' } } },
      f.alice,
    );

    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await openAs(page, f.server.url, f.alice, '/w/acme/runs');
    const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody > tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(3);
    await page.getByRole('textbox', { name: 'Trigger' }).click();
    await page.getByRole('option', { name: 'EVENT' }).click();
    await expect.poll(() => page.url()).toContain('trigger=EVENT');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('by event');
    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByRole('textbox', { name: 'Trigger' }).inputValue()).toBe('EVENT');

    // A viewer sees the same list with the retry disabled and the reason.
    const failedList = `/w/acme/runs?plan=${encodeURIComponent(retryPlan)}&status=FAILED`;
    const viewer = await browser.context.newPage();
    await openAs(viewer, f.server.url, f.bob, failedList);
    await expect.poll(() => viewer.getByRole('table', { name: 'Runs' }).locator('tbody > tr').count()).toBe(2);
    expect(await viewer.getByRole('button', { name: /^Retry selected/ }).isDisabled()).toBe(true);
    expect(await viewer.getByRole('checkbox').first().isDisabled()).toBe(true);
    await viewer.close();

    // (The profile's storage is shared: sign in as Alice again.)
    await openAs(page, f.server.url, f.alice, failedList);
    await expect.poll(() => rows.count()).toBe(2);
    for (const checkbox of await rows.getByRole('checkbox').all()) await checkbox.check();
    await page.getByRole('button', { name: 'Retry selected (2)' }).click();
    await page.getByText('Retry 2 failed runs?', { exact: false }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'analytics-runs-retry.png'), fullPage: true });
    await page.getByRole('button', { name: 'Yes, retry selected (2)' }).click();
    await page.getByRole('status').filter({ hasText: 'Retried 2 runs.' }).waitFor();
    // core.fail counts attempts over a run's life: each retried run's second attempt succeeds.
    for (const id of failed) {
      await eventually(async () => ((await f.statusOf(id)) === 'SUCCEEDED' ? true : undefined), 20_000);
    }
    await page.getByText('No run matches these filters.').waitFor({ timeout: 20_000 });

    // Find by id: a pasted run id opens its page; anything else says why not.
    const find = page.getByRole('textbox', { name: 'Find a run by id' });
    await find.fill('not-a-run');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByText('Not a run id').waitFor();
    await find.fill(` ${failed[0]} `);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.url()).toContain(`/w/acme/runs/${encodeURIComponent(failed[0] ?? '')}`);
    await page.getByRole('heading', { name: 'Run of Retry me v1' }).waitFor();
    await page.close();
  });
});
