import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@weft/test-utils';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

// What the console's browser tests need around Chromium: the built console checked, Debian's
// Chromium launched headless (Playwright never downloads a browser here), CSP violations collected,
// and a way to open a page as a given token's holder.
const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = join(REPO_ROOT, 'test/e2e/screenshots');

export interface ConsoleBrowser {
  context: BrowserContext;
  /** Messages of anything the server's Content-Security-Policy blocked: each is a bug. */
  cspViolations: string[];
  close(): Promise<void>;
}

export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  if (!existsSync(join(REPO_ROOT, 'apps/admin/dist/index.html'))) {
    throw new Error('apps/admin/dist is missing: run `npm run build` (npm test builds before vitest)');
  }
  await mkdir(SHOTS, { recursive: true });
  const profileDir = await mkdtemp(join(tmpdir(), 'weft-console-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  context.setDefaultTimeout(15_000);
  const cspViolations: string[] = [];
  context.on('page', (page) =>
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    }),
  );
  return {
    context,
    cspViolations,
    async close() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/** Opens the console at `path` as the holder of `token` (the console keeps its session in localStorage). */
export async function openAs(page: Page, serverUrl: string, token: string, path: string): Promise<void> {
  await page.goto(`${serverUrl}/admin/`);
  await page.evaluate((t) => window.localStorage.setItem('weft.token', t), token);
  await page.goto(`${serverUrl}/admin${path}`);
}

/** The page's scroll width: equal to the viewport's when nothing scrolls sideways. */
export function pageWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}
