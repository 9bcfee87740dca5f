import { describe, expect, it } from 'vitest';
import { contentHash, diffSpecs } from './plan-diff.ts';

describe('plan diff and content hash', () => {
  it('hashes equal specs equally whatever the key order', () => {
    expect(contentHash({ steps: [{ id: 'a', tool: 't' }], name: 'x' })).toBe(
      contentHash({ name: 'x', steps: [{ tool: 't', id: 'a' }] }),
    );
    expect(contentHash({ steps: [{ id: 'a' }] })).not.toBe(contentHash({ steps: [{ id: 'b' }] }));
  });

  it('lists added, removed and changed steps by id', () => {
    const base = {
      steps: [
        { id: 'a', tool: 't' },
        { id: 'b', tool: 't' },
        { id: 'c', tool: 't', input: { x: 1 } },
      ],
    };
    const next = {
      steps: [
        { id: 'c', input: { x: 2 }, tool: 't' },
        { id: 'a', tool: 't' },
        { id: 'd', tool: 't' },
      ],
    };
    expect(diffSpecs(base, next)).toEqual({ added: ['d'], removed: ['b'], changed: ['c'] });
  });
});
