import { describe, expect, it } from 'vitest';
import { findTemplates, resolveTemplates, scanTemplates } from './templates.ts';

/** The regular expression the scanner replaces: the grammar it must keep. */
function regexScan(text: string): { start: number; end: number; inner: string }[] {
  return [...text.matchAll(/\{\{(.*?)\}\}/g)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    inner: m[1] ?? '',
  }));
}

const CASES = [
  '',
  'plain',
  '{{ input.a }}',
  '  {{ input.a }}  ',
  'Hi {{ input.user.name }}, {{ steps.a.output.list }}',
  '{{}}',
  '{{ input.a',
  'input.a }}',
  '{{{ input.a }}}',
  '{{ a }}}}{{ b }}',
  '{{ a\n}} {{ b }}',
  '{{ a {{ b }}',
  '{{\n{{ b }}',
  '{{ a\r}}{{ c\u2028}}{{ d }}',
  '}}{{',
  '{{{{}}}}',
  '{{ x }} tail {{',
  '{ { input.a } }',
  '{{ steps.a.output.v }}{{ steps.b.output.w }}',
  '😀{{ input.é }}😀',
];

describe('scanTemplates', () => {
  it('finds what the regular expression found, on the known cases', () => {
    for (const text of CASES) expect(scanTemplates(text), JSON.stringify(text)).toEqual(regexScan(text));
  });

  it('finds what the regular expression found, on random texts of braces, letters and line breaks', () => {
    const alphabet = ['{', '}', 'a', ' ', '.', '\n', '{{', '}}'];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 3000; n++) {
      let text = '';
      const length = Math.floor(random() * 24);
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      expect(scanTemplates(text), JSON.stringify(text)).toEqual(regexScan(text));
    }
  });

  // Each of these took the regular expression time quadratic in the length (minutes at this size).
  it.each([
    ['"{{" a million times', '{{'.repeat(1_000_000)],
    ['"{{" a million times then "}}"', `${'{{'.repeat(1_000_000)}}}`],
    ['"{{" and a line break, alternating', '{{\n'.repeat(500_000)],
    ['"{{" a million times, a line break, "}}"', `${'{{'.repeat(1_000_000)}\n}}`],
  ])('scans %s in one pass', (_name, text) => {
    const matches = scanTemplates(text);
    expect(matches.length).toBeLessThanOrEqual(1);
    expect(findTemplates({ v: text }).some((t) => t.problem === 'unterminated "{{"')).toBe(true);
  });

  it('resolves around references that do not parse, as before', () => {
    const scope = { input: { a: 1 }, steps: {}, context: {} };
    expect(resolveTemplates('x {{ nope }} {{ input.a }} {{ y', scope)).toBe('x {{ nope }} 1 {{ y');
    expect(resolveTemplates('{{ a\n}} {{ input.a }}', scope)).toBe('{{ a\n}} 1');
  });
});
