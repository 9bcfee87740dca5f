// The plan cache keeps the versions in use parsed: once full, it drops the least recently used one
// rather than everything (a full cache emptied itself, and every running plan was fetched and
// parsed again at once).
import { describe, expect, it } from 'vitest';
import { PlanCache } from './runtime.ts';
import type { PlanSpec } from './types.ts';

const spec = (name: string): PlanSpec => ({ name, steps: [{ id: 'a', tool: 'noop' }] });

describe('PlanCache', () => {
  it('past its size, forgets only the least recently used versions', () => {
    const cache = new PlanCache();
    const total = PlanCache.DEFAULT_MAX + 2;
    for (let i = 0; i < total; i++) cache.remember('ws', `v${i}`, spec(`p${i}`));
    expect(cache.peek('ws', 'v0')).toBeUndefined();
    expect(cache.peek('ws', 'v1')).toBeUndefined();
    for (let i = 2; i < total; i++) expect(cache.peek('ws', `v${i}`)?.spec.name).toBe(`p${i}`);
  });

  it('a version read recently survives the eviction of an older one', () => {
    const cache = new PlanCache(2);
    cache.remember('ws', 'old', spec('old'));
    cache.remember('ws', 'other', spec('other'));
    expect(cache.peek('ws', 'old')?.spec.name).toBe('old'); // now the most recently used
    cache.remember('ws', 'new', spec('new'));
    expect(cache.peek('ws', 'other')).toBeUndefined();
    expect(cache.peek('ws', 'old')?.spec.name).toBe('old');
    expect(cache.peek('ws', 'new')?.spec.name).toBe('new');
  });

  it('keeps versions apart by workspace', () => {
    const cache = new PlanCache(4);
    cache.remember('ws1', 'v', spec('one'));
    expect(cache.peek('ws2', 'v')).toBeUndefined();
    expect(cache.remember('ws2', 'v', spec('two')).spec.name).toBe('two');
    expect(cache.peek('ws1', 'v')?.spec.name).toBe('one');
  });
});
