/** `weft-plugin publish`: the GraphQL `publishPlugin` mutation over HTTP with an API token. */
import type { BuiltPlugin } from './build.ts';

/** @public A typed problem the API reports instead of publishing. */
export interface PublishUserError {
  code: string;
  field: string[] | null;
  message: string;
}

/** @public What {@link publishPlugin} answers. */
export interface PublishResult {
  pluginVersion: { id: string; version: string; integrity: string } | null;
  userErrors: PublishUserError[];
}

const MUTATION = `mutation PublishPlugin($input: PublishPluginInput!) {
  publishPlugin(input: $input) {
    pluginVersion { id version integrity }
    userErrors { code field message }
  }
}`;

/** @public The API answered with GraphQL errors or a bad HTTP status (not a userError). */
export class PublishError extends Error {
  override name = 'PublishError';
}

/**
 * @public Publishes a built plugin to a Weft server.
 * @example
 * const result = await publishPlugin(await readBuiltPlugin('.'), { apiUrl: 'http://localhost:4000', token });
 * if (result.userErrors.length > 0) console.error(result.userErrors);
 */
export async function publishPlugin(
  plugin: BuiltPlugin,
  options: { apiUrl: string; token: string },
): Promise<PublishResult> {
  const endpoint = options.apiUrl.replace(/\/+$/, '').endsWith('/graphql')
    ? options.apiUrl
    : `${options.apiUrl.replace(/\/+$/, '')}/graphql`;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
    body: JSON.stringify({
      query: MUTATION,
      variables: { input: { manifest: plugin.manifest, bundle: plugin.bundle } },
    }),
  });
  const body = (await response.json().catch(() => null)) as {
    data?: { publishPlugin?: PublishResult | null } | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  if (body?.errors !== undefined && body.errors.length > 0) {
    const first = body.errors[0];
    throw new PublishError(`${first?.extensions?.code ?? 'ERROR'}: ${first?.message ?? 'unknown error'}`);
  }
  const result = body?.data?.publishPlugin;
  if (!response.ok || result === undefined || result === null) {
    throw new PublishError(`the API answered HTTP ${response.status} without a publishPlugin result`);
  }
  return result;
}
