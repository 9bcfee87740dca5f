import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestHarness, type TestHarness } from '@weft/plugin-sdk/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

let harness: TestHarness;
beforeAll(async () => {
  harness = await createTestHarness({ dir: join(dirname(fileURLToPath(import.meta.url)), '..') });
});
afterAll(() => harness?.close());

it('picks dotted paths and deep-merges objects', async () => {
  await expect(
    harness.runTool('transform.pick', {
      value: { a: { b: 1, c: 2 }, d: [1], e: 'x' },
      paths: ['a.b', 'd', 'missing.x'],
    }),
  ).resolves.toEqual({ a: { b: 1 }, d: [1] });
  await expect(
    harness.runTool('transform.merge', { objects: [{ a: { b: 1, c: [1] } }, { a: { c: [2], d: true } }, { e: null }] }),
  ).resolves.toEqual({ a: { b: 1, c: [2], d: true }, e: null });
});

it('fills templates, failing clearly on a missing value in strict mode', async () => {
  await expect(
    harness.runTool('transform.template', {
      template: 'Hi {{ user.name }}, {{ count }} new',
      data: { user: { name: 'Ada' }, count: 3 },
    }),
  ).resolves.toEqual({ text: 'Hi Ada, 3 new' });
  await expect(
    harness.runTool('transform.template', { template: '{{ nope }}', data: {}, strict: true }),
  ).rejects.toMatchObject({
    code: 'TOOL_ERROR',
    toolErrorName: 'NonRetriableError',
    message: 'template: no value for "nope"',
  });
});

it('offers text utilities', async () => {
  await expect(harness.runTool('transform.text', { text: 'Crème Brûlée à la carte!', op: 'slug' })).resolves.toEqual({
    result: 'creme-brulee-a-la-carte',
  });
  await expect(harness.runTool('transform.text', { text: ' a  b\tc ', op: 'words' })).resolves.toEqual({
    result: ['a', 'b', 'c'],
  });
  await expect(harness.runTool('transform.text', { text: 'abcdef', op: 'truncate', max: 4 })).resolves.toEqual({
    result: 'abc…',
  });
  await expect(harness.runTool('transform.text', { text: 'x', op: 'reverse' })).rejects.toMatchObject({
    code: 'SANDBOX_INVALID_INPUT',
  });
});
