import { expect, it } from 'vitest';
import { compareToFixture, fixtureIssues } from './regression.ts';

const fixture = {
  input: { n: 1 },
  output: { b: { total: 1 } },
  steps: { a: { input: { n: 1 }, output: { n: 1 } }, b: { input: { total: 1 }, output: { total: 1 } } },
};

it('finds nothing when the replay called every step with the recorded input (key order aside)', () => {
  const steps = [
    { stepId: 'a', input: { n: 1 }, status: 'SUCCEEDED' },
    { stepId: 'b', input: { total: 1 }, status: 'SUCCEEDED' },
  ];
  expect(compareToFixture(fixture, { output: { b: { total: 1 } }, steps })).toEqual([]);
});

it('names changed inputs, added and removed steps, and a changed final output', () => {
  const steps = [
    { stepId: 'a', input: { n: 2 }, status: 'SUCCEEDED' },
    { stepId: 'c', input: { x: 1 }, status: 'SUCCEEDED' },
  ];
  expect(compareToFixture(fixture, { output: { c: { x: 1 } }, steps })).toEqual([
    { stepId: 'a', kind: 'INPUT', expected: { n: 1 }, actual: { n: 2 } },
    { stepId: 'c', kind: 'ADDED', expected: null, actual: { x: 1 } },
    { stepId: 'b', kind: 'REMOVED', expected: { total: 1 }, actual: null },
    { stepId: null, kind: 'OUTPUT', expected: { b: { total: 1 } }, actual: { c: { x: 1 } } },
  ]);
});

it('refuses fixtures without steps or with a step lacking its output', () => {
  expect(fixtureIssues(fixture)).toEqual([]);
  expect(fixtureIssues([]).map((i) => i.path)).toEqual([[]]);
  expect(fixtureIssues({ steps: null }).map((i) => i.path)).toEqual([['steps']]);
  expect(fixtureIssues({ steps: { a: { input: 1 } } }).map((i) => i.path)).toEqual([['steps', 'a']]);
});
