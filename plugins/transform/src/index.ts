import { definePlugin, defineTool, NonRetriableError, Type } from '@weft/plugin-sdk';

function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.').filter((p) => p.length > 0)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.').filter((p) => p.length > 0);
  let current = target;
  parts.forEach((part, i) => {
    if (i === parts.length - 1) {
      current[part] = value;
      return;
    }
    const next = current[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) current[part] = {};
    current = current[part] as Record<string, unknown>;
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(out[k], v);
  return out;
}

export const pick = defineTool({
  name: 'pick',
  description: 'Keeps only the given dotted paths of a JSON value.',
  input: Type.Object({ value: Type.Unknown(), paths: Type.Array(Type.String(), { minItems: 1 }) }),
  output: Type.Record(Type.String(), Type.Unknown()),
  cacheable: true,
  dryRun: 'run',
  run: ({ value, paths }) => {
    const out: Record<string, unknown> = {};
    for (const path of paths) {
      const found = getPath(value, path);
      if (found !== undefined) setPath(out, path, found);
    }
    return out;
  },
});

export const merge = defineTool({
  name: 'merge',
  description: 'Deep-merges objects left to right (later values win; arrays are replaced).',
  input: Type.Object({ objects: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1 }) }),
  output: Type.Record(Type.String(), Type.Unknown()),
  cacheable: true,
  dryRun: 'run',
  run: ({ objects }) =>
    objects.reduce<Record<string, unknown>>((acc, o) => deepMerge(acc, o) as Record<string, unknown>, {}),
});

export const template = defineTool({
  name: 'template',
  description: 'Fills `{{ path }}` placeholders of a text from data; `strict` fails on missing values.',
  input: Type.Object({
    template: Type.String(),
    data: Type.Record(Type.String(), Type.Unknown()),
    strict: Type.Optional(Type.Boolean()),
  }),
  output: Type.Object({ text: Type.String() }),
  cacheable: true,
  dryRun: 'run',
  run: ({ template: text, data, strict }) => ({
    text: text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, path: string) => {
      const value = getPath(data, path);
      if (value === undefined) {
        if (strict === true) throw new NonRetriableError(`template: no value for "${path}"`);
        return '';
      }
      return typeof value === 'string' ? value : JSON.stringify(value);
    }),
  }),
});

const operations = ['upper', 'lower', 'trim', 'slug', 'words', 'lines', 'length', 'truncate'] as const;

export const text = defineTool({
  name: 'text',
  description: 'Text utilities: upper, lower, trim, slug, words, lines, length, truncate (to `max`).',
  input: Type.Object({
    text: Type.String(),
    op: Type.Union(operations.map((o) => Type.Literal(o))),
    max: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
  output: Type.Object({ result: Type.Unknown() }),
  cacheable: true,
  dryRun: 'run',
  run: ({ text: value, op, max }) => {
    switch (op) {
      case 'upper':
        return { result: value.toUpperCase() };
      case 'lower':
        return { result: value.toLowerCase() };
      case 'trim':
        return { result: value.trim() };
      case 'slug':
        return {
          result: value
            .normalize('NFKD')
            .replace(/[\u0300-\u036f]/g, '')
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, '-')
            .replace(/^-+|-+$/g, ''),
        };
      case 'words':
        return { result: value.split(/\s+/).filter((w) => w.length > 0) };
      case 'lines':
        return { result: value.split(/\r?\n/) };
      case 'length':
        return { result: [...value].length };
      case 'truncate': {
        const limit = max ?? 100;
        const chars = [...value];
        return { result: chars.length <= limit ? value : `${chars.slice(0, Math.max(limit - 1, 0)).join('')}…` };
      }
    }
  },
});

export default definePlugin({
  name: 'transform',
  version: '1.0.0',
  description: 'JSON pick and merge, text templates and text utilities. Pure: no capabilities.',
  tools: [pick, merge, template, text],
});
