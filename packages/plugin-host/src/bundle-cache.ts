import { LRUCache } from 'lru-cache';

/**
 * Plugin bundles by (workspace, version). Versions are immutable, so a bundle read once is good
 * until evicted, least recently used first; cached per workspace like everything else of the
 * sandbox, so nothing is shared across workspaces. Concurrent reads of one bundle share one load,
 * and a failed load is not kept (the next read tries again).
 */
export interface BundleCache {
  get(workspaceId: string, versionId: string): Promise<string>;
}

export function createBundleCache(
  load: (workspaceId: string, versionId: string) => Promise<string>,
  max: number,
): BundleCache {
  type Key = { workspaceId: string; versionId: string };
  const cache = new LRUCache<string, string, Key>({
    max,
    fetchMethod: (_key, _stale, { context }) => load(context.workspaceId, context.versionId),
  });
  return {
    async get(workspaceId, versionId) {
      const bundle = await cache.fetch(JSON.stringify([workspaceId, versionId]), {
        context: { workspaceId, versionId },
      });
      // fetch answers undefined only when the fetch is aborted, which nothing here does.
      if (bundle === undefined) throw new Error(`plugin bundle ${versionId} could not be loaded`);
      return bundle;
    },
  };
}
