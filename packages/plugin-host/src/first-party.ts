/**
 * First-party plugins (`plugins/*`) are built with the SDK's CLI and published at start-up like any
 * other plugin, then installed in no workspace until an admin chooses.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Pools } from '@weft/db';
import { publishPluginVersion } from './marketplace.ts';

const require = createRequire(import.meta.url);

/** The first-party plugin packages, published under the publisher name `weft`. */
export const FIRST_PARTY_PLUGINS = [
  '@weft/plugin-http',
  '@weft/plugin-transform',
  '@weft/plugin-calendar',
  '@weft/plugin-llm',
] as const;

/** What happened to each first-party plugin at start-up. */
export interface FirstPartyResult {
  name: string;
  version: string;
  status: 'published' | 'unchanged' | 'conflict';
}

/**
 * Publishes every first-party plugin version not yet in the marketplace. Idempotent: an identical
 * version already there is `unchanged`; a different bundle under the same version is `conflict`
 * (versions are immutable; bump the plugin's version). Runs as the database owner: the publishing
 * function accepts first-party versions from no other role, so the product API cannot mint them.
 */
export async function publishFirstPartyPlugins(pools: Pick<Pools, 'owner'>): Promise<FirstPartyResult[]> {
  const results: FirstPartyResult[] = [];
  for (const pkg of FIRST_PARTY_PLUGINS) {
    const manifestText = await readFile(require.resolve(`${pkg}/manifest.json`), 'utf8');
    const bundle = await readFile(require.resolve(`${pkg}/bundle.js`), 'utf8');
    const manifest = JSON.parse(manifestText) as { name: string; version: string; integrity: string };
    const { rows } = await pools.owner.query<{ integrity: string }>(
      `SELECT v.integrity FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id WHERE p.name = $1 AND v.version = $2`,
      [manifest.name, manifest.version],
    );
    const existing = rows[0];
    if (existing !== undefined) {
      results.push({
        name: manifest.name,
        version: manifest.version,
        status: existing.integrity === manifest.integrity ? 'unchanged' : 'conflict',
      });
      continue;
    }
    const published = await publishPluginVersion(pools.owner, {
      manifest,
      bundle,
      publisherUserId: null,
      publisherName: 'weft',
      firstParty: true,
    });
    const error = published.userErrors[0];
    if (error !== undefined && error.code !== 'VERSION_EXISTS') {
      throw new Error(
        `first-party plugin ${manifest.name}@${manifest.version} could not be published: ${error.message}`,
      );
    }
    results.push({
      name: manifest.name,
      version: manifest.version,
      status: error === undefined ? 'published' : 'unchanged',
    });
  }
  return results;
}
