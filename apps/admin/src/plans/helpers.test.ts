import { describe, expect, it } from 'vitest';
import { sentences, sentencesAbout } from './explanation.ts';
import { inputFromFields, inputKeys, inputReaders } from './input-refs.ts';
import { formatSpec, lineOfPath, placeSpecErrors } from './spec-paths.ts';
import { changedFields, stepsById } from './step-changes.ts';

const spec = {
  name: 'Greet',
  steps: [
    { id: 'hello', tool: 'core.echo', input: { text: '{{ input.who }}' } },
    { id: 'wait', tool: 'core.sleep', input: { ms: '{{ input.delay.ms }}' }, after: ['hello'] },
    { id: 'bad', tool: 'core.nope', input: { n: '{{ steps.wait.output }} {{input.who}}' } },
  ],
};
const text = formatSpec(spec);
const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('server errors placed on the editor lines', () => {
  it('puts an error on the line of the field the API names', () => {
    expect(lineOfPath(text, ['steps', '2', 'tool'])).toBe(lineOf('"core.nope"'));
    expect(lineOfPath(text, ['steps', '1', 'input', 'ms'])).toBe(lineOf('"ms"'));
  });

  it('falls back to the nearest ancestor when the named field is missing', () => {
    expect(lineOfPath(text, ['steps', '0', 'retry', 'maxAttempts'])).toBe(lineOf('"id": "hello"') - 1);
  });

  it('answers null for text that is not JSON, and keeps non-spec errors for their own fields', () => {
    expect(lineOfPath('{ nope', ['steps'])).toBeNull();
    const placed = placeSpecErrors(text, [
      { code: 'UNKNOWN_TOOL', field: ['spec', 'steps', '2', 'tool'], message: 'no tool "core.nope"' },
      { code: 'TAKEN', field: ['name'], message: 'taken' },
    ]);
    expect(placed.inSpec).toEqual([
      { line: lineOf('"core.nope"'), path: 'steps.2.tool', message: 'no tool "core.nope"' },
    ]);
    expect(placed.others.map((e) => e.code)).toEqual(['TAKEN']);
  });
});

describe('run form fields from the spec', () => {
  it('asks for each top-level input key the templates read, once', () => {
    expect(inputKeys(spec)).toEqual(['delay', 'who']);
    expect(inputKeys({ steps: [{ id: 'a', tool: 'core.echo' }] })).toEqual([]);
    expect(inputReaders(spec)).toEqual({ who: ['hello', 'bad'], delay: ['wait'] });
  });

  it('sends JSON values as JSON and plain words as strings, leaving empty fields out', () => {
    expect(inputFromFields({ who: 'Ada', delay: '{"ms": 5}', n: '42', empty: ' ' })).toEqual({
      who: 'Ada',
      delay: { ms: 5 },
      n: 42,
    });
  });
});

describe('planner explanation beside each step', () => {
  it('gives a step the sentences about it alone', () => {
    const all = sentences(
      'Planned without an LLM (confidence 0.90): echo (core.echo), sleep (core.sleep). Chose core.echo because it matched "echo". Sleep gets 3 attempts: core.sleep often fails here. Set OPENAI_API_KEY to let a model plan it.',
    );
    expect(all).toHaveLength(4);
    const steps = [
      { id: 'echo', tool: 'core.echo' },
      { id: 'sleep', tool: 'core.sleep' },
    ];
    expect(sentencesAbout(all, steps[0] as (typeof steps)[0], steps)).toEqual([all[1]]);
    expect(sentencesAbout(all, steps[1] as (typeof steps)[0], steps)).toEqual([all[2]]);
  });
});

describe('what changed in a step between two versions', () => {
  it('names the fields that differ, added and removed ones included', () => {
    const before = stepsById({ steps: [{ id: 'a', tool: 'core.echo', input: { x: 1 }, after: ['b'] }] });
    const after = stepsById({ steps: [{ id: 'a', tool: 'core.echo', input: { x: 2 }, retry: { maxAttempts: 2 } }] });
    expect(changedFields(before.get('a') ?? {}, after.get('a') ?? {})).toEqual(['after', 'input', 'retry']);
    expect(stepsById({ steps: 'nope' }).size).toBe(0);
  });
});
