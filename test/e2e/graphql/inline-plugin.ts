/**
 * A plugin from inline source, published by a new user over the API and installed in a new
 * workspace of theirs, for end-to-end tests of what plugins do in runs.
 */
import { join } from 'node:path';
import { buildPlugin, publishPlugin } from '@weft/plugin-sdk/build';
import { REPO_ROOT, signUpUser, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { expect } from 'vitest';
import { INSTALL_PLUGIN } from './marketplace-operations.ts';
import { CREATE_WORKSPACE } from './operations.ts';

export async function installInlinePlugin(
  api: TestApi,
  source: string,
  slug: string,
): Promise<{ user: TestUser; workspaceId: string }> {
  const plugin = await buildPlugin(join(REPO_ROOT, 'test'), { source, write: false });
  const user = await signUpUser(new TestClient(api.url), slug);
  const published = await publishPlugin(plugin, { apiUrl: api.url, token: user.token });
  expect(published.userErrors).toEqual([]);
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: slug },
  });
  const workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  const installed = await user.client.mutate<{ installPlugin: { userErrors: unknown[] } }>(INSTALL_PLUGIN, {
    input: { workspaceId, pluginVersionId: published.pluginVersion?.id, grantedCapabilities: [] },
  });
  expect(installed.data?.installPlugin.userErrors).toEqual([]);
  return { user, workspaceId };
}
