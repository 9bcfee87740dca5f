import { join } from 'node:path';
import { buildPlugin, publishPlugin } from '@weft/plugin-sdk/build';
import { REPO_ROOT } from '@weft/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchConsoleBrowser, openAs, pageWidth, SHOTS } from './console-browser.ts';
import { type RunFixture, startRunFixture } from './run-fixture.ts';

// The console's marketplace, tools and secrets pages on a real API, driven in Debian's Chromium:
// an admin finds, installs (one optional grant withheld), upgrades, and uninstalls a plugin published
// through the API, and sets and deletes a secret; a member sees the same controls disabled, with why.

const SECRET_VALUE = 'tangerine-9c41e7-never-shown';

/** Version 1 needs kv and may use a secret and the LLM; version 2 also needs one host and drops the LLM. */
const vaultSource = (version: string, capabilities: string[], optional: string[]) => `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: 'vault',
  version: '${version}',
  description: 'Checks a passphrase kept as a workspace secret',
  capabilities: ${JSON.stringify(capabilities)},
  optionalCapabilities: ${JSON.stringify(optional)},
  tools: [
    defineTool({
      name: 'check',
      description: 'Tells whether the stored passphrase starts with a prefix',
      input: Type.Object({ prefix: Type.String({ description: 'What the passphrase should start with' }) }),
      output: Type.Object({ matches: Type.Boolean() }),
      run: async ({ prefix }, ctx) => ({ matches: (await ctx.secrets.get('PASSPHRASE')).startsWith(prefix) }),
    }),
  ],
});
`;

const INSTALLED = `query($slug: String!) { workspace(slug: $slug) {
  installedPlugins { grantedCapabilities pluginVersion { version plugin { name } } }
  secrets { name allowedHosts }
} }`;

let f: RunFixture;
let chrome: ConsoleBrowser;
let carol: string;

async function installed() {
  const data = await f.graphql<{
    workspace: {
      installedPlugins: {
        grantedCapabilities: string[];
        pluginVersion: { version: string; plugin: { name: string } };
      }[];
      secrets: { name: string; allowedHosts: string[] | null }[];
    };
  }>(INSTALLED, { slug: 'acme' }, f.alice);
  return data.workspace;
}

const open = (page: Page, token: string, path: string) => openAs(page, f.server.url, token, path);
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `marketplace-${name}.png`), fullPage: true });

beforeAll(async () => {
  f = await startRunFixture();
  chrome = await launchConsoleBrowser();
  for (const [version, capabilities, optional] of [
    ['1.0.0', ['kv'], ['secrets:PASSPHRASE', 'llm']],
    ['2.0.0', ['kv', 'http:api.example.com'], ['secrets:PASSPHRASE']],
  ] as const) {
    const plugin = await buildPlugin(join(REPO_ROOT, 'test'), {
      source: vaultSource(version, [...capabilities], [...optional]),
      write: false,
    });
    const published = await publishPlugin(plugin, { apiUrl: f.server.url, token: f.alice });
    expect(published.userErrors).toEqual([]);
  }
  carol = await f.signUp('carol@example.com');
  await f.graphql(
    'mutation($input: AddMemberInput!) { addMember(input: $input) { userErrors { message } } }',
    { input: { workspaceId: f.workspaceId, email: 'carol@example.com', role: 'MEMBER' } },
    f.alice,
  );
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await f?.stop();
});

