import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@weft/test-utils';
import axe from 'axe-core';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONSOLE_PAGES, type PageIds } from './pages.ts';
import { PASSWORD, type RunFixture, startRunFixture } from './run-fixture.ts';

// Every route of the built console (pages.ts), as each role sees it, checked by axe-core in
// Debian's Chromium, at desktop and phone width, on a real API whose workers really run the plans.
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'test/e2e/screenshots');
const SLUG = 'acme';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const VIEWER_REASON = 'Viewers can watch runs but not start or control them';

let f: RunFixture;
let carol: string;
let ids: PageIds;
let profileDir: string;
let browser: BrowserContext;

/** Opens the console as the holder of `token`, or signed out (the console keeps its session in localStorage). */
async function openAs(page: Page, token: string | null, path: string): Promise<void> {
  await page.goto(`${f.server.url}/admin/`);
  await page.evaluate((t) => {
    if (t === null) window.localStorage.removeItem('weft.token');
    else window.localStorage.setItem('weft.token', t);
  }, token);
  await page.goto(`${f.server.url}/admin${path}`);
}

interface Finding {
  page: string;
  rule: string;
  impact: string;
  help: string;
  /** axe's explanation for the first element (the colours and ratio, for contrast). */
  why: string;
  targets: string[];
}

/** axe-core's serious and critical findings on the page as it is now. */
async function seriousFindings(page: Page, name: string): Promise<Finding[]> {
  // Evaluated through the DevTools protocol rather than added as a <script>: the console's CSP
  // (script-src 'self') rightly refuses inline scripts, and the page is checked under its real CSP.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    }),
  );
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      page: name,
      rule: v.id,
      impact: v.impact ?? '',
      help: v.help,
      why: v.nodes[0]?.any[0]?.message ?? v.nodes[0]?.failureSummary ?? '',
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
}

/** How far the page would scroll sideways (0 when it fits the window). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** Presses Tab until `target` has the focus (at most `limit` times); how many presses it took. */
async function tabTo(page: Page, target: ReturnType<Page['locator']>, limit: number): Promise<number> {
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return presses;
  }
  throw new Error(`not reached in ${limit} presses of Tab`);
}

