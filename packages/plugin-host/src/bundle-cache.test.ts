import { describe, expect, it } from 'vitest';
import { createBundleCache } from './bundle-cache.ts';

/** A cache over a loader that records what it was asked for. */
function counted(max: number) {
  const loads: string[] = [];
  const cache = createBundleCache(async (workspaceId, versionId) => {
    loads.push(`${workspaceId}/${versionId}`);
    if (versionId === 'gone') throw new Error('no longer exists');
    return `bundle of ${workspaceId}/${versionId}`;
  }, max);
  return { cache, loads };
}

describe('plugin bundle cache', () => {
  it('loads a bundle once, and once for readers that ask at the same time', async () => {
    const { cache, loads } = counted(4);
    const [a, b] = await Promise.all([cache.get('ws', 'v1'), cache.get('ws', 'v1')]);
    expect([a, b]).toEqual(['bundle of ws/v1', 'bundle of ws/v1']);
    await cache.get('ws', 'v1');
    expect(loads).toEqual(['ws/v1']);
  });

  it('past its size, evicts the least recently used bundle', async () => {
    const { cache, loads } = counted(2);
    await cache.get('ws', 'v1');
    await cache.get('ws', 'v2');
    await cache.get('ws', 'v1'); // v2 is now the least recently used
    await cache.get('ws', 'v3');
    await cache.get('ws', 'v1');
    expect(loads).toEqual(['ws/v1', 'ws/v2', 'ws/v3']);
    await cache.get('ws', 'v2');
    expect(loads).toEqual(['ws/v1', 'ws/v2', 'ws/v3', 'ws/v2']);
  });

  it('keeps workspaces apart and does not keep a failed load', async () => {
    const { cache, loads } = counted(4);
    expect(await cache.get('ws1', 'v')).toBe('bundle of ws1/v');
    expect(await cache.get('ws2', 'v')).toBe('bundle of ws2/v');
    await expect(cache.get('ws1', 'gone')).rejects.toThrow('no longer exists');
    await expect(cache.get('ws1', 'gone')).rejects.toThrow('no longer exists');
    expect(loads).toEqual(['ws1/v', 'ws2/v', 'ws1/gone', 'ws1/gone']);
  });
});