describe('marketplace, tools and secrets in the console', () => {
  it('an admin searches, installs with grants, sees the tools, upgrades with the capability diff, keeps a secret write-only, and uninstalls', async () => {
    const page = await chrome.context.newPage();
    await open(page, f.alice, '/w/acme/marketplace');
    // The first-party plugins are listed before any search.
    await page.locator('.plugin-card[data-plugin="http"]').waitFor();

    // The search is in the URL: a reload shows the same results.
    await page.getByLabel('Search plugins').fill('passphrase');
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('passphrase');
    await page.reload();
    expect(await page.getByLabel('Search plugins').inputValue()).toBe('passphrase');
    const card = page.locator('.plugin-card[data-plugin="vault"]');
    await card.waitFor();
    await expect.poll(() => page.locator('.plugin-card').count()).toBe(1);
    expect(await card.textContent()).toContain('latest 2.0.0');
    expect(await card.textContent()).toContain('not installed');
    expect(await card.textContent()).toMatch(/by \S+/);
    await shot(page, 'search');

    // The plugin page: latest version first, its asks in words, its tool's schema as a table.
    await card.getByRole('link', { name: 'vault' }).click();
    await page.getByRole('heading', { name: 'vault', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/w/acme/marketplace/vault');
    const required = page.getByRole('list', { name: 'Required capabilities' });
    expect(await required.textContent()).toContain('http:api.example.com — Make HTTP requests to api.example.com.');
    await page.getByRole('textbox', { name: 'Versions (newest first)' }).click();
    await page.getByRole('option', { name: '1.0.0' }).click();
    await expect.poll(() => required.textContent()).not.toContain('http:');
    expect(await page.getByRole('list', { name: 'Optional capabilities' }).textContent()).toContain(
      'secrets:PASSPHRASE — Read the workspace secret PASSPHRASE',
    );
    const input = page.getByRole('table', { name: 'vault.check input' });
    expect(await input.textContent()).toContain('prefix (required)');
    expect(await input.textContent()).toContain('What the passphrase should start with');

    // Install 1.0.0: kv is required, so checked and locked with the reason; llm is withheld.
    const kv = page.getByRole('checkbox', { name: 'kv' });
    expect(await kv.isChecked()).toBe(true);
    expect(await kv.isDisabled()).toBe(true);
    expect(await page.getByRole('group', { name: 'Grants' }).textContent()).toContain(
      'Required: the plugin cannot work without it',
    );
    await page.getByRole('checkbox', { name: 'secrets:PASSPHRASE' }).check();
    expect(await page.getByRole('checkbox', { name: 'llm' }).isChecked()).toBe(false);
    await shot(page, 'install');
    await page.getByRole('button', { name: 'Install 1.0.0' }).click();
    await page.getByText('Installed vault 1.0.0.').waitFor();
    await page.locator('.installed', { hasText: 'installed 1.0.0' }).waitFor();
    expect((await installed()).installedPlugins).toEqual([
      {
        grantedCapabilities: ['kv', 'secrets:PASSPHRASE'],
        pluginVersion: { version: '1.0.0', plugin: { name: 'vault' } },
      },
    ]);

    // One finished call of a built-in, for the catalogue's stats.
    const plan = await f.graphql<{ createPlan: { plan: { id: string } } }>(
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } } }',
      {
        input: {
          workspaceId: f.workspaceId,
          name: 'Echo',
          spec: { steps: [{ id: 'say', tool: 'core.echo', input: {} }] },
        },
      },
      f.alice,
    );
    const run = await f.start(plan.createPlan.plan.id, {});
    await expect.poll(() => f.statusOf(run), { timeout: 20_000 }).toBe('SUCCEEDED');

    // Its tool is in the workspace's catalogue, beside the built-ins, with their calls counted.
    await page.getByRole('link', { name: 'Tools', exact: true }).click();
    const tool = page.locator('.tool-card[data-tool="vault.check"]');
    await tool.waitFor();
    expect(await tool.textContent()).toContain('vault 1.0.0');
    expect(await page.locator('.tool-card[data-tool="core.echo"]').textContent()).toContain('built-in');
    expect(await page.locator('.tool-card[data-tool="core.echo"] dl.tool-stats').textContent()).toMatch(
      /^Calls1Failures0p50\d+ msp95\d+ ms$/,
    );
    expect(await page.locator('.tool-card[data-tool="vault.check"]').textContent()).toContain(
      'Not called in this workspace yet.',
    );
    await shot(page, 'tools');

    // Upgrade to 2.0.0: what it adds and removes is shown before confirming.
    await page.goto(`${f.server.url}/admin/w/acme/marketplace/vault`);
    const diff = page.locator('.capability-diff');
    await diff.waitFor();
    expect(await diff.textContent()).toContain('From 1.0.0 to 2.0.0: It adds 1 capability and removes 1 capability.');
    expect(await page.getByRole('list', { name: 'Added capabilities' }).textContent()).toContain(
      'http:api.example.com (required)',
    );
    expect(await page.getByRole('list', { name: 'Removed capabilities' }).textContent()).toContain('llm (optional)');
    // The optional grant chosen at install stays chosen.
    expect(await diff.getByRole('checkbox', { name: 'secrets:PASSPHRASE' }).isChecked()).toBe(true);
    await shot(page, 'upgrade');
    await page.getByRole('button', { name: 'Move to 2.0.0' }).click();
    await page.getByRole('dialog').getByText('It adds 1 capability and removes 1 capability.').waitFor();
    await page.getByRole('button', { name: 'Yes, move to 2.0.0' }).click();
    await page.getByText('Moved vault to 2.0.0.').waitFor();
    await page.locator('.installed', { hasText: 'installed 2.0.0' }).waitFor();
    // The version panel is rebuilt for the new version, once: 2.0.0 is now the one to move away from.
    await expect.poll(() => page.getByRole('region', { name: 'Change version' }).count()).toBe(1);
    expect(await page.getByRole('textbox', { name: 'Move to version' }).inputValue()).toBe('1.0.0');
    expect((await installed()).installedPlugins).toEqual([
      {
        grantedCapabilities: ['kv', 'http:api.example.com', 'secrets:PASSPHRASE'],
        pluginVersion: { version: '2.0.0', plugin: { name: 'vault' } },
      },
    ]);

    // A secret: a bad name is refused beside the field; a good one is listed, its value never shown.
    await page.getByRole('link', { name: 'Secrets', exact: true }).click();
    await page.getByText('No secret is stored in this workspace.').waitFor();
    await page.getByLabel('Name').fill('not a name');
    await page.getByLabel('Value').fill(SECRET_VALUE);
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page.locator('.field-error', { hasText: 'secret names are letters' }).waitFor();
    await page.getByLabel('Name').fill('PASSPHRASE');
    await page.getByLabel('Allowed hosts').fill('api.example.com');
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page.getByText('Saved PASSPHRASE.').waitFor();
    const secrets = page.getByRole('table', { name: 'Secrets' });
    await secrets.waitFor();
    expect(await secrets.locator('tbody tr').first().textContent()).toContain('api.example.com');
    expect(await page.getByLabel('Value').inputValue()).toBe('');
    expect(await page.content()).not.toContain(SECRET_VALUE);
    await page.reload();
    await secrets.waitFor();
    expect(await page.content()).not.toContain(SECRET_VALUE);
    expect((await installed()).secrets).toEqual([{ name: 'PASSPHRASE', allowedHosts: ['api.example.com'] }]);
    await shot(page, 'secrets');

    // Replace: the name and hosts are filled in, the value is not; a new value keeps the hosts.
    await page.getByRole('button', { name: 'Replace' }).click();
    expect(await page.getByLabel('Name').inputValue()).toBe('PASSPHRASE');
    expect(await page.getByLabel('Allowed hosts').inputValue()).toBe('api.example.com');
    expect(await page.getByLabel('Value').inputValue()).toBe('');
    await page.getByLabel('Value').fill(`${SECRET_VALUE}-2`);
    await page.getByRole('button', { name: 'Save secret' }).click();
    await expect.poll(() => page.getByLabel('Name').inputValue()).toBe('');
    expect(await page.content()).not.toContain(SECRET_VALUE);
    expect((await installed()).secrets).toEqual([{ name: 'PASSPHRASE', allowedHosts: ['api.example.com'] }]);

    await page.getByRole('button', { name: 'Delete PASSPHRASE' }).click();
    await page.getByRole('button', { name: 'Yes, delete passphrase' }).click();
    await page.getByText('No secret is stored in this workspace.').waitFor();
    expect((await installed()).secrets).toEqual([]);

    // Uninstall, after confirming: the tool leaves the catalogue.
    await page.goto(`${f.server.url}/admin/w/acme/marketplace/vault`);
    await page.getByRole('button', { name: 'Uninstall' }).click();
    await page.getByRole('button', { name: 'Yes, uninstall' }).click();
    await page.getByText('Uninstalled vault.').waitFor();
    await page.locator('.installed', { hasText: 'not installed' }).waitFor();
    expect((await installed()).installedPlugins).toEqual([]);
    await page.getByRole('link', { name: 'Tools', exact: true }).click();
    await page.locator('.tool-card[data-tool="core.echo"]').waitFor();
    expect(await page.locator('.tool-card[data-tool="vault.check"]').count()).toBe(0);
    expect(chrome.cspViolations).toEqual([]);
  }, 120_000);

  it('a member sees install and secret controls disabled with the reason; at 390 px no page scrolls sideways', async () => {
    const page = await chrome.context.newPage();
    await open(page, carol, '/w/acme/marketplace/vault');
    const install = page.getByRole('button', { name: 'Install 2.0.0' });
    await install.waitFor();
    expect(await install.isDisabled()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'secrets:PASSPHRASE' }).isDisabled()).toBe(true);
    await page.getByText('Only admins can install, upgrade or uninstall plugins (your role: MEMBER)').waitFor();
    await shot(page, 'member-plugin');

    await page.getByRole('link', { name: 'Secrets', exact: true }).click();
    const save = page.getByRole('button', { name: 'Save secret' });
    await save.waitFor();
    expect(await save.isDisabled()).toBe(true);
    expect(await page.getByLabel('Value').isDisabled()).toBe(true);
    await page.getByText('Only admins can see, set or delete secrets (your role: MEMBER).').waitFor();
    expect(await page.getByRole('table', { name: 'Secrets' }).count()).toBe(0);
    await shot(page, 'member-secrets');

    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, token, path] of [
      ['390-search', carol, '/w/acme/marketplace?q=vault'],
      ['390-plugin', f.alice, '/w/acme/marketplace/vault'],
      ['390-tools', carol, '/w/acme/tools'],
      ['390-secrets', f.alice, '/w/acme/secrets'],
    ] as const) {
      await open(page, token, path);
      await page.locator('main section section').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await shot(page, name);
      expect({ page: name, width: await pageWidth(page) }).toEqual({ page: name, width: 390 });
    }
    expect(chrome.cspViolations).toEqual([]);
  }, 90_000);
});