/** A control in view, disabled, with `reason` written on the page (not only in a tooltip). */
async function expectDisabledWithReason(page: Page, control: string, reason: string): Promise<void> {
  const button = page.getByRole('button', { name: control, exact: true }).first();
  await button.waitFor();
  expect({ control, disabled: await button.isDisabled() }).toEqual({
    control,
    disabled: true,
  });
  expect(await page.getByText(reason).first().isVisible()).toBe(true);
}

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'apps/admin/dist/index.html'))) {
    throw new Error('apps/admin/dist is missing: run `npm run build` (npm test builds before vitest)');
  }
  await mkdir(SHOTS, { recursive: true });
  f = await startRunFixture();
  const { alice, workspaceId, gatePlanId } = f;
  carol = await f.signUp('carol@example.com');
  await f.graphql(
    'mutation($input: AddMemberInput!) { addMember(input: $input) { userErrors { message } } }',
    { input: { workspaceId, email: 'carol@example.com', role: 'MEMBER' } },
    alice,
  );
  const createPlan = async (name: string, spec: unknown) =>
    (
      await f.graphql<{ createPlan: { plan: { id: string } } }>(
        'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { message } } }',
        { input: { workspaceId, name, spec } },
        alice,
      )
    ).createPlan.plan.id;
  const works = await createPlan('Works', { steps: [{ id: 'hello', tool: 'core.echo', input: { text: 'hi' } }] });
  const breaks = await createPlan('Breaks', {
    steps: [{ id: 'boom', tool: 'core.fail', input: { message: 'the upstream said no' } }],
  });
  ids = { succeededRun: await f.start(works, {}), failedRun: await f.start(breaks, {}), plan: works };
  const gateRun = await f.start(gatePlanId, {});
  // An approval only admins may decide: a member sees it disabled, with why.
  const bossPlan = await createPlan('Sign-off', {
    steps: [{ id: 'boss-signoff', type: 'approval', message: 'Sign off?', approvers: ['ADMIN'] }],
  });
  const bossRun = await f.start(bossPlan, {});
  await f.graphql(
    'mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { userErrors { message } } }',
    { input: { planId: works, cron: '0 9 * * 1', timezone: 'Europe/Berlin' } },
    alice,
  );
  await f.graphql(
    'mutation($input: SendEventInput!) { sendEvent(input: $input) { userErrors { message } } }',
    { input: { workspaceId, name: 'order.paid', data: { orderId: 7 } } },
    alice,
  );
  const reaches = (id: string, status: string) =>
    vi.waitFor(async () => expect(await f.statusOf(id)).toBe(status), { timeout: 20_000, interval: 200 });
  await reaches(ids.succeededRun, 'SUCCEEDED');
  await reaches(ids.failedRun, 'FAILED');
  await reaches(gateRun, 'WAITING_APPROVAL');
  await reaches(bossRun, 'WAITING_APPROVAL');

  profileDir = await mkdtemp(join(tmpdir(), 'weft-a11y-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  browser.setDefaultTimeout(15_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await f?.stop();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

describe('accessibility of every console page', () => {
  it('no page has a serious or critical axe finding, for an admin, a member or a viewer, at 1280 or 390 px; none scrolls sideways on a phone; each has its own title', async () => {
    const page = await browser.newPage();
    const findings: Finding[] = [];
    const wide: { page: string; overflow: number }[] = [];
    const titles: Record<string, string> = {};
    const roles = [
      { role: 'admin', token: f.alice },
      { role: 'member', token: carol },
      { role: 'viewer', token: f.bob },
    ];
    for (const { role, token } of roles) {
      for (const route of CONSOLE_PAGES) {
        // The signed-out page looks the same to everyone: once is enough.
        if (route.signedOut === true && role !== 'admin') continue;
        const name = route.signedOut === true ? route.name : `${route.name}-${role}`;
        for (const size of [DESKTOP, PHONE]) {
          await page.setViewportSize(size);
          await openAs(page, route.signedOut === true ? null : token, route.path(SLUG, ids));
          await page.locator(route.ready).first().waitFor();
          const label = `${name}@${size.width}`;
          findings.push(...(await seriousFindings(page, label)));
          if (role === 'admin' && size === DESKTOP) titles[route.name] = await page.title();
          if (role !== 'member') {
            await page.screenshot({ path: join(SHOTS, `a11y-${name}-${size.width}.png`), fullPage: true });
          }
          if (size === PHONE) wide.push({ page: label, overflow: await overflow(page) });
        }
      }
    }
    expect(findings).toEqual([]);
    expect(wide.filter((w) => w.overflow > 0)).toEqual([]);
    // Every page's title names it (what a screen reader announces, what tells tabs apart).
    expect(Object.entries(titles).filter(([, title]) => !/. · Weft admin$/.test(title))).toEqual([]);
    expect([titles.login, titles.workspaces, titles.runs, titles.audit]).toEqual([
      'Log in · Weft admin',
      'Your workspaces · Weft admin',
      'Runs · Acme · Weft admin',
      'Audit log · Acme · Weft admin',
    ]);
  }, 480_000);

  it('a control a role cannot use is in view, disabled, with the reason written beside it', async () => {
    const page = await browser.newPage();
    await page.setViewportSize(DESKTOP);
    const run = `runs/${encodeURIComponent(ids.failedRun)}`;

    // A viewer: every control that starts or changes something is there, disabled, and says why.
    await openAs(page, f.bob, `/w/${SLUG}/${run}`);
    await expectDisabledWithReason(page, 'Retry', VIEWER_REASON);
    await expectDisabledWithReason(page, 'Re-run', VIEWER_REASON);
    await openAs(page, f.bob, `/w/${SLUG}/plans`);
    await expectDisabledWithReason(page, 'Run Works', VIEWER_REASON);
    await openAs(page, f.bob, `/w/${SLUG}/approvals`);
    await expectDisabledWithReason(page, 'Approve', 'Only ADMIN or MEMBER may decide this gate; your role is VIEWER.');
    await openAs(page, f.bob, `/w/${SLUG}/schedules`);
    await expectDisabledWithReason(page, 'Create schedule', 'Viewers can see schedules but not change them');
    await expectDisabledWithReason(page, 'Pause Works', 'Viewers can see schedules but not change them');
    await expectDisabledWithReason(page, 'Delete Works', 'Viewers can see schedules but not change them');
    await openAs(page, f.bob, `/w/${SLUG}/events`);
    await expectDisabledWithReason(page, 'Send event', 'Viewers can see events but not send them');
    await openAs(page, f.bob, `/w/${SLUG}/members`);
    await expectDisabledWithReason(page, 'Add member', 'Only admins can add members or change roles.');

    // The audit log is in the navigation for everyone; opened by a non-admin, it says who may read it.
    for (const token of [f.bob, carol]) {
      await openAs(page, token, `/w/${SLUG}/runs`);
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByText('Only admins can read the audit log').waitFor();
      expect(await page.getByRole('table', { name: 'Audit log' }).count()).toBe(0);
    }

    // A member may use what a viewer may not: the same controls, enabled, no reason shown.
    await openAs(page, carol, `/w/${SLUG}/${run}`);
    await page.getByRole('button', { name: 'Retry' }).waitFor();
    expect(await page.getByRole('button', { name: 'Retry' }).isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Re-run' }).isEnabled()).toBe(true);
    expect(await page.getByText(VIEWER_REASON).count()).toBe(0);
    await openAs(page, carol, `/w/${SLUG}/plans`);
    expect(await page.getByRole('button', { name: 'Run Works', exact: true }).isEnabled()).toBe(true);
    await openAs(page, carol, `/w/${SLUG}/approvals`);
    const approval = (step: string) => page.getByRole('listitem').filter({ hasText: step });
    await approval('boss-signoff').waitFor();
    expect(await approval('Go on?').getByRole('button', { name: 'Approve' }).isEnabled()).toBe(true);
    // Except the approval only admins may decide.
    expect(await approval('boss-signoff').getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await approval('boss-signoff').textContent()).toContain(
      'Only ADMIN may decide this gate; your role is MEMBER.',
    );
    await openAs(page, carol, `/w/${SLUG}/schedules`);
    expect(await page.getByRole('button', { name: 'Pause Works' }).isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Create schedule' }).isEnabled()).toBe(true);
    await openAs(page, carol, `/w/${SLUG}/events`);
    expect(await page.getByRole('button', { name: 'Send event' }).isEnabled()).toBe(true);
    // But member management stays an admin's, and says so.
    await openAs(page, carol, `/w/${SLUG}/members`);
    await expectDisabledWithReason(page, 'Add member', 'Only admins can add members or change roles.');
  }, 120_000);

  it('works from the keyboard: sign-up form clean, log in, a visible focus ring, a confirmation that opens and closes with focus back where it was', async () => {
    const page = await browser.newPage();
    await page.setViewportSize(DESKTOP);
    await openAs(page, null, '/');
    // The sign-up form (the log-in form's other mode, so not a route of its own) passes axe too.
    await page.getByRole('button', { name: 'No account yet? Sign up' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    expect(await seriousFindings(page, 'sign-up')).toEqual([]);
    await page.getByRole('button', { name: 'Have an account? Log in' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    // The form is reached in a couple of Tab presses (past the header's link) and sent with Enter.
    await tabTo(page, page.getByLabel('Email'), 3);
    await page.keyboard.type('alice@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your workspaces' }).waitFor();

    // A section link reached by Tab shows where the focus is.
    await page.goto(`${f.server.url}/admin/w/${SLUG}/schedules`);
    const schedulesLink = page.getByRole('link', { name: 'Schedules', exact: true });
    await schedulesLink.waitFor();
    await tabTo(page, schedulesLink, 12);
    expect(await schedulesLink.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none');

    // Delete asks first in a dialog that takes the focus; Escape keeps the schedule and gives the
    // focus back to the button.
    const remove = page.getByRole('button', { name: 'Delete Works', exact: true });
    await remove.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete Works?' });
    await dialog.waitFor();
    await expect.poll(() => dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => remove.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByRole('table', { name: 'Schedules' }).textContent()).toContain('Works');
  }, 60_000);
});
