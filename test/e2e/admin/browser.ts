import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

// Debian's Chromium for the console's browser tests (Playwright never downloads a browser here),
// with what the pages log about the Content-Security-Policy collected: anything it blocks is a bug.
const CHROMIUM = '/usr/bin/chromium';

export interface TestBrowser {
  context: BrowserContext;
  cspViolations: string[];
  close(): Promise<void>;
}

export async function launchTestBrowser(): Promise<TestBrowser> {
  const profileDir = await mkdtemp(join(tmpdir(), 'weft-admin-chromium-'));
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
